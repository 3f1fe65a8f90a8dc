/**
 * The reprocess job's steps (docs/design.md §4, §8): an open list of named steps that each derive
 * something from what storage already holds. A step gets a context with the media folder's
 * metadata.json, local copies of its stored files on demand, and a way to store new files; it
 * never reaches the source. New steps (a transcription, say) are added to the list in steps.ts.
 */
import type { JobRecord } from '../../../../shared/schemas.js';
import type { AssetKind } from '../../catalogue/schema.js';
import type { Logger } from '../../log.js';
import type { MediaMetadata, MetadataFile } from '../../storage/metadata.js';
import type { ObjectStore, StoredObject } from '../../storage/types.js';

/** Executables the steps run; defaults are `ffmpeg` and `ffprobe` on PATH. */
export interface ReprocessTools {
  ffmpegPath?: string;
  ffprobePath?: string;
}

/** One media folder being reprocessed: `<prefix>/<row_id>/<source>/<media_id>/`. */
export interface ReprocessContext {
  job: JobRecord;
  store: ObjectStore;
  /** design §5 `<prefix>` */
  prefix: string;
  /** the folder's metadata.json as stored; steps do not edit it (they call addFile) */
  readonly meta: MediaMetadata;
  metadataKey: string;
  /** the folder's key prefix, ending in `/` */
  folder: string;
  /** scratch folder of this media folder, removed afterwards */
  workDir: string;
  tools: Required<ReprocessTools>;
  signal: AbortSignal;
  log: Logger;
  /** files metadata.json lists inside this folder (metadata.json itself excluded), with their catalogue kind */
  files(): { file: MetadataFile; kind: AssetKind; derived: boolean }[];
  /**
   * A local copy of a stored file of this folder, fetched once from storage (never the source)
   * and checked against metadata.json's SHA-256.
   * @throws ArchiveError('data_corruption') when the stored bytes differ from metadata.json
   */
  local(key: string): Promise<string>;
  /**
   * Stores a local file in this folder as `name` and records it for metadata.json, replacing an
   * entry of the same key. `from` is the stored file it was derived from.
   */
  addFile(name: string, path: string, f: { kind: string; from: string; contentType: string }): Promise<MetadataFile>;
  /**
   * Writes the folder's metadata.json again — as stored, plus the files added so far and the
   * steps' reports — and the catalogue with it (storage/metadata.ts writeMetadata: both or neither).
   */
  writeMetadata(): Promise<StoredObject>;
}

/** What one step did, for the job log and metadata.json's `extra.reprocess.steps`. */
export interface StepReport {
  status: 'done' | 'skipped';
  /** object keys written */
  files: string[];
  /** why it skipped, or what it found */
  note?: string;
}

/**
 * One step of a reprocess job. `run` throws an ArchiveError to fail the job (the folder's
 * metadata.json is then left as it was); a step with nothing to do returns `skipped`.
 */
export interface ReprocessStep {
  /** short and stable, e.g. `audio`; it names the step in logs, progress and metadata.json */
  readonly name: string;
  run(ctx: ReprocessContext): Promise<StepReport>;
}
