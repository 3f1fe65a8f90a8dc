/**
 * Step `audio`: the audio track of each stored video as its own file, beside it. AAC is copied
 * into an `.m4a` (`ffmpeg -vn -c:a copy`: no re-encoding, no loss), MP3 is copied into an `.mp3`,
 * anything else (Opus, Vorbis…) is encoded to `.mp3` with libmp3lame (VBR quality 2).
 * https://ffmpeg.org/ffmpeg.html#Stream-copy
 */
import { join } from 'node:path';
import { probeStreams, runTool } from './ffmpeg.js';
import type { ReprocessContext, ReprocessStep, StepReport } from './types.js';

/** The output extension and ffmpeg codec arguments for an audio codec. */
export function audioPlan(codec: string): { ext: 'm4a' | 'mp3'; args: string[]; contentType: string } {
  if (codec === 'aac') return { ext: 'm4a', args: ['-c:a', 'copy', '-movflags', '+faststart'], contentType: 'audio/mp4' };
  if (codec === 'mp3') return { ext: 'mp3', args: ['-c:a', 'copy'], contentType: 'audio/mpeg' };
  return { ext: 'mp3', args: ['-c:a', 'libmp3lame', '-q:a', '2'], contentType: 'audio/mpeg' };
}

const stem = (key: string) => {
  const name = key.slice(key.lastIndexOf('/') + 1);
  return name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : name;
};

export const extractAudio: ReprocessStep = {
  name: 'audio',
  async run(ctx: ReprocessContext): Promise<StepReport> {
    const videos = ctx.files().filter((f) => f.kind === 'video' && !f.derived);
    if (!videos.length) return { status: 'skipped', files: [], note: 'no stored video' };
    const written: string[] = [];
    const notes: string[] = [];
    for (const { file } of videos) {
      const src = await ctx.local(file.key);
      let streams;
      try {
        streams = await probeStreams(ctx.tools.ffprobePath, src, ctx.signal);
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        notes.push(`${stem(file.key)}: not readable as media`);
        continue;
      }
      const audio = streams.find((s) => s.type === 'audio');
      if (!audio) {
        notes.push(`${stem(file.key)}: no audio track`);
        continue;
      }
      const plan = audioPlan(audio.codec);
      const name = `${stem(file.key)}.${plan.ext}`;
      const out = join(ctx.workDir, 'out', name);
      await runTool(
        ctx.tools.ffmpegPath,
        ['-nostdin', '-v', 'error', '-y', '-i', src, '-map', '0:a:0', '-vn', '-sn', '-dn', ...plan.args, out],
        ctx.signal,
      );
      const stored = await ctx.addFile(name, out, { kind: 'audio', from: file.key, contentType: plan.contentType });
      written.push(stored.key);
    }
    return written.length
      ? { status: 'done', files: written, ...(notes.length ? { note: notes.join('; ') } : {}) }
      : { status: 'skipped', files: [], note: notes.join('; ') };
  },
};
