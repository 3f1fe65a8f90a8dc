/**
 * The backend used when status write-back is off (`serve` with no Google credentials): the
 * worker still archives, and says plainly that the sheet is not being updated. The Reporter never
 * drains into it, so status updates stay in the durable outbox and go out once the worker restarts
 * with credentials.
 */
import { ArchiveError } from '../errors.js';
import type { SheetBackend, StatusUpdate, UpdateOutcome } from './types.js';

/** Why write-back is off when no reason is given. */
export const NO_CREDENTIALS_REASON = 'no Google credentials configured (set GOOGLE_APPLICATION_CREDENTIALS to a service account key file)';

export class OffSheetBackend implements SheetBackend {
  readonly kind = 'off' as const;

  /** @param reason shown in logs and status endpoints, e.g. NO_CREDENTIALS_REASON. */
  constructor(readonly reason: string = NO_CREDENTIALS_REASON) {}

  /** One line for start-up logs: "Sheets write-back is off: …". */
  describe(): string {
    return `Sheets write-back is off: ${this.reason}`;
  }

  /** Nothing to do. */
  async ensureColumns(): Promise<void> {}

  /**
   * Never writes. @throws ArchiveError('permission') so that a caller that drains into it anyway
   * keeps its updates (the Reporter does not call it).
   */
  async apply(_updates: StatusUpdate[]): Promise<UpdateOutcome[]> {
    throw new ArchiveError('permission', this.describe());
  }
}
