/** A process that opens and migrates a catalogue, for the concurrent start-up test. argv[2]: the target as JSON. */
import { openDb, type CatalogueTarget } from '../../worker/src/catalogue/db.js';
import { migrate } from '../../worker/src/catalogue/migrate.js';

const target = JSON.parse(process.argv[2]!) as CatalogueTarget;
const c = await openDb(target);
try {
  const applied = await migrate(c);
  process.stdout.write(JSON.stringify({ applied }) + '\n');
} finally {
  await c.db.destroy();
}
