/**
 * docker-compose.yml, the scale-out shape (docs/scaling.md): parsed and checked always (services,
 * commands, Redis settings BullMQ needs, no secret written in it), and `docker compose config -q`
 * where the docker client has the compose plugin.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const text = readFileSync(join(root, 'docker-compose.yml'), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  deploy?: { replicas?: number };
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
}
const compose = yaml.load(text) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const svc = compose.services;

describe('docker-compose.yml', () => {
  it('has redis, postgres, minio (+ its one-shot init), one api and N workers', () => {
    expect(Object.keys(svc).sort()).toEqual(['api', 'minio', 'minio-init', 'postgres', 'redis', 'worker']);
  });

  it('runs the API as `serve --no-runner` and the workers as `work`, three of them, from the repo Dockerfile', () => {
    expect(svc['api']!.command).toEqual(['serve', '--no-runner']);
    expect(svc['worker']!.command).toEqual(['work']);
    expect(svc['worker']!.deploy?.replicas).toBe(3);
    for (const s of ['api', 'worker']) {
      expect(svc[s]!.build).toBe('.');
      expect(svc[s]!.image).toBe(svc['api']!.image);
      // the grace period covers ARCHIVER_SHUTDOWN_S (30 s) plus the hand-back and flush
      expect(parseInt(svc[s]!.stop_grace_period ?? '0', 10)).toBeGreaterThan(30);
      expect(svc[s]!.healthcheck?.test.join(' ')).toMatch(/fetch\('http:\/\/127\.0\.0\.1:\d+\//);
    }
  });

  it('configures Redis as BullMQ needs it: appendonly yes, noeviction, on a volume', () => {
    const cmd = svc['redis']!.command!;
    expect(cmd[0]).toBe('redis-server');
    expect(cmd[cmd.indexOf('--appendonly') + 1]).toBe('yes');
    expect(cmd[cmd.indexOf('--maxmemory-policy') + 1]).toBe('noeviction');
    expect(svc['redis']!.volumes).toContain('redis-data:/data');
    expect(compose.volumes).toHaveProperty('redis-data');
    expect(svc['redis']!.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('points API and workers at Redis, PostgreSQL and MinIO, and waits for them healthy', () => {
    for (const s of ['api', 'worker']) {
      const env = svc[s]!.environment!;
      expect(env['REDIS_URL']).toBe('redis://redis:6379');
      expect(env['DATABASE_URL']).toMatch(/^postgres:\/\/archiver:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432\/archiver$/);
      expect(env['ARCHIVER_STORAGE']).toBe('s3');
      expect(env['S3_ENDPOINT']).toBe('http://minio:9000');
      expect(env['ARCHIVER_SHUTDOWN_S']).toMatch(/ARCHIVER_SHUTDOWN_S:-30/);
      expect(svc[s]!.depends_on).toMatchObject({
        redis: { condition: 'service_healthy' },
        postgres: { condition: 'service_healthy' },
        'minio-init': { condition: 'service_completed_successfully' },
      });
    }
  });

  it('creates the bucket with a lifecycle rule aborting incomplete multipart uploads after 1 day', () => {
    const script = (svc['minio-init']!.command ?? []).join('\n');
    expect(script).toMatch(/mc mb --ignore-existing/);
    expect(script).toMatch(/"AbortIncompleteMultipartUpload":\{"DaysAfterInitiation":1\}/);
    expect(script).toMatch(/mc ilm import/);
  });

  it('takes every secret from the environment (.env), none written in the file', () => {
    for (const k of ['ARCHIVER_SECRET', 'POSTGRES_PASSWORD', 'MINIO_ROOT_PASSWORD', 'MINIO_ROOT_USER'])
      expect(text).toMatch(new RegExp(`\\$\\{${k}:\\?`));
    const env = svc['api']!.environment!;
    expect(env['ARCHIVER_SECRET']).toMatch(/^\$\{ARCHIVER_SECRET:\?/);
    expect(env['S3_SECRET_ACCESS_KEY']).toMatch(/^\$\{MINIO_ROOT_PASSWORD:\?/);
  });

  const hasCompose = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;
  const title =
    'passes `docker compose config -q`' +
    (hasCompose ? '' : ' (SKIPPED: the docker client has no compose plugin here: apt-get install docker-compose-plugin)');
  it.skipIf(!hasCompose)(title, () => {
    const r = spawnSync('docker', ['compose', '-f', join(root, 'docker-compose.yml'), 'config', '-q'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        ARCHIVER_SECRET: 'x'.repeat(32),
        POSTGRES_PASSWORD: 'p',
        MINIO_ROOT_USER: 'u',
        MINIO_ROOT_PASSWORD: 'password',
      },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
