/**
 * A process killed (SIGKILL) right after metadata.json is stored and before the catalogue commits,
 * for the recovery test. argv: the catalogue target as JSON, the archive folder.
 */
import { Catalogue } from '../../worker/src/catalogue/repository.js';
import { catalogueSink } from '../../worker/src/catalogue/sink.js';
import type { CatalogueTarget } from '../../worker/src/catalogue/db.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { attachMetadataSink, writeMetadata } from '../../worker/src/storage/metadata.js';
import { youtubeItem } from './fixtures.js';

const cat = await Catalogue.open(JSON.parse(process.argv[2]!) as CatalogueTarget);
const store = new LocalStore(process.argv[3]!);
attachMetadataSink(store, { ...catalogueSink(cat), commit: async () => void process.kill(process.pid, 'SIGKILL') });
await writeMetadata(store, '', await youtubeItem(store, { spreadsheetId: 'ss-K9', rowId: 'k9', mediaId: 'vidK9' }));
process.stdout.write('not killed\n');
