/**
 * An archive source: yt-dlp (YouTube and allowed media hosts) or the Drive API. A source archives
 * one link of a job into the object store and says what it archived.
 */
import type { JobRecord, JobProgress } from '../../../shared/schemas.js';
import type { Logger } from '../log.js';
import type { ObjectStore, StoredObject } from '../storage/types.js';
import type { ArchiveError } from '../errors.js';

/** The row context every stored object is traced back to (design §5). */
export type RowContext = Pick<JobRecord, 'rowId' | 'name' | 'email' | 'type' | 'spreadsheetId' | 'sheetId' | 'sheetName'>;

export interface SourceContext {
  job: JobRecord;
  store: ObjectStore;
  /** key prefix, design §5 `<prefix>` (may be '') */
  prefix: string;
  /** scratch folder for this job; removed by the caller afterwards */
  workDir: string;
  signal: AbortSignal;
  log: Logger;
  /** progress within this link: fraction 0…1 of this link */
  onProgress: (p: JobProgress) => void;
}

/** What one link produced. A playlist/folder that archived some entries and failed others returns both. */
export interface LinkResult {
  /** design §1 media ids: video ids, `playlist:<id>`, Drive ids */
  mediaIds: string[];
  /** every object written, metadata.json included */
  files: StoredObject[];
  /** set when the link (or some of its entries) failed */
  error?: ArchiveError;
}

export interface Source {
  readonly name: 'youtube' | 'drive';
  /**
   * Archives one link. Entries already archived (their metadata.json exists) are skipped, so a
   * retry fetches only what is missing.
   * @throws ArchiveError when nothing could be archived (validation, permission, network, …).
   */
  archive(link: string, ctx: SourceContext): Promise<LinkResult>;
}
