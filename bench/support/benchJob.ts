/** The NewJob the queue benches enqueue (bench/queue.ts, queue-backends.ts, metrics-scrape.ts). */
import { DispatchOptionsSchema } from '../../shared/schemas.js';
import type { SourceName } from '../../shared/columns.js';
import type { NewJob } from '../../worker/src/jobs/types.js';

const options = DispatchOptionsSchema.parse({});

/** Job i of one bench dispatch: row i (sheet row i+2), one `link` of `source`, attempt 1, default options. */
export function benchJob(i: number, source: SourceName, link: string): NewJob {
  return {
    dispatchId: '00000000-0000-4000-8000-000000000000',
    spreadsheetId: 'bench',
    sheetId: 0,
    sheetName: 'People',
    rowId: String(i),
    rowNumber: i + 2,
    name: 'n',
    email: 'e@example.org',
    type: 't',
    source,
    links: [link],
    attempt: 1,
    options,
  };
}
