/**
 * Schema versions per component in one SQLite file. Several components share the worker's
 * database (the job queue, the status outbox), so a single `PRAGMA user_version` would be
 * ambiguous; each component keeps its own row in `schema_versions` instead.
 */
import type Database from 'better-sqlite3';

/** One schema step; step i (0-based) takes the component from version i to i+1. */
export type MigrationStep = (db: Database.Database) => void;

/**
 * Brings `component` up to version `steps.length`, running the missing steps in one IMMEDIATE
 * transaction (safe when several processes open the file at once: the second one waits, then
 * finds the work done).
 * @returns the version after migrating.
 * @throws Error when the file was written by a newer schema than these steps know.
 */
export function migrate(db: Database.Database, component: string, steps: readonly MigrationStep[]): number {
  const run = db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)');
    const row = db.prepare('SELECT version FROM schema_versions WHERE component = ?').get(component) as { version: number } | undefined;
    const current = row?.version ?? 0;
    if (current > steps.length) {
      throw new Error(
        `${component}: database schema version ${current} is newer than this worker knows (${steps.length}); upgrade the worker`,
      );
    }
    for (let v = current; v < steps.length; v++) steps[v]!(db);
    db.prepare(
      'INSERT INTO schema_versions (component, version) VALUES (?, ?) ON CONFLICT(component) DO UPDATE SET version = excluded.version',
    ).run(component, steps.length);
    return steps.length;
  });
  return run.immediate();
}
