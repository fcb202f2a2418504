/**
 * Classification metrics from predicted probabilities: accuracy, top-k accuracy, per-class precision and recall,
 * and the confusion matrix (rows = true class, columns = predicted class).
 */

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  /** Items of this class in the evaluated set. */
  support: number;
}

export interface ClassificationReport {
  accuracy: number;
  top3: number;
  perClass: ClassMetrics[];
  /** confusion[t][p]: items of true class t predicted as p. */
  confusion: number[][];
  count: number;
}

/** Indices of the k largest values of a row, largest first. */
export function topK(row: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: row.length }, (_, i) => i)
    .sort((a, b) => row[b]! - row[a]!)
    .slice(0, k);
}

/**
 * Scores predictions. `probs` is [n, classes] row-major; `truth` holds class indices.
 * @example
 * evaluatePredictions(new Float32Array([0.9, 0.1, 0.2, 0.8]), [0, 0], ['a', 'b']).accuracy // 0.5
 */
export function evaluatePredictions(probs: Float32Array, truth: readonly number[], labels: readonly string[]): ClassificationReport {
  const c = labels.length;
  const confusion = labels.map(() => new Array<number>(c).fill(0));
  let top1 = 0;
  let top3 = 0;
  truth.forEach((t, i) => {
    const ranked = topK(probs.subarray(i * c, (i + 1) * c), Math.min(3, c));
    confusion[t]![ranked[0]!]!++;
    if (ranked[0] === t) top1++;
    if (ranked.includes(t)) top3++;
  });
  const perClass = labels.map((label, k) => {
    const predicted = confusion.reduce((s, row) => s + row[k]!, 0);
    const support = confusion[k]!.reduce((s, v) => s + v, 0);
    const hit = confusion[k]![k]!;
    return { label, precision: predicted ? hit / predicted : 0, recall: support ? hit / support : 0, support };
  });
  const n = truth.length;
  return { accuracy: n ? top1 / n : 0, top3: n ? top3 / n : 0, perClass, confusion, count: n };
}

/** A plain-text table of the report, for the terminal. */
export function formatReport(r: ClassificationReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const width = Math.max(5, ...r.perClass.map((m) => m.label.length));
  const lines = [
    `accuracy ${pct(r.accuracy)}   top-3 ${pct(r.top3)}   (${r.count} items)`,
    '',
    `${'class'.padEnd(width)}  precision  recall  support`,
    ...r.perClass.map((m) => `${m.label.padEnd(width)}  ${pct(m.precision).padStart(9)}  ${pct(m.recall).padStart(6)}  ${String(m.support).padStart(7)}`),
    '',
    'confusion matrix (rows: true class, columns: predicted)',
    `${''.padEnd(width)} ${r.perClass.map((m) => m.label.slice(0, 5).padStart(5)).join(' ')}`,
    ...r.confusion.map((row, t) => `${r.perClass[t]!.label.padEnd(width)} ${row.map((v) => String(v).padStart(5)).join(' ')}`),
  ];
  return lines.join('\n');
}
