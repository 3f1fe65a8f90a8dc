/**
 * Step `metadata`: metadata.json written again with the files the steps before it added (key,
 * kind, size, SHA-256) and what each step did, and the catalogue entry with it. It comes last in
 * the list: a step added later (a transcription) goes before it.
 */
import type { ReprocessContext, ReprocessStep, StepReport } from './types.js';

export const regenerateMetadata: ReprocessStep = {
  name: 'metadata',
  async run(ctx: ReprocessContext): Promise<StepReport> {
    const stored = await ctx.writeMetadata();
    return { status: 'done', files: [stored.key] };
  },
};
