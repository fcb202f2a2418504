/**
 * Similar-sound search: the dataset items nearest to a sound in a learnt space: the VAE's latent means, or a
 * classifier's penultimate-layer embeddings. "Which takes sound like my recording?"
 */
import type { SpectrogramDataset } from '../dataset/store.ts';
import { rangedBatches } from './distance.ts';

/** Maps normalised spectrograms (the dataset's shape) to vectors; the VAE's encoder or a classifier. */
export type Embed = (items: Float32Array[]) => Float32Array[];

/** One match: a dataset item and its distance to the query. */
export interface Match {
  index: number;
  source: string;
  /** Seconds into the source where the item's clip starts. */
  offset: number;
  label?: string;
  /** Euclidean distance in the embedding space (smaller is closer). */
  distance: number;
}

/** Every item of the dataset embedded, in index order, with progress per batch. */
export async function embedDataset(
  ds: SpectrogramDataset,
  embed: Embed,
  batch = 64,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<Float32Array[]> {
  const indices = ds.indices('all');
  const out: Float32Array[] = [];
  for await (const b of rangedBatches(ds, indices, batch)) {
    out.push(...embed(b.items.map((it) => it.x01)));
    onProgress(out.length, indices.length);
  }
  return out;
}

/**
 * The `top` items nearest to `query`, closest first.
 * @example const [best] = nearestTo(embed([clip.x01])[0], vectors, ds, 5);
 */
export function nearestTo(query: Float32Array, vectors: Float32Array[], ds: SpectrogramDataset, top: number): Match[] {
  const scored = vectors.map((v, index) => {
    let d = 0;
    for (let q = 0; q < v.length; q++) d += (v[q]! - query[q]!) ** 2;
    return { index, distance: Math.sqrt(d) };
  });
  scored.sort((a, b) => a.distance - b.distance);
  return scored.slice(0, Math.max(0, top)).map(({ index, distance }) => {
    const item = ds.manifest.items[index]!;
    return { index, source: item.source, offset: item.offset, label: item.label, distance };
  });
}
