/**
 * The reprocess job's steps, in order (docs/design.md §8). The list is open: add a step object
 * (types.ts ReprocessStep) before `metadata` and its files are recorded like these.
 */
import { extractAudio } from './audio.js';
import { completionChecks } from './checks.js';
import { regenerateMetadata } from './metadata.js';
import { convertSubtitles } from './subtitles.js';
import type { ReprocessStep } from './types.js';

/** checks → audio → subtitles → metadata. */
export const DEFAULT_REPROCESS_STEPS: readonly ReprocessStep[] = [completionChecks, extractAudio, convertSubtitles, regenerateMetadata];

export { audioPlan, extractAudio } from './audio.js';
export { completionChecks } from './checks.js';
export { regenerateMetadata } from './metadata.js';
export { convertSubtitles } from './subtitles.js';
