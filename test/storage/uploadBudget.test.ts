import { describe, expect, it } from 'vitest';
import { UploadBudget } from '../../worker/src/storage/uploadBudget.js';

const MiB = 1024 * 1024;

describe('UploadBudget (the process-wide memory bound of S3 uploads)', () => {
  it('grants the parallelism asked for while it fits, fewer parts when short, and makes the rest wait', async () => {
    const budget = new UploadBudget(100 * MiB);
    const cost2 = UploadBudget.cost(8 * MiB, 2, MiB); // (2 + 3) × 8 + 1 = 41 MiB
    expect(cost2).toBe(41 * MiB);
    const a = await budget.acquire(8 * MiB, 2, MiB);
    const b = await budget.acquire(8 * MiB, 2, MiB);
    expect([a.queueSize, b.queueSize]).toEqual([2, 2]);
    // 18 MiB left: not even one part (33 MiB): the third waits
    let third: { queueSize: number; release: () => void } | null = null;
    const waiting = budget.acquire(8 * MiB, 2, MiB).then((g) => (third = g));
    await new Promise((r) => setTimeout(r, 20));
    expect(third).toBeNull();
    // a small single-part body still fits
    const small = await budget.acquire(8 * MiB, 2, MiB, 1000);
    expect(budget.inUse).toBe(82 * MiB + 1000 + MiB);
    small.release();
    a.release();
    await waiting;
    expect(third!.queueSize).toBe(2);
    b.release();
    third!.release();
    third!.release(); // twice is harmless
    expect(budget.inUse).toBe(0);
  });

  it('lowers the parts in flight to what is left, lets one upload bigger than the budget run alone, and gives up a wait on abort', async () => {
    const budget = new UploadBudget(60 * MiB);
    const four = await budget.acquire(8 * MiB, 4, MiB); // (4 + 3) × 8 + 1 = 57 MiB fits
    expect(four.queueSize).toBe(4);
    four.release();
    const two = await budget.acquire(8 * MiB, 2, MiB); // 41 MiB, 19 left
    const lowered = await budget.acquire(4 * MiB, 4, MiB); // q = 4…2 cost 29…21 MiB; q = 1 costs 17
    expect(lowered.queueSize).toBe(1);
    lowered.release();
    two.release();

    const tiny = new UploadBudget(20 * MiB);
    const alone = await tiny.acquire(8 * MiB, 2, MiB);
    expect(alone.queueSize).toBe(2);
    const ac = new AbortController();
    const waiting = tiny.acquire(8 * MiB, 2, MiB, undefined, ac.signal);
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    alone.release();
    expect(tiny.inUse).toBe(0);
  });
});
