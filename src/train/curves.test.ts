import { describe, expect, it } from 'vitest';
import type { EpochMetrics } from './checkpoint.ts';
import { chooseScale, renderCurvesSvg } from './curves.ts';

function epochs(n: number): EpochMetrics[] {
  return Array.from({ length: n }, (_, i) => ({
    epoch: i + 1,
    step: (i + 1) * 10,
    train: { loss: 1e5 / (i + 1) ** 2, reconstruction: 0.1 / (i + 1) ** 2, kl: 5 + i },
    val: { loss: 1.2e5 / (i + 1) ** 2, reconstruction: 0.12 / (i + 1) ** 2, kl: 5 + i },
    samplesPerSecond: 10,
    seconds: 1,
  }));
}

describe('curves', () => {
  it('picks a log scale for values spanning decades, linear otherwise', () => {
    const log = chooseScale([1e5, 3e3, 1e2]);
    expect(log.log).toBe(true);
    expect(log.ticks).toEqual([100, 1000, 10000, 100000]);
    const lin = chooseScale([5, 6, 7.5]);
    expect(lin.log).toBe(false);
    expect(lin.min).toBeLessThanOrEqual(5);
    expect(lin.max).toBeGreaterThanOrEqual(7.5);
    expect(chooseScale([2, 2]).max).toBeGreaterThan(2);
  });

  it('labels every tick differently', () => {
    const svg = renderCurvesSvg(epochs(3).map((m, i) => ({ ...m, train: { ...m.train, loss: [1.2e5, 6.5e4, 2.7e4][i]! } })));
    const lossPanel = svg.split('font-weight="bold"')[1]!; // from the first panel's title to the second's
    const labels = [...lossPanel.matchAll(/text-anchor="end" dominant-baseline="middle">([^<]+)</g)].map((m) => m[1]);
    expect(labels).toEqual(['1.3e+4', '2e+4', '5e+4', '1e+5']); // a log scale (losses): 1-2-5 ticks and the lowest value
    expect(new Set(labels).size).toBe(labels.length);
  });

  it('draws three panels with a train and a validation line each', () => {
    const svg = renderCurvesSvg(epochs(6));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<path /g)?.length).toBe(6);
    expect(svg.match(/<circle /g)?.length).toBe(36);
    expect(svg).toContain('(6 epochs)');
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('handles no epochs, one epoch and a missing validation split', () => {
    expect(renderCurvesSvg([])).toContain('no epochs yet');
    const one = renderCurvesSvg(epochs(1).map(({ val: _val, ...m }) => m));
    expect(one).not.toMatch(/NaN|Infinity/);
    expect(one.match(/<circle /g)?.length).toBe(3);
  });
});

describe('loss curves on a log scale', () => {
  it('uses a log scale for any spread of positive losses, with ticks inside the data', () => {
    const s = chooseScale([2.9e5, 2.4e5, 2.35e5, 2.33e5], 20, true);
    expect(s.log).toBe(true);
    expect(s.min).toBeLessThan(2.33e5);
    expect(s.max).toBeGreaterThan(2.9e5);
    expect(s.min).toBeGreaterThan(2e5); // not stretched to whole decades
    expect(s.ticks.length).toBeGreaterThanOrEqual(2);
    expect(s.ticks.every((t) => t >= s.min && t <= s.max)).toBe(true);
    expect(chooseScale([0, 1, 2], 20, true).log).toBe(false); // a zero: linear
  });

  it('marks every panel of a run whose first epoch dwarfs the rest as log', () => {
    const svg = renderCurvesSvg(
      epochs(5).map((m, i) => ({ ...m, train: { loss: [8e5, 2.5e5, 2.4e5, 2.35e5, 2.3e5][i]!, reconstruction: 0.1 + 0.01 * (5 - i), kl: 5 + i } })),
    );
    expect(svg.match(/\(log\)<\/text>/g)?.length).toBe(3);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });
});
