/**
 * Step `checks`: the YouTube completion checks (sources/ytdlp/verify.ts verifyItem) run again on
 * the stored media, fetched from storage: every media file readable, as long as info.json says,
 * with the streams its archive mode asked for; subtitles non-empty WebVTT. A failure fails the job
 * before anything is derived from damaged media. Drive items have no such checks: skipped.
 */
import { verifyItem } from '../../sources/ytdlp/verify.js';
import type { ArchiveMode } from '../../sources/ytdlp/options.js';
import type { ReprocessContext, ReprocessStep, StepReport } from './types.js';

export const completionChecks: ReprocessStep = {
  name: 'checks',
  async run(ctx: ReprocessContext): Promise<StepReport> {
    if (ctx.meta.source !== 'youtube') return { status: 'skipped', files: [], note: 'completion checks are for YouTube items' };
    const own = ctx.files().filter((f) => !f.derived);
    const video = own.filter((f) => f.kind === 'video');
    const audio = own.filter((f) => f.kind === 'audio');
    const mode: ArchiveMode = video.length ? 'video' : audio.length ? 'audio' : 'transcript';
    const subs = own.filter((f) => f.kind === 'subtitles');
    const info = own.find((f) => f.kind === 'info' && f.file.key.endsWith('.info.json'));
    const subtitlePaths: Record<string, string> = {};
    for (const [i, s] of subs.entries()) {
      const lang = /\.([^./]+)\.[^./]+$/.exec(s.file.key)?.[1] ?? String(i);
      subtitlePaths[subtitlePaths[lang] ? `${lang}-${i}` : lang] = await ctx.local(s.file.key);
    }
    const mediaPaths: string[] = [];
    for (const m of mode === 'video' ? video : audio) mediaPaths.push(await ctx.local(m.file.key));
    await verifyItem(
      {
        id: ctx.meta.mediaId,
        mediaPaths,
        subtitlePaths,
        thumbnailPaths: [],
        ...(info ? { infoJsonPath: await ctx.local(info.file.key) } : {}),
      },
      mode,
      { ffprobePath: ctx.tools.ffprobePath, signal: ctx.signal },
    );
    return { status: 'done', files: [], note: `${mode}: ${mediaPaths.length} media, ${subs.length} subtitles checked` };
  },
};
