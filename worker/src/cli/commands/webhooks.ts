/**
 * `sheet-archiver webhooks list|test|enable` (docs/design.md §9, docs/operations.md#webhooks).
 * `list` and `enable` read the webhook outbox of the worker's queue file (ARCHIVER_DATA/queue.db,
 * the one `serve` uses); `test` POSTs a signed `webhook.test` event straight to each endpoint
 * (not through the outbox: it is not retried) and prints each answer. Exit 1 when one is not 2xx.
 */
import { randomUUID } from 'node:crypto';
import { SqliteJobBackend } from '../../jobs/sqlite.js';
import { postWebhook } from '../../webhooks/deliver.js';
import { displayUrl, endpointId, TEST_EVENT_TYPE, urlProblem, type WebhookEndpoint } from '../../webhooks/endpoints.js';
import { WebhookStore } from '../../webhooks/store.js';
import { configWith, UsageError } from '../context.js';
import { formatTable, printJson } from '../output.js';

export interface WebhooksCliOptions {
  url?: string;
  json?: boolean;
}

function withStore<T>(fn: (store: WebhookStore, endpoints: WebhookEndpoint[]) => T): T {
  const config = configWith();
  const queue = new SqliteJobBackend(config.queuePath);
  try {
    return fn(new WebhookStore(queue.db), config.webhooks);
  } finally {
    queue.close();
  }
}

/** `webhooks list`: each endpoint, its filter, state and backlog. */
export async function listAction(o: WebhooksCliOptions): Promise<void> {
  const rows = withStore((store, endpoints) => store.list(endpoints));
  if (o.json) return printJson(rows.map((r) => ({ ...r, url: displayUrl(r.url), state: r.disabledAt ? 'disabled' : 'enabled' })));
  if (!rows.length) {
    process.stdout.write('No webhooks configured (set ARCHIVER_WEBHOOK_URLS).\n');
    return;
  }
  process.stdout.write(
    formatTable(
      ['id', 'url', 'events', 'state', 'pending', 'delivered', 'dead', 'last error'],
      rows.map((r) => [
        r.id,
        displayUrl(r.url),
        r.events?.join(',') ?? '*',
        r.disabledAt ? `disabled (${r.disabledReason})` : 'enabled',
        r.pending,
        r.delivered,
        r.dead,
        r.lastError ?? '',
      ]),
    ) + '\n',
  );
}

/** `webhooks enable [--url]`: enables endpoints a 410 disabled (all, or the one with this URL or id). */
export async function enableAction(o: WebhooksCliOptions): Promise<void> {
  const n = withStore((store, endpoints) => {
    if (!o.url) return store.enable();
    const ep = endpoints.find((e) => e.url === o.url || e.id === o.url);
    if (!ep) throw new UsageError(`--url: "${displayUrl(o.url)}" is not in ARCHIVER_WEBHOOK_URLS`);
    return store.enable(ep.id);
  });
  if (o.json) printJson({ enabled: n });
  else process.stdout.write(`${n} endpoint(s) enabled again; their pending deliveries resume when serve next looks (within 5 s).\n`);
}

/** `webhooks test [--url]`: one signed webhook.test POST per endpoint; prints each answer. */
export async function testAction(o: WebhooksCliOptions): Promise<void> {
  const config = configWith();
  const secret = config.env.ARCHIVER_WEBHOOK_SECRET ?? '';
  if (secret.length < 16) throw new UsageError('ARCHIVER_WEBHOOK_SECRET: required (at least 16 characters) to sign webhooks');
  let targets = config.webhooks;
  if (o.url) {
    const problem = urlProblem(o.url, config.allowedHosts);
    if (problem) throw new UsageError(`--url: refused: ${problem}`);
    targets = [{ id: endpointId(o.url), url: o.url, events: null }];
  }
  if (!targets.length) throw new UsageError('no webhooks configured: set ARCHIVER_WEBHOOK_URLS or pass --url');
  const results = [];
  for (const ep of targets) {
    const deliveryId = `dl_${randomUUID()}`;
    // test events are not in the event log: a string id, so receivers never confuse them with real ones
    const event = {
      id: `test_${randomUUID()}`,
      type: TEST_EVENT_TYPE,
      at: new Date().toISOString(),
      jobId: null,
      rowId: null,
      spreadsheetId: null,
      source: null,
      data: { endpoint: ep.id },
    };
    const r = await postWebhook({
      url: ep.url,
      body: JSON.stringify(event),
      secret,
      eventType: TEST_EVENT_TYPE,
      deliveryId,
      allowedHosts: config.allowedHosts,
    });
    results.push({
      endpoint: ep.id,
      url: displayUrl(ep.url),
      deliveryId,
      status: r.status,
      ok: r.status >= 200 && r.status < 300,
      answer: r.detail,
    });
  }
  if (o.json) printJson(results);
  else
    process.stdout.write(
      formatTable(
        ['id', 'url', 'status', 'answer'],
        results.map((r) => [r.endpoint, r.url, r.status || 'no answer', r.answer]),
      ) + '\n',
    );
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}
