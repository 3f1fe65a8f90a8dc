import { spawnSync } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive, ownDir, sweepDeadProcessDirs } from '../../worker/src/fs/processDirs.js';

const parent = mkdtempSync(join(tmpdir(), 'sa-procdirs-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe('per-process scratch folders', () => {
  it("sweeps dead processes' folders and keeps live ones", async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    expect(isAlive(deadPid)).toBe(false);
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      const own = await ownDir(parent);
      writeFileSync(join(own, 'mine.tmp'), 'x');
      mkdirSync(join(parent, String(deadPid)));
      writeFileSync(join(parent, String(deadPid), 'left.tmp'), 'x');
      mkdirSync(join(parent, String(live.pid)));
      writeFileSync(join(parent, 'stray.tmp'), 'x');

      expect(await sweepDeadProcessDirs(parent)).toBe(2);
      expect(readdirSync(parent).sort()).toEqual([String(live.pid), String(process.pid)].sort());
      expect(existsSync(join(own, 'mine.tmp'))).toBe(true);
    } finally {
      live.kill();
    }
  });
});
