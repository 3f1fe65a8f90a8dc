/**
 * The SQLite backend (worker/src/jobs/sqlite.ts) against the shared JobBackend contract, one
 * database file per test, two backend instances on it for the cross-worker cases.
 */
import { join } from 'node:path';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import { describeJobBackendContract } from './contract.js';
import { tempDir } from './helpers.js';

describeJobBackendContract('sqlite', async () => {
  const { dir, cleanup } = tempDir();
  const path = join(dir, 'queue.db');
  return {
    open: async (opts) => new SqliteJobBackend(path, { ...opts }),
    reclaimSlackMs: 200,
    close: async () => cleanup(),
  };
});
