/** A NewEvent for the event log tests (test/events/). */
import type { NewEvent } from '../../worker/src/events/types.js';

/** Progress event i: job `j_<i%3>`, row `r<i%2>` of `sheet-1`, youtube, `{ percent: i }`; `extra` over it. */
export const ev = (i: number, extra: Partial<NewEvent> = {}): NewEvent => ({
  type: 'job.progress',
  jobId: `j_${i % 3}`,
  rowId: `r${i % 2}`,
  spreadsheetId: 'sheet-1',
  source: 'youtube',
  data: { percent: i },
  ...extra,
});
