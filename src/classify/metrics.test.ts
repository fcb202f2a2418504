import { describe, expect, it } from 'vitest';
import { evaluatePredictions, formatReport, topK } from './metrics.ts';

describe('classification metrics', () => {
  const labels = ['a', 'b', 'c', 'd'];
  // Four items: true a (predicted a), true b (predicted c, b second), true c (predicted c), true d (predicted a, d last).
  const probs = new Float32Array([0.7, 0.1, 0.1, 0.1, 0.1, 0.3, 0.5, 0.1, 0.0, 0.2, 0.8, 0.0, 0.4, 0.3, 0.25, 0.05]);
  const truth = [0, 1, 2, 3];

  it('counts top-1 and top-3 hits', () => {
    const r = evaluatePredictions(probs, truth, labels);
    expect(r.accuracy).toBe(0.5);
    expect(r.top3, 'b is second for item 1; d is fourth for item 3').toBe(0.75);
  });

  it('builds the confusion matrix with true classes as rows', () => {
    const r = evaluatePredictions(probs, truth, labels);
    expect(r.confusion).toEqual([
      [1, 0, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 1, 0],
      [1, 0, 0, 0],
    ]);
  });

  it('computes precision and recall per class', () => {
    const r = evaluatePredictions(probs, truth, labels);
    const byLabel = Object.fromEntries(r.perClass.map((m) => [m.label, m]));
    expect(byLabel.a).toMatchObject({ precision: 0.5, recall: 1, support: 1 });
    expect(byLabel.c).toMatchObject({ precision: 0.5, recall: 1 });
    expect(byLabel.b).toMatchObject({ precision: 0, recall: 0 });
    expect(formatReport(r)).toContain('accuracy 50.0%');
  });

  it('ranks the top k', () => {
    expect(topK([0.1, 0.5, 0.2, 0.9], 2)).toEqual([3, 1]);
  });
});
