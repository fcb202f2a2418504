/**
 * Distances between spectrograms in decibels, for the copy detector and the diversity of generated samples.
 *
 * Both sides are de-normalised to dB first (each with its own range), then compared as the RMS of the difference
 * over every bin and frame: "these two spectrograms differ by 6 dB on average" reads directly.
 */
import type { SpectrogramDataset } from '../dataset/store.ts';
import type { Decibels } from '../units.ts';
import type { DbRange } from './invert.ts';

/** A normalised spectrogram with the range that de-normalises it. */
export interface RangedItem {
  x01: Float32Array;
  range: DbRange;
}

/** Dataset items (by index, in order) as RangedItems, in batches: views into each batch's buffer. */
export async function* rangedBatches(ds: SpectrogramDataset, indices: number[], batch: number): AsyncGenerator<{ items: RangedItem[]; indices: number[] }> {
  const size = ds.shape[0] * ds.shape[1];
  for await (const b of ds.batches(indices, batch, { shuffle: false })) {
    yield {
      indices: b.indices,
      items: b.indices.map((index, i) => {
        const it = ds.manifest.items[index]!;
        return { x01: b.data.subarray(i * size, (i + 1) * size), range: { min: it.min, max: it.max } };
      }),
    };
  }
}

/** RMS difference in dB of two normalised spectrograms, each de-normalised with its own range. */
export function rmsDbDistance(a: RangedItem, b: RangedItem): Decibels {
  const n = a.x01.length;
  if (b.x01.length !== n) throw new RangeError(`spectrograms differ in size (${n} and ${b.x01.length})`);
  const sa = a.range.max - a.range.min;
  const sb = b.range.max - b.range.min;
  const offset = a.range.min - b.range.min;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = a.x01[i]! * sa - b.x01[i]! * sb + offset;
    sum += d * d;
  }
  return Math.sqrt(sum / n);
}

/** The nearest reference item of one query, by index into the stream of references. */
export interface Nearest {
  index: number;
  distance: Decibels;
}

/**
 * For each query, the nearest of the reference items, streamed in batches so the reference set never sits in
 * memory whole; `indices` name the references (e.g. their dataset indices).
 */
export async function nearestItems(queries: RangedItem[], references: AsyncIterable<{ items: RangedItem[]; indices: number[] }>): Promise<Nearest[]> {
  const best: Nearest[] = queries.map(() => ({ index: -1, distance: Infinity }));
  for await (const batch of references) {
    batch.items.forEach((ref, j) => {
      queries.forEach((q, i) => {
        const d = rmsDbDistance(q, ref);
        if (d < best[i]!.distance) best[i] = { index: batch.indices[j]!, distance: d };
      });
    });
  }
  return best;
}

/** Mean pairwise distance among items: near 0 when a generator repeats itself (mode collapse). */
export function diversity(items: RangedItem[]): Decibels {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      sum += rmsDbDistance(items[i]!, items[j]!);
      pairs++;
    }
  }
  return pairs ? sum / pairs : NaN;
}
