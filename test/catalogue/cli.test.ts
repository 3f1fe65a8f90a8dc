/**
 * The catalogue from the built CLI: `run` writes it live, then `people`, `assets` (and setting a
 * tag), `catalogue export`, `catalogue import` and `catalogue rebuild` read and write it, as
 * docs/catalogue.md shows a person.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catalogue } from '../../worker/src/catalogue/repository.js';
import { runCli, startServe, workerEnv } from '../support/cli.js';
import { signedClient } from '../support/signedFetch.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { TYPE } from './fixtures.js';

let host: MediaHost;
let dir: string;
let env: Record<string, string>;
let csv: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-cat-cli-'));
  host = await startMediaHost({ clipCount: 2, clipSeconds: 1 });
  csv = join(dir, 'people.csv');
  writeFileSync(
    csv,
    'row_id,name,email,type,video\n' +
      `151,Ana Souza,ana@example.org,${TYPE},${host.pageUrl(host.clips[0]!)}\n` +
      `152,Bruno Oliveira,bruno@example.org,MF-Si/Te-BS/P(C) #3,${host.clipUrl(host.clips[1]!)}\n`,
  );
  env = { ARCHIVER_DATA: join(dir, 'state'), ARCHIVER_ALLOWED_HOSTS: host.host, ARCHIVER_RETRY_SCALE: '0.01' };
  const run = await runCli(['run', csv, '--json'], env, 180_000);
  expect(run.code, run.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

const json = async (args: string[]) => {
  const r = await runCli([...args, '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

describe('catalogue CLI', () => {
  it('run records its session, with its jobs counted by outcome', async () => {
    const cat = await Catalogue.open({ engine: 'sqlite', path: join(dir, 'state', 'catalogue.db') });
    try {
      const sessions = await cat.listSessions();
      expect(sessions).toHaveLength(1);
      expect(sessions[0]).toMatchObject({
        kind: 'run',
        spreadsheetId: `csv:${csv}`,
        request: { rows: 2, jobs: 2 },
        counts: { completed: 2 },
      });
    } finally {
      await cat.close();
    }
  });

  it('people lists who was archived; people <row_id> shows everything archived for them', async () => {
    const list = await json(['people']);
    expect(list.people.map((p: { rowId: string; assets: number }) => [p.rowId, p.assets > 0])).toEqual([
      ['151', true],
      ['152', true],
    ]);
    const ana = await json(['people', '151']);
    expect(ana.person).toMatchObject({ name: 'Ana Souza', type: TYPE, spreadsheetId: `csv:${csv}` });
    expect(ana.sources.youtube[0].assets.map((a: { kind: string }) => a.kind)).toEqual(
      expect.arrayContaining(['video', 'subtitles', 'metadata']),
    );
    const table = await runCli(['people', '151'], env);
    expect(table.stdout).toMatch(/name: {4}Ana Souza <ana@example\.org>/);
    expect(table.stdout).toMatch(/video .* 151\/youtube\//);
    expect((await runCli(['people', 'nobody'], env)).code).toBe(1);
  });

  it('assets filters, shows one with its transcript, and sets tags and a note', async () => {
    const videos = await json(['assets', '--row-id', '151', '--kind', 'video']);
    expect(videos.assets).toHaveLength(1);
    const id = videos.assets[0].assetId as string;
    const shown = await json(['assets', id]);
    expect(shown.asset).toMatchObject({ assetId: id, rowId: '151' });
    expect(shown.transcript).toContain(
      host
        .subtitleText(host.clips[0]!)
        .split('\n')
        .filter((l) => l && !l.includes('-->') && l !== 'WEBVTT')[0],
    );
    const tagged = await json(['assets', id, '--tags', 'interview,keep', '--note', 'first take']);
    expect(tagged.asset).toMatchObject({ tags: ['interview', 'keep'], note: 'first take' });
    const bad = await runCli(['assets', '--kind', 'movie'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--kind/);
  });

  it('export writes one row per asset with the person; rebuild gives the same; import registers people', async () => {
    const exported = await runCli(['catalogue', 'export', '--format', 'json'], env);
    expect(exported.code, exported.stderr).toBe(0);
    const rows = JSON.parse(exported.stdout) as Record<string, unknown>[];
    expect(rows.length).toBeGreaterThan(4);
    expect(rows.find((r) => r['kind'] === 'video' && r['row_id'] === '152')).toMatchObject({
      name: 'Bruno Oliveira',
      email: 'bruno@example.org',
      type: 'MF-Si/Te-BS/P(C) #3',
    });
    const csvOut = await runCli(['catalogue', 'export', '--format', 'csv'], env);
    expect(csvOut.stdout.trim().split('\n')).toHaveLength(rows.length + 1);

    const rebuilt = await json(['catalogue', 'rebuild']);
    expect(rebuilt).toMatchObject({ files: 2, pruned: 0, skipped: [] });
    const after = JSON.parse((await runCli(['catalogue', 'export', '--format', 'json'], env)).stdout) as Record<string, unknown>[];
    expect(after).toEqual(rows);

    writeFileSync(
      join(dir, 'more.csv'),
      `row_id,name,email,type,video\n153,Chen Wang,chen@example.org,MM-Ne/Ti-CS/P(B) #1,${host.clipUrl(host.clips[0]!)}\n`,
    );
    const imported = await json(['catalogue', 'import', join(dir, 'more.csv'), '--spreadsheet-id', 'ss-google']);
    expect(imported).toMatchObject({ created: 1, updated: 0 });
    const chen = await json(['people', '153', '--spreadsheet-id', 'ss-google']);
    expect(chen.person).toMatchObject({
      name: 'Chen Wang',
      rowNumber: 2,
      assets: 0,
      links: [{ column: 'video', url: host.clipUrl(host.clips[0]!) }],
    });
  });

  it('serve answers the catalogue API on the same data, signed', async () => {
    const secret = 'cli-serve-secret-0123456789';
    const worker = await startServe(workerEnv({ secret, dataDir: join(dir, 'state') }));
    try {
      const client = signedClient(worker.baseUrl, secret);
      const people = await client.request('GET', '/v1/people?q=souza');
      expect(people.status).toBe(200);
      expect(people.body.people.map((p: { rowId: string }) => p.rowId)).toEqual(['151']);
      const person = await client.request('GET', '/v1/people/152');
      expect(person.body.person).toMatchObject({ name: 'Bruno Oliveira' });
      expect((await client.request('GET', '/v1/assets?limit=9999')).body).toMatchObject({ error: 'invalid_request', field: 'limit' });
      expect((await fetch(`${worker.baseUrl}/v1/people`)).status).toBe(401);
    } finally {
      await worker.stop();
    }
  });
});
