/**
 * The Drive tests' shared set-up: one Drive stand-in per test file, a fresh LocalStore in a temp
 * folder per test (request log cleared), and a Drive source pointed at the stand-in.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { ArchiveError } from '../../worker/src/errors.js';
import { createDriveSource } from '../../worker/src/sources/drive/index.js';
import type { Source } from '../../worker/src/sources/types.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { startDriveStandIn, testAuth, type DriveStandIn, type DriveStandInOptions } from '../support/driveStandIn.js';

export interface DriveFixture {
  standIn: DriveStandIn;
  dir: string;
  store: LocalStore;
}

/**
 * Registers the hooks and hands the current fixture to `bind` whenever it changes (after the
 * stand-in starts and before each test), so tests keep plain module-level variables.
 */
export function useDriveFixture(name: string, bind: (f: DriveFixture) => void, opts: DriveStandInOptions = {}): void {
  const f = {} as DriveFixture;
  beforeAll(async () => {
    f.standIn = await startDriveStandIn(opts);
    bind(f);
  });
  afterAll(async () => {
    await f.standIn.close();
  });
  beforeEach(async () => {
    f.dir = await mkdtemp(join(tmpdir(), `${name}-`));
    f.store = new LocalStore(f.dir);
    f.standIn.clearLog();
    bind(f);
  });
  afterEach(async () => {
    await rm(f.dir, { recursive: true, force: true });
  });
}

/** A Drive source on the stand-in, with a test token; `extra` overrides options. */
export function driveSourceFor(standIn: DriveStandIn, extra: Partial<Parameters<typeof createDriveSource>[0]> = {}): Source {
  return createDriveSource({ auth: testAuth(), rootUrl: standIn.rootUrl, publicDownloadBaseUrl: standIn.publicBaseUrl, ...extra });
}

/** The ArchiveError a promise rejects with; fails the test when it resolves or throws something else. */
export async function caught(p: Promise<unknown>): Promise<ArchiveError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ArchiveError);
    return err as ArchiveError;
  }
  throw new Error('expected an ArchiveError');
}
