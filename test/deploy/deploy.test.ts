/**
 * The deployment files (docs/deploy.md): the Dockerfile and .dockerignore (Docker cannot run here,
 * so they are parsed and checked), the runtime's dependencies, the HEALTHCHECK command run against
 * a real `serve`, the systemd unit (`systemd-analyze verify`) and the Caddyfile (`caddy validate`).
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { envPairs, parseDockerfile, type Dockerfile } from '../support/dockerfile.js';
import { startServe, workerEnv, type ServeProcess } from '../support/cli.js';

const root = new URL('../../', import.meta.url).pathname;
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

describe('Dockerfile', () => {
  let df: Dockerfile;
  beforeAll(() => {
    df = parseDockerfile(read('Dockerfile'));
  });
  const runtime = () => df.stages[df.stages.length - 1]!;
  const final = (kw: string) => runtime().instructions.filter((i) => i.keyword === kw);

  it('the parser follows the reference: directives, continuations, comments inside them, exec form', () => {
    const t = parseDockerfile(
      '# syntax=docker/dockerfile:1\n# escape=\\\n\nFROM a AS b\nRUN x \\\n  # note\n  && y\nCMD ["serve"]\n# later=not-a-directive\n',
    );
    expect(t.directives).toEqual({ syntax: 'docker/dockerfile:1', escape: '\\' });
    expect(t.stages).toEqual([expect.objectContaining({ image: 'a', name: 'b' })]);
    expect(t.instructions.map((i) => [i.keyword, i.args])).toEqual([
      ['FROM', 'a AS b'],
      ['RUN', 'x && y'],
      ['CMD', '["serve"]'],
    ]);
    expect(t.instructions[2]!.exec).toEqual(['serve']);
    expect(envPairs('A=1 B="two words" C=')).toEqual({ A: '1', B: 'two words', C: '' });
    expect(envPairs('LEGACY some value')).toEqual({ LEGACY: 'some value' });
  });

  it('is multi-stage, every stage on node:20-bookworm-slim', () => {
    expect(df.directives['syntax']).toBe('docker/dockerfile:1');
    expect(df.stages.length).toBeGreaterThanOrEqual(3);
    for (const s of df.stages) expect(s.image).toBe('node:20-bookworm-slim');
    expect(new Set(df.stages.map((s) => s.name)).size).toBe(df.stages.length);
    // the runtime copies from the earlier stages rather than building in place
    const froms = final('COPY')
      .map((c) => /--from=(\S+)/.exec(c.args)?.[1])
      .filter(Boolean);
    expect(new Set(froms)).toEqual(new Set(df.stages.slice(0, -1).map((s) => s.name)));
  });

  it('installs production dependencies only, with npm ci, for the runtime', () => {
    const depsStage = df.stages.find((s) => s.name === 'deps')!;
    const runs = depsStage.instructions
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(runs).toMatch(/npm ci --omit=dev\b/);
    expect(final('COPY').some((c) => /^--from=deps \/app\/node_modules\b/.test(c.args))).toBe(true);
    // no npm install of anything in the runtime stage
    expect(
      final('RUN')
        .map((r) => r.args)
        .join('\n'),
    ).not.toMatch(/\bnpm (ci|install|i)\b/);
  });

  it('has ffmpeg from Debian, yt-dlp from its release checked against SHA2-256SUMS, and Deno from the npm package', () => {
    const runs = final('RUN')
      .map((r) => r.args)
      .join('\n');
    expect(runs).toMatch(/apt-get install -y --no-install-recommends [^\n]*\bffmpeg\b/);
    const ytdlp = df.stages
      .find((s) => s.name === 'ytdlp')!
      .instructions.filter((i) => i.keyword === 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(ytdlp).toContain('https://github.com/yt-dlp/yt-dlp/releases/latest/download');
    expect(ytdlp).toMatch(/curl [^;]*SHA2-256SUMS/);
    expect(ytdlp).toMatch(/sha256sum -c/);
    expect(ytdlp).toMatch(/set -eu/); // a failed check stops the build
    expect(runs).toMatch(/node_modules\/@deno\/linux-\*-glibc\/deno/);
    expect(pkg.dependencies['deno']).toBeDefined();
    expect(runs).toMatch(/deno --version/);
  });

  it('the yt-dlp step installs the release only when it matches SHA2-256SUMS (run with sh against a local release page)', async () => {
    const step = df.stages
      .find((s) => s.name === 'ytdlp')!
      .instructions.filter((i) => i.keyword === 'RUN')
      .at(-1)!.args;
    const dir = mkdtempSync(join(tmpdir(), 'ytdlp-step-'));
    const files: Record<string, string> = {};
    const server = createServer((req, res) => {
      const name = (req.url ?? '').split('/').pop()!;
      if (files[name] === undefined) res.writeHead(404).end();
      else res.writeHead(200).end(files[name]);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const local = `http://127.0.0.1:${(server.address() as AddressInfo).port}/yt-dlp/yt-dlp/releases`;
    const script = step
      .replaceAll('https://github.com/yt-dlp/yt-dlp/releases', local)
      .replace('/usr/local/bin/yt-dlp', join(dir, 'installed'));
    expect(script).not.toContain('github.com');
    const run = (version = 'latest') =>
      new Promise<number>((resolve) => {
        execFile(
          'sh',
          ['-c', `cd ${dir} && ${script.replaceAll('cd /tmp', `cd ${dir}`)}`],
          { env: { ...process.env, YTDLP_VERSION: version }, timeout: 30_000 },
          (err) => resolve(err ? (typeof err.code === 'number' ? err.code : 1) : 0),
        );
      });
    try {
      const body = '#!/usr/bin/env python3\nprint("2099.01.01")\n';
      const sha = createHash('sha256').update(body).digest('hex');
      files['yt-dlp'] = body;
      files['SHA2-256SUMS'] = `${'0'.repeat(64)}  yt-dlp.tar.gz\n${sha}  yt-dlp\n${'1'.repeat(64)}  yt-dlp_linux\n`;
      expect(await run()).toBe(0);
      expect(readFileSync(join(dir, 'installed'), 'utf8')).toBe(body);
      expect(statSync(join(dir, 'installed')).mode & 0o111).toBe(0o111);
      rmSync(join(dir, 'installed'));

      files['yt-dlp'] = body + '# tampered\n';
      expect(await run('2099.01.01')).not.toBe(0);
      expect(existsSync(join(dir, 'installed'))).toBe(false);

      files['yt-dlp'] = body;
      files['SHA2-256SUMS'] = `${sha}  yt-dlp_linux\n`; // no line for the zipapp
      expect(await run()).not.toBe(0);
      expect(existsSync(join(dir, 'installed'))).toBe(false);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs as a non-root user, with ARCHIVER_DATA on a volume and a HEALTHCHECK on /healthz', () => {
    const users = final('USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users[users.length - 1]!.args.split(':')[0]!;
    expect(['root', '0', '']).not.toContain(user);
    const env = Object.assign({}, ...final('ENV').map((e) => envPairs(e.args))) as Record<string, string>;
    const volumes = final('VOLUME').flatMap((v) => v.exec ?? v.args.split(/\s+/));
    expect(volumes).toContain(env['ARCHIVER_DATA']);
    const hc = final('HEALTHCHECK');
    expect(hc).toHaveLength(1);
    expect(hc[0]!.args).toMatch(/\/healthz/);
    expect(final('ENTRYPOINT')[0]!.exec).toEqual(['/usr/bin/tini', '--', 'node', 'bin/sheet-archiver.js']);
    expect(final('CMD')[0]!.exec).toEqual(['serve']);
  });

  it('puts no secrets in ENV, ARG or LABEL', () => {
    const secretish = /SECRET|PASSWORD|TOKEN|ACCESS_KEY|PRIVATE|CREDENTIAL/i;
    for (const i of df.instructions.filter((x) => ['ENV', 'ARG', 'LABEL'].includes(x.keyword))) {
      const names = i.keyword === 'ENV' ? Object.keys(envPairs(i.args)) : [i.args.split('=')[0]!];
      for (const n of names) expect(n, `line ${i.line}`).not.toMatch(secretish);
    }
  });

  it('the HEALTHCHECK command passes against a running worker and fails when nothing answers', async () => {
    const args = final('HEALTHCHECK')[0]!.args.replace(/^.*?\bCMD\s+/, '');
    const cmd = JSON.parse(args) as string[];
    expect(cmd[0]).toBe('node');
    const dir = mkdtempSync(join(tmpdir(), 'healthcheck-'));
    let serve: ServeProcess | undefined;
    try {
      serve = await startServe(workerEnv({ secret: 'healthcheck-test-secret-0123', dataDir: join(dir, 'data') }));
      const ok = spawnSync(process.execPath, cmd.slice(1), {
        env: { ...process.env, PORT: String(serve.port) },
        timeout: 20_000,
      });
      expect(ok.status).toBe(0);
      await serve.stop();
      const down = spawnSync(process.execPath, cmd.slice(1), {
        env: { ...process.env, PORT: String(serve.port) },
        timeout: 20_000,
      });
      expect(down.status).toBe(1);
    } finally {
      await serve?.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the runtime image has every package the worker bundle imports', () => {
  it('each bare import of worker/dist is a production dependency (npm ci --omit=dev installs it)', () => {
    const dist = join(root, 'worker/dist');
    const files = [
      join(dist, 'cli.js'),
      ...readdirSync(join(dist, 'chunks'))
        .filter((f) => f.endsWith('.js'))
        .map((f) => join(dist, 'chunks', f)),
    ];
    const specs = new Set<string>();
    // a specifier is a package name (optionally scoped) and a sub-path: no spaces, quotes or brackets
    const re =
      /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)["']((?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(?:\/[\w.@-]+)*|node:[\w/]+)["']/g;
    for (const f of files) for (const m of readFileSync(f, 'utf8').matchAll(re)) specs.add(m[1]!);
    const builtins = new Set(builtinModules);
    const packages = [...specs]
      .filter((s) => !s.startsWith('node:') && !builtins.has(s.split('/')[0]!))
      .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
    expect(packages).toContain('better-sqlite3');
    for (const p of new Set(packages))
      expect(pkg.dependencies[p], `${p} is imported by worker/dist but is not in "dependencies"`).toBeDefined();
  });
});

describe('.dockerignore', () => {
  const lines = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  it('keeps state, credentials and local installs out of the build context', () => {
    for (const p of ['.git', 'node_modules', 'data', '.env', '.clasprc.json', '*.pem', 'service-account*.json', 'worker/dist'])
      expect(lines).toContain(p);
  });
  it('keeps what the build needs', () => {
    for (const needed of ['package.json', 'package-lock.json', 'scripts', 'worker', 'shared', 'appsscript', 'bin', 'tsconfig.json'])
      expect(
        lines.some((l) => l === needed || l === `${needed}/` || l === `/${needed}`),
        needed,
      ).toBe(false);
  });
});

describe('deploy/sheet-archiver.service', () => {
  const unit = read('deploy/sheet-archiver.service');
  // key → value; a key given several times (Environment=) keeps every value, joined by a space
  const service: Record<string, string> = {};
  for (const l of (unit.split('[Service]')[1] ?? '')
    .split('[Install]')[0]!
    .split('\n')
    .filter((x) => /^\w+=/.test(x))) {
    const k = l.slice(0, l.indexOf('='));
    service[k] = service[k] === undefined ? l.slice(l.indexOf('=') + 1) : `${service[k]} ${l.slice(l.indexOf('=') + 1)}`;
  }
  it('restarts on failure, is hardened, and reads its secrets from an EnvironmentFile', () => {
    expect(service['Restart']).toBe('on-failure');
    expect(service['NoNewPrivileges']).toBe('yes');
    expect(service['ProtectSystem']).toBe('strict');
    expect(service['EnvironmentFile']).toBe('/etc/sheet-archiver/worker.env');
    expect(service['User']).toBe('sheet-archiver');
    expect(service['Environment']).toMatch(/\bHOST=127\.0\.0\.1\b/);
    expect(service['Environment']).not.toMatch(/SECRET/);
    expect(service['ExecStart']).toBe('/usr/bin/node /opt/sheet-archiver/bin/sheet-archiver.js serve');
  });

  const title =
    'passes systemd-analyze verify' +
    (has('systemd-analyze') ? '' : ' (SKIPPED: systemd-analyze is not installed: apt-get install -y systemd)');
  it.skipIf(!has('systemd-analyze'))(title, () => {
    if (!existsSync('/usr/bin/node'))
      throw new Error('systemd-analyze verify checks ExecStart: /usr/bin/node must exist (Debian/NodeSource node)');
    const r = spawnSync('systemd-analyze', ['verify', join(root, 'deploy/sheet-archiver.service')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stderr.split('\n').filter((l) => l.includes('sheet-archiver.service'))).toEqual([]);
    expect(r.status).toBe(0);
  });
});

describe('deploy/Caddyfile', () => {
  const title =
    'passes caddy validate and proxies the whole host to 127.0.0.1:8080, unchanged' +
    (has('caddy') ? '' : ' (SKIPPED: caddy is not installed: apt-get install -y caddy)');
  it.skipIf(!has('caddy'))(title, () => {
    const file = join(root, 'deploy/Caddyfile');
    const v = spawnSync('caddy', ['validate', '--config', file, '--adapter', 'caddyfile'], { encoding: 'utf8', timeout: 30_000 });
    expect(v.stdout + v.stderr).toContain('Valid configuration');
    expect(v.status).toBe(0);
    const json = JSON.parse(
      execFileSync('caddy', ['adapt', '--config', file, '--adapter', 'caddyfile'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    ) as {
      apps: {
        http: { servers: Record<string, { listen: string[]; routes: { match: { host: string[] }[]; handle: unknown[] }[] }> };
      };
    };
    const [server] = Object.values(json.apps.http.servers);
    expect(server!.listen).toEqual([':443']);
    expect(server!.routes[0]!.match[0]!.host).toEqual(['archiver.example.org']);
    const text = JSON.stringify(server!.routes);
    expect(text).toContain('"upstreams":[{"dial":"127.0.0.1:8080"}]');
    expect(text).not.toMatch(/rewrite|strip_path_prefix|"uri"/);
  });
});
