#!/usr/bin/env node
// The add-on's clasp steps (docs/addon.md), so that nobody types them by hand:
//
//   node scripts/release.mjs push    [--project .clasp.dev.json]
//       build the add-on for ARCHIVER_WORKER_URL into the project's rootDir (appsscript/dist), then
//       `clasp push --force` (clasp asks before overwriting the manifest otherwise) to that project.
//   node scripts/release.mjs release [--project .clasp.json] [--deployment <id>] [--description <text>] [--first]
//       build, push, `clasp create-version`, then `clasp update-deployment <id> -V <n>`: a new
//       version on the EXISTING deployment. A new deployment would get a new deployment ID, and
//       Google disables every trigger of the old one ("Update and manage a published add-on",
//       https://developers.google.com/workspace/add-ons/how-tos/update-published-add-on).
//       --first creates that one deployment (the first release only).
//
// The deployment is --deployment, else ARCHIVER_DEPLOYMENT_ID, else the project's only versioned
// deployment (`clasp list-deployments`). clasp is node_modules/.bin/clasp, or $CLASP.
// Exit codes: 0 done, 1 a clasp step failed, 2 bad usage or configuration.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export class ReleaseError extends Error {
  /** @param {string} message @param {number} code exit code */
  constructor(message, code = 2) {
    super(message);
    this.code = code;
  }
}

/** Parses `push|release [--flag value]…`. @throws ReleaseError on an unknown flag. */
export function parseArgs(argv) {
  const [command, ...rest] = argv;
  if (command !== 'push' && command !== 'release')
    throw new ReleaseError('usage: release.mjs push|release [--project FILE] [--deployment ID] [--description TEXT] [--first]');
  const o = { command, project: '.clasp.json', deployment: undefined, description: undefined, first: false };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const value = () => {
      const v = rest[++i];
      if (v === undefined || v.startsWith('--')) throw new ReleaseError(`${a} needs a value`);
      return v;
    };
    if (a === '--project' || a === '-P') o.project = value();
    else if (a === '--deployment') o.deployment = value();
    else if (a === '--description' || a === '-d') o.description = value();
    else if (a === '--first' && command === 'release') o.first = true;
    else throw new ReleaseError(`unknown option ${a}`);
  }
  return o;
}

/**
 * The scriptId and the folder clasp pushes (rootDir, relative to the project file) of a clasp
 * project file (JSON with `//` comment lines). @throws ReleaseError
 */
export function readProject(projectFile) {
  if (!existsSync(projectFile)) throw new ReleaseError(`${projectFile} does not exist (docs/addon.md, "Create the script")`);
  const text = readFileSync(projectFile, 'utf8')
    .split('\n')
    .filter((l) => !/^\s*\/\//.test(l))
    .join('\n');
  let config;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new ReleaseError(`${projectFile} is not valid JSON: ${err.message}`);
  }
  const id = config.scriptId;
  if (typeof id !== 'string' || !/^[\w-]{20,}$/.test(id) || /^REPLACE_/.test(id))
    throw new ReleaseError(`${projectFile}: scriptId is "${id}": put your script's ID there (docs/addon.md, "Create the script")`);
  return { scriptId: id, rootDir: resolve(dirname(projectFile), typeof config.rootDir === 'string' ? config.rootDir : '.') };
}

/** The JSON document a `clasp --json …` command printed (clasp may print a spinner line before it). */
export function claspJson(stdout) {
  const start = stdout.search(/^[[{]/m);
  if (start < 0) throw new ReleaseError(`clasp printed no JSON: ${stdout.trim().slice(0, 200)}`, 1);
  return JSON.parse(stdout.slice(start));
}

/**
 * Which deployment a release updates.
 * @param {{deploymentId: string, versionNumber?: number, description?: string}[]} deployments `clasp --json list-deployments`
 * @returns {string | null} null: there is none yet (only @HEAD)
 * @throws ReleaseError when several versioned deployments exist and none was named
 */
export function pickDeployment(deployments, named) {
  if (named) {
    if (!deployments.some((d) => d.deploymentId === named))
      throw new ReleaseError(`deployment ${named} is not a deployment of this script (clasp list-deployments)`);
    return named;
  }
  const versioned = deployments.filter((d) => typeof d.versionNumber === 'number');
  if (versioned.length === 0) return null;
  if (versioned.length === 1) return versioned[0].deploymentId;
  throw new ReleaseError(
    `this script has ${versioned.length} versioned deployments; name the one the Marketplace listing uses with --deployment or ARCHIVER_DEPLOYMENT_ID:\n` +
      versioned.map((d) => `  ${d.deploymentId} @${d.versionNumber} ${d.description ?? ''}`).join('\n'),
  );
}

function clasp(args, { json = false } = {}) {
  const bin = process.env.CLASP || join(root, 'node_modules/.bin/clasp');
  const r = spawnSync(bin, json ? ['--json', ...args] : args, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['inherit', json ? 'pipe' : 'inherit', 'inherit'],
  });
  if (r.error) throw new ReleaseError(`cannot run clasp (${bin}): ${r.error.message}`, 1);
  if (r.status !== 0) throw new ReleaseError(`clasp ${args.join(' ')} failed (exit ${r.status})`, 1);
  return json ? claspJson(r.stdout) : null;
}

async function build(requireUrl, outDir) {
  const { buildAddon, whitelistEntry } = await import(pathToFileURL(join(root, 'appsscript/build.mjs')).href);
  const url = process.env.ARCHIVER_WORKER_URL;
  if (!url) {
    if (requireUrl)
      throw new ReleaseError(
        "ARCHIVER_WORKER_URL is unset: a release must carry the worker's https URL in urlFetchWhitelist (docs/addon.md)",
      );
    console.error('release: ARCHIVER_WORKER_URL is unset: this push can reach no worker (urlFetchWhitelist is the placeholder)');
  } else {
    try {
      whitelistEntry(url);
    } catch (err) {
      throw new ReleaseError(err.message);
    }
    // The worker's routes and signatures cover /healthz and /v1/… exactly: a path prefix cannot work.
    if (new URL(url.trim()).pathname !== '/')
      throw new ReleaseError(
        `ARCHIVER_WORKER_URL must be the root of the worker's host name (https://host), got "${url}" (docs/deploy.md)`,
      );
  }
  const out = await buildAddon({ root, outDir });
  console.error(`release: built ${out.outDir} (urlFetchWhitelist ${out.whitelist}, ${out.entryPoints.length} entry points)`);
}

export async function main(argv) {
  const o = parseArgs(argv);
  const project = resolve(root, o.project);
  const { scriptId, rootDir } = readProject(project);
  await build(o.command === 'release', rootDir);
  const P = ['-P', project];
  clasp([...P, 'push', '--force']);
  if (o.command === 'push') {
    console.error(`release: pushed to script ${scriptId}`);
    return;
  }
  const named = o.deployment ?? process.env.ARCHIVER_DEPLOYMENT_ID;
  const deploymentId = pickDeployment(clasp([...P, 'list-deployments'], { json: true }), named);
  if (!deploymentId && !o.first)
    throw new ReleaseError(
      'this script has no versioned deployment yet: run the first release with --first (it creates the one deployment every later release updates)',
    );
  if (deploymentId && o.first)
    throw new ReleaseError(`--first: the script already has deployment ${deploymentId}; release without --first to update it`);
  const description = o.description ?? `sheet-archiver ${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version}`;
  const { versionNumber } = clasp([...P, 'create-version', description], { json: true });
  if (!Number.isInteger(versionNumber)) throw new ReleaseError(`clasp create-version printed no version number`, 1);
  const deployed = deploymentId
    ? clasp([...P, 'update-deployment', deploymentId, '--versionNumber', String(versionNumber), '--description', description], {
        json: true,
      })
    : clasp([...P, 'create-deployment', '--versionNumber', String(versionNumber), '--description', description], { json: true });
  console.log(
    `Released version ${versionNumber} on deployment ${deployed.deploymentId}.\n` +
      `Next: Google Cloud console → Google Workspace Marketplace SDK → App Configuration → Editor add-on → ` +
      `Sheets add-on script version: ${versionNumber} → Save (docs/addon.md, "Update a release").`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(`release: ${err.message}`);
    process.exit(err instanceof ReleaseError ? err.code : 1);
  });
}
