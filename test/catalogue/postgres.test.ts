/**
 * The catalogue's contract and API suites on Debian's PostgreSQL server, started by this file in a
 * temporary folder on a free port (test/support/postgres.ts); skipped, saying why, without it.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { postgresUnavailable, startPostgres, type PostgresHandle } from '../support/postgres.js';
import { catalogueContract } from './contract.js';
import { catalogueApiContract } from './apiContract.js';

const why = postgresUnavailable();
let pg: PostgresHandle;
let n = 0;
const fresh = async () => ({ engine: 'postgres' as const, url: await pg.createDatabase(`catalogue_${process.pid}_${++n}`) });

describe.skipIf(why !== null)(`PostgreSQL${why ? ` — skipped: ${why}` : ''}`, () => {
  beforeAll(async () => {
    pg = await startPostgres();
  }, 120_000);
  afterAll(async () => pg?.stop());
  catalogueContract('postgres', fresh);
  catalogueApiContract('postgres', fresh);
});
