import { describe, expect, it } from 'vitest';
import { COSINE_FLOOR, lrFactor, lrSchedule } from './schedule.ts';

describe('learning-rate schedules', () => {
  it('constant keeps the rate', () => {
    for (const step of [0, 10, 1e6]) expect(lrFactor(lrSchedule('constant', 100), step)).toBe(1);
    expect(lrFactor(undefined, 5)).toBe(1);
  });

  it('cosine falls from 1 to its floor along half a cosine, then stays there', () => {
    const s = lrSchedule('cosine', 100);
    expect(lrFactor(s, 0)).toBe(1);
    expect(lrFactor(s, 50)).toBeCloseTo((1 + COSINE_FLOOR) / 2, 12);
    expect(lrFactor(s, 100)).toBeCloseTo(COSINE_FLOOR, 12);
    expect(lrFactor(s, 500)).toBeCloseTo(COSINE_FLOOR, 12);
    for (let step = 1; step <= 100; step++) expect(lrFactor(s, step), `step ${step}`).toBeLessThan(lrFactor(s, step - 1));
  });
});
