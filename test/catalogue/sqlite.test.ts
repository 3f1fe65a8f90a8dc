/** The catalogue's contract and API suites on SQLite, the embedded default (a file under a temp ARCHIVER_DATA). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import { catalogueContract } from './contract.js';
import { catalogueApiContract } from './apiContract.js';

const dir = mkdtempSync(join(tmpdir(), 'sa-cat-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = async () => ({ engine: 'sqlite' as const, path: join(dir, `catalogue-${++n}.db`) });

describe('SQLite', () => {
  catalogueContract('sqlite', fresh);
  catalogueApiContract('sqlite', fresh);
});
