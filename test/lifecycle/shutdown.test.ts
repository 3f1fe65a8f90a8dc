/**
 * Graceful shutdown's order and deadline (worker/src/lifecycle/shutdown.ts), with fake parts.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../worker/src/config/env.js';
import { silentLogger } from '../../worker/src/log.js';
import { gracefulShutdown, onStopSignals, type Drainable } from '../../worker/src/lifecycle/shutdown.js';

/** A runner whose jobs end after the given ms, or never (null) unless aborted. */
function fakeRunner(jobs: Record<string, number | null>, steps: string[], withRelease = true): Drainable {
  const running = new Set(Object.keys(jobs));
  for (const [id, ms] of Object.entries(jobs))
    if (ms !== null)
      setTimeout(() => {
        running.delete(id);
        steps.push(`finished ${id}`);
      }, ms);
  return {
    stopLeasing: () => steps.push('stopLeasing'),
    running: () => [...running],
    abortAll: () => {
      steps.push('abortAll');
      setTimeout(() => running.clear(), 10);
    },
    ...(withRelease
      ? {
          release: async (id: string) => {
            steps.push(`release ${id}`);
          },
        }
      : {}),
  };
}

const closer = (name: string, steps: string[]) => ({ name, close: async () => void steps.push(`close ${name}`) });

describe('gracefulShutdown', () => {
  it('lets jobs finish within the deadline, then closes listeners before flushing', async () => {
    const steps: string[] = [];
    const r = await gracefulShutdown({
      runner: fakeRunner({ a: 30, b: 60 }, steps),
      deadlineMs: 2000,
      listeners: [closer('http', steps)],
      flush: [closer('reporter', steps)],
      log: silentLogger,
      pollMs: 5,
    });
    expect(steps).toEqual(['stopLeasing', 'finished a', 'finished b', 'close http', 'close reporter']);
    expect(r).toEqual({ finished: ['a', 'b'], aborted: [], released: [], failed: [] });
  });

  it('aborts and releases what is still running at the deadline, and keeps to it', async () => {
    const steps: string[] = [];
    const t0 = Date.now();
    const r = await gracefulShutdown({
      runner: fakeRunner({ fast: 20, slow: null }, steps),
      deadlineMs: 200,
      listeners: [closer('http', steps)],
      flush: [closer('reporter', steps)],
      log: silentLogger,
      pollMs: 5,
    });
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(195);
    expect(took).toBeLessThan(1000);
    expect(steps).toEqual(['stopLeasing', 'finished fast', 'abortAll', 'release slow', 'close http', 'close reporter']);
    expect(r).toMatchObject({ finished: ['fast'], aborted: ['slow'], released: ['slow'] });
  });

  it('without release the aborted jobs are left to their lease; a failing step does not stop the rest', async () => {
    const steps: string[] = [];
    const r = await gracefulShutdown({
      runner: fakeRunner({ slow: null }, steps, false),
      deadlineMs: 30,
      listeners: [{ name: 'http', close: () => Promise.reject(new Error('boom')) }],
      flush: [closer('reporter', steps)],
      log: silentLogger,
      pollMs: 5,
    });
    expect(r).toEqual({ finished: [], aborted: ['slow'], released: [], failed: ['http'] });
    expect(steps).toEqual(['stopLeasing', 'abortAll', 'close reporter']);
  });

  it('an API-only process (no runner) just closes and flushes', async () => {
    const steps: string[] = [];
    await gracefulShutdown({ deadlineMs: 30, listeners: [closer('http', steps)], flush: [closer('queue', steps)], log: silentLogger });
    expect(steps).toEqual(['close http', 'close queue']);
  });
});

describe('onStopSignals', () => {
  it('the first signal shuts down and exits 0; a second one exits at once', async () => {
    const handlers = new Map<string, () => void>();
    const exits: number[] = [];
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    onStopSignals(() => done, silentLogger, { on: (s, h) => handlers.set(s, h), exit: (c) => exits.push(c) });
    expect([...handlers.keys()].sort()).toEqual(['SIGINT', 'SIGTERM']);
    handlers.get('SIGTERM')!();
    expect(exits).toEqual([]);
    handlers.get('SIGINT')!();
    expect(exits).toEqual([130]);
    finish();
    await new Promise((r) => setTimeout(r, 0));
    expect(exits).toEqual([130, 0]);
  });

  it('a shutdown that throws exits 1', async () => {
    const handlers = new Map<string, () => void>();
    const exits: number[] = [];
    onStopSignals(() => Promise.reject(new Error('x')), silentLogger, { on: (s, h) => handlers.set(s, h), exit: (c) => exits.push(c) });
    handlers.get('SIGTERM')!();
    await new Promise((r) => setTimeout(r, 0));
    expect(exits).toEqual([1]);
  });
});

describe('ARCHIVER_SHUTDOWN_S', () => {
  it('defaults to 30 s, takes whole seconds 0…3600, and names itself when bad', () => {
    expect(loadConfig({}).env.ARCHIVER_SHUTDOWN_S).toBe(30);
    expect(loadConfig({ ARCHIVER_SHUTDOWN_S: '0' }).env.ARCHIVER_SHUTDOWN_S).toBe(0);
    expect(loadConfig({ ARCHIVER_SHUTDOWN_S: '120' }).env.ARCHIVER_SHUTDOWN_S).toBe(120);
    for (const bad of ['soon', '-1', '1.5', '3601'])
      expect(() => loadConfig({ ARCHIVER_SHUTDOWN_S: bad }), bad).toThrow(/ARCHIVER_SHUTDOWN_S/);
  });
});
