/**
 * Step `subtitles`: each stored WebVTT file as SubRip (`.srt`, by ffmpeg's srt muxer:
 * https://ffmpeg.org/ffmpeg-formats.html#srt) and as plain text (`.txt`, the cue text without
 * timings or tags: catalogue/transcript.ts), beside it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArchiveError } from '../../errors.js';
import { subtitlesToText } from '../../catalogue/transcript.js';
import { runTool } from './ffmpeg.js';
import type { ReprocessContext, ReprocessStep, StepReport } from './types.js';

export const convertSubtitles: ReprocessStep = {
  name: 'subtitles',
  async run(ctx: ReprocessContext): Promise<StepReport> {
    const vtts = ctx.files().filter((f) => f.kind === 'subtitles' && !f.derived && f.file.key.toLowerCase().endsWith('.vtt'));
    if (!vtts.length) return { status: 'skipped', files: [], note: 'no stored WebVTT subtitles' };
    const written: string[] = [];
    for (const { file } of vtts) {
      const src = await ctx.local(file.key);
      const base = file.key.slice(file.key.lastIndexOf('/') + 1).replace(/\.vtt$/i, '');
      const srt = join(ctx.workDir, 'out', `${base}.srt`);
      await runTool(ctx.tools.ffmpegPath, ['-nostdin', '-v', 'error', '-y', '-i', src, '-f', 'srt', srt], ctx.signal);
      const text = subtitlesToText(await readFile(src, 'utf8'));
      if (!text) throw new ArchiveError('system', `the subtitles ${base}.vtt have no cue text to convert`);
      const txt = join(ctx.workDir, 'out', `${base}.txt`);
      await writeFile(txt, text + '\n', 'utf8');
      written.push(
        (await ctx.addFile(`${base}.srt`, srt, { kind: 'subtitles', from: file.key, contentType: 'application/x-subrip; charset=utf-8' }))
          .key,
      );
      written.push(
        (await ctx.addFile(`${base}.txt`, txt, { kind: 'transcript', from: file.key, contentType: 'text/plain; charset=utf-8' })).key,
      );
    }
    return { status: 'done', files: written };
  },
};
