/**
 * scripts/release.mjs (`npm run push`, `npm run release`) and the clasp commands docs/addon.md gives.
 *
 * clasp talks to script.googleapis.com, which cannot be reached here, so the release script runs
 * against a clasp double (CLASP=…) that records its arguments and answers with the `--json` shapes
 * clasp 3.4.1 prints (node_modules/@google/clasp/build/src/commands/{list-deployments,create-version,
 * create-deployment,update-deployment}.js). The real clasp is then asked, through its own --help,
 * whether every command and flag the script and the docs use exists.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const script = join(root, 'scripts/release.mjs');
const SCRIPT_ID = '1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghijklmnopq';

let dir: string;
let state: string;
let log: string;

/** The clasp double: state is { deployments: [...], versions: n }; each call is one JSON line in the log. */
const DOUBLE = `#!/usr/bin/env node
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync(process.env.CLASP_LOG, JSON.stringify(args) + '\\n');
const st = JSON.parse(fs.readFileSync(process.env.CLASP_STATE, 'utf8'));
const cmd = args.filter((a, i) => !a.startsWith('-') && args[i - 1] !== '-P' && args[i - 1] !== '--project')[0];
const flag = (n) => { const i = args.indexOf(n); return i < 0 ? undefined : args[i + 1]; };
const out = (v) => console.log(JSON.stringify(v, null, 2));
if (cmd === 'push') console.log('Pushed 3 files.');
else if (cmd === 'list-deployments') out(st.deployments);
else if (cmd === 'create-version') { st.versions += 1; out({ versionNumber: st.versions }); }
else if (cmd === 'create-deployment') { const d = { deploymentId: 'AKfyc' + 'New'.padEnd(40, 'x'), versionNumber: Number(flag('--versionNumber')), description: flag('--description') }; st.deployments.push(d); out(d); }
else if (cmd === 'update-deployment') { const id = args[args.indexOf('update-deployment') + 1]; const d = st.deployments.find((x) => x.deploymentId === id); d.versionNumber = Number(flag('--versionNumber')); out(d); }
else { console.error('unexpected ' + args.join(' ')); process.exit(9); }
fs.writeFileSync(process.env.CLASP_STATE, JSON.stringify(st));
`;

function project(name: string, scriptId = SCRIPT_ID): string {
  const file = join(dir, name);
  writeFileSync(file, `// test project\n{\n  "scriptId": "${scriptId}",\n  "rootDir": "dist-${name}"\n}\n`);
  return file;
}

function release(args: string[], env: Record<string, string | undefined> = {}) {
  const e: NodeJS.ProcessEnv = {
    ...process.env,
    CLASP: join(dir, 'clasp'),
    CLASP_LOG: log,
    CLASP_STATE: state,
    ARCHIVER_QUIET_BUILD: '1',
    ...env,
  };
  for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
  delete e['ARCHIVER_DEPLOYMENT_ID'];
  if (env['ARCHIVER_DEPLOYMENT_ID']) e['ARCHIVER_DEPLOYMENT_ID'] = env['ARCHIVER_DEPLOYMENT_ID'];
  const r = spawnSync(process.execPath, [script, ...args], { env: e, encoding: 'utf8', timeout: 60_000 });
  const calls = existsSync(log)
    ? readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string[])
    : [];
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, calls };
}
const command = (c: string[]) => c.filter((a, i) => !a.startsWith('-') && c[i - 1] !== '-P')[0];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'release-'));
  state = join(dir, 'state.json');
  log = join(dir, 'calls.log');
  writeFileSync(join(dir, 'clasp'), DOUBLE);
  chmodSync(join(dir, 'clasp'), 0o755);
  writeFileSync(state, JSON.stringify({ deployments: [{ deploymentId: 'AKfycHEAD' }], versions: 0 }));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run push', () => {
  it("builds into the project's rootDir with the worker URL, then pushes with --force to that project", () => {
    const p = project('.clasp.dev.json');
    const r = release(['push', '--project', p], { ARCHIVER_WORKER_URL: 'https://archiver.example.org' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^release: built .*dist-\.clasp\.dev\.json \(urlFetchWhitelist https:\/\/archiver\.example\.org\/, \d+ entry points\)\nrelease: pushed to script 1AbC/,
    );
    expect(r.calls).toEqual([['-P', p, 'push', '--force']]);
    const manifest = JSON.parse(readFileSync(join(dir, 'dist-.clasp.dev.json/appsscript.json'), 'utf8')) as {
      urlFetchWhitelist: string[];
    };
    expect(manifest.urlFetchWhitelist).toEqual(['https://archiver.example.org/']);
    expect(existsSync(join(dir, 'dist-.clasp.dev.json/Code.js'))).toBe(true);
  });

  it('refuses a project whose scriptId is still the placeholder, before building or calling clasp', () => {
    const r = release(['push', '--project', project('.clasp.json', 'REPLACE_WITH_YOUR_SCRIPT_ID')], {
      ARCHIVER_WORKER_URL: 'https://archiver.example.org',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/scriptId is "REPLACE_WITH_YOUR_SCRIPT_ID": put your script's ID there/);
    expect(r.calls).toEqual([]);
  });

  it('refuses an http worker URL, and one with a path', () => {
    const r = release(['push', '--project', project('.clasp.json')], { ARCHIVER_WORKER_URL: 'http://archiver.example.org' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/must be an https URL/);
    expect(r.calls).toEqual([]);
    const prefixed = release(['push', '--project', project('.clasp.json')], {
      ARCHIVER_WORKER_URL: 'https://example.org/archiver',
    });
    expect(prefixed.code).toBe(2);
    expect(prefixed.stderr).toMatch(/must be the root of the worker's host name/);
    expect(prefixed.calls).toEqual([]);
  });
});

describe('npm run release', () => {
  it('needs ARCHIVER_WORKER_URL', () => {
    const r = release(['release', '--project', project('.clasp.json')], { ARCHIVER_WORKER_URL: undefined });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ARCHIVER_WORKER_URL is unset/);
    expect(r.calls).toEqual([]);
  });

  it('the first release (--first) creates the one deployment; later releases add a version to it, never a new deployment', () => {
    const p = project('.clasp.json');
    const env = { ARCHIVER_WORKER_URL: 'https://archiver.example.org' };

    const none = release(['release', '--project', p], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no versioned deployment yet: run the first release with --first/);

    rmSync(log);
    const first = release(['release', '--project', p, '--first', '--description', 'v1'], env);
    expect(first.code).toBe(0);
    expect(first.calls.map(command)).toEqual(['push', 'list-deployments', 'create-version', 'create-deployment']);
    expect(first.calls[3]).toEqual(['--json', '-P', p, 'create-deployment', '--versionNumber', '1', '--description', 'v1']);
    expect(first.stdout).toMatch(/Released version 1 on deployment AKfycNew/);

    rmSync(log);
    const second = release(['release', '--project', p, '--description', 'v2'], env);
    expect(second.code).toBe(0);
    const id = 'AKfyc' + 'New'.padEnd(40, 'x');
    expect(second.calls.map(command)).toEqual(['push', 'list-deployments', 'create-version', 'update-deployment']);
    expect(second.calls[3]).toEqual(['--json', '-P', p, 'update-deployment', id, '--versionNumber', '2', '--description', 'v2']);
    expect(second.stdout).toContain(`Released version 2 on deployment ${id}.`);
    expect(second.stdout).toMatch(/Marketplace SDK → App Configuration → .*script version: 2/);
    const st = JSON.parse(readFileSync(state, 'utf8')) as { deployments: { deploymentId: string; versionNumber?: number }[] };
    expect(st.deployments.filter((d) => d.versionNumber)).toEqual([expect.objectContaining({ deploymentId: id, versionNumber: 2 })]);

    rmSync(log);
    const again = release(['release', '--project', p, '--first'], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already has deployment/);
    expect(again.calls.map(command)).not.toContain('create-deployment');
  });

  it('with several versioned deployments it asks which one, and updates the one named', () => {
    writeFileSync(
      state,
      JSON.stringify({
        deployments: [
          { deploymentId: 'AKfycHEAD' },
          { deploymentId: 'AKfycA', versionNumber: 3 },
          { deploymentId: 'AKfycB', versionNumber: 4 },
        ],
        versions: 4,
      }),
    );
    const p = project('.clasp.json');
    const env = { ARCHIVER_WORKER_URL: 'https://archiver.example.org' };
    const r = release(['release', '--project', p], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/2 versioned deployments; name the one[\s\S]*AKfycA @3[\s\S]*AKfycB @4/);
    rmSync(log);
    const named = release(['release', '--project', p], { ...env, ARCHIVER_DEPLOYMENT_ID: 'AKfycA' });
    expect(named.code).toBe(0);
    expect(named.calls[3]!.slice(3, 6)).toEqual(['update-deployment', 'AKfycA', '--versionNumber']);
  });

  it('a failing clasp step stops the release with exit 1', () => {
    writeFileSync(join(dir, 'clasp'), '#!/bin/sh\necho "User has not enabled the Apps Script API" >&2\nexit 1\n');
    const r = release(['release', '--project', project('.clasp.json'), '--first'], {
      ARCHIVER_WORKER_URL: 'https://archiver.example.org',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/clasp -P .* push --force failed \(exit 1\)/);
  });
});

describe('every clasp command and flag used exists in clasp 3.4.1', () => {
  const clasp = join(root, 'node_modules/.bin/clasp');
  const run = (args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile(clasp, args, { encoding: 'utf8', timeout: 120_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
  const helps = new Map<string, string>();
  /** `npx clasp …` lines of docs/addon.md: global flags, the command, its flags */
  const docLines: { line: string; globals: string[]; cmd: string; flags: string[] }[] = [];
  const used: Record<string, string[]> = {
    push: ['--force'],
    'list-deployments': [],
    'create-version': [],
    'create-deployment': ['--versionNumber', '--description'],
    'update-deployment': ['--versionNumber', '--description'],
  };

  beforeAll(async () => {
    const docs = readFileSync(join(root, 'docs/addon.md'), 'utf8');
    for (const m of docs.matchAll(/npx clasp ([^\n`#]+)/g)) {
      const words = m[1]!.trim().split(/\s+/);
      let i = 0;
      const globals: string[] = [];
      while (words[i]?.startsWith('-')) {
        globals.push(words[i]!);
        i += words[i] === '-P' || words[i] === '--project' ? 2 : 1;
      }
      const cmd = words[i]!;
      const flags = words.slice(i + 1).filter((w) => /^--?[a-zA-Z]/.test(w));
      docLines.push({ line: m[1]!.trim(), globals, cmd, flags });
      used[cmd] = [...new Set([...(used[cmd] ?? []), ...flags])];
    }
    // clasp takes ~1 s of CPU to start: ask for every help page at once
    const names = ['', ...Object.keys(used), 'create'];
    const pages = await Promise.all(names.map((n) => run(n ? [n, '--help'] : ['--help'])));
    names.forEach((n, i) => helps.set(n, pages[i]!));
    helps.set('--version', (await run(['--version'])).trim());
  }, 240_000);

  it('clasp is 3.4.1 (the pinned devDependency)', () => {
    expect(helps.get('--version')).toBe('3.4.1');
  });

  it('the commands of scripts/release.mjs and docs/addon.md, with their flags', () => {
    expect(docLines.length).toBeGreaterThan(4);
    const flagRe = (f: string) => new RegExp(`(^|[\\s,])${f.replace(/-/g, '\\-')}\\b`, 'm');
    for (const l of docLines) for (const g of l.globals) expect(helps.get(''), `global flag ${g} in "${l.line}"`).toMatch(flagRe(g));
    for (const [cmd, flags] of Object.entries(used)) {
      const h = helps.get(cmd)!;
      expect(h, `clasp ${cmd}`).toMatch(/^Usage: clasp /m);
      for (const f of flags) expect(h, `clasp ${cmd} ${f}`).toMatch(flagRe(f));
    }
  });

  it('create defaults to a standalone script, and update-deployment takes the existing deployment id', () => {
    expect(helps.get('create')).toMatch(/--type <type>[\s\S]*\(default:\s+"standalone"\)/);
    expect(helps.get('update-deployment')).toMatch(/^Usage: clasp update-deployment\|redeploy \[options\] <deploymentId>/m);
    expect(docLines.some((l) => l.cmd === 'create' && l.line.includes('--type standalone'))).toBe(true);
    expect(docLines.some((l) => l.cmd === 'create' && /--type sheets/.test(l.line))).toBe(false);
  });
});

describe('docs/addon.md §9.2', () => {
  it('justifies exactly the scopes of appsscript/appsscript.json', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'appsscript/appsscript.json'), 'utf8')) as { oauthScopes: string[] };
    const docs = readFileSync(join(root, 'docs/addon.md'), 'utf8');
    const section = docs.slice(docs.indexOf('### 9.2'), docs.indexOf('### 9.3'));
    const rows = [...section.matchAll(/^\| `(https:\/\/www\.googleapis\.com\/auth\/[\w.]+)` \| ([^|]+) \| ([^|]+) \|$/gm)];
    expect(rows.map((r) => r[1]).sort()).toEqual([...manifest.oauthScopes].sort());
    for (const r of rows) expect(r[3]!.trim().length, `justification of ${r[1]}`).toBeGreaterThan(30);
  });
});
