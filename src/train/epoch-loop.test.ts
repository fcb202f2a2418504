import { describe, expect, it } from 'vitest';
import { meanOf, runEpoch } from './epoch-loop.ts';

/** Batches of the given sizes, each with a loss equal to its index + 1. */
async function* batches(sizes: number[]) {
  for (const [i, count] of sizes.entries()) yield { count, loss: i + 1 };
}

const quiet = { progress: false as const, fields: () => ({}), nonFinite: (f: { loss: number }) => `the loss became ${f.loss}` };

describe('runEpoch', () => {
  it('weights each step by its items, from where an interrupted epoch stopped', async () => {
    const steps: number[] = [];
    const result = await runEpoch({
      ...quiet,
      batches: batches([4, 2]),
      step: async (b) => ({ figures: { loss: b.loss }, count: b.count }),
      start: { sum: { loss: 30 }, items: 10 },
      afterStep: async (f, totals) => void steps.push(f.loss, totals.items),
    });
    expect(result).toEqual({ sum: { loss: 30 + 4 * 1 + 2 * 2 }, items: 16, interrupted: false });
    expect(meanOf(result).loss).toBeCloseTo(38 / 16, 12);
    expect(steps, 'figures and items after each step').toEqual([1, 14, 2, 16]);
  });

  it('stops before the next step once the signal aborts', async () => {
    const stop = new AbortController();
    let ran = 0;
    const result = await runEpoch({
      ...quiet,
      batches: batches([1, 1, 1]),
      step: async (b) => (ran++, { figures: { loss: b.loss }, count: b.count }),
      start: { sum: { loss: 0 }, items: 0 },
      signal: stop.signal,
      afterStep: async () => stop.abort(),
    });
    expect(ran).toBe(1);
    expect(result.interrupted).toBe(true);
    expect(result.items).toBe(1);
  });

  it("stops with the caller's message when a figure is not finite", async () => {
    const run = runEpoch({
      ...quiet,
      batches: batches([1, 1]),
      step: async (b) => ({ figures: { loss: b.loss === 2 ? Number.NaN : b.loss }, count: b.count }),
      start: { sum: { loss: 0 }, items: 0 },
    });
    await expect(run).rejects.toThrow('the loss became NaN');
  });

  it('gives NaN means for no items', () => {
    expect(meanOf({ sum: { loss: 0, kl: 0 }, items: 0 })).toEqual({ loss: Number.NaN, kl: Number.NaN });
  });
});
