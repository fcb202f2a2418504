/** The model side of generation: batched encode and decode of plain arrays through a loaded VAE. */
import * as tf from '@tensorflow/tfjs';
import type { SpectrogramDataset } from '../dataset/store.ts';
import { decode, encode, latentSize, type Vae } from '../model/vae.ts';

/** Splits a flat [n, size] array into n views. */
function split(flat: Float32Array, n: number): Float32Array[] {
  const size = flat.length / n;
  return Array.from({ length: n }, (_, i) => flat.subarray(i * size, (i + 1) * size));
}

/**
 * Encodes normalised spectrograms (each bins x frames, bin-major, values in [0, 1]) in batches.
 * @returns the latent means and log-variances, one array per item.
 */
export function encodeItems(vae: Vae, items: Float32Array[]): { mu: Float32Array[]; logvar: Float32Array[] } {
  if (items.length === 0) return { mu: [], logvar: [] };
  const [h, w] = vae.inputShape;
  const flat = new Float32Array(items.length * h * w);
  items.forEach((x, i) => {
    if (x.length !== h * w) throw new RangeError(`item ${i} has ${x.length} values, the model takes ${h}x${w}`);
    flat.set(x, i * h * w);
  });
  const x = tf.tensor3d(flat, [items.length, h, w]);
  try {
    const { mu, logvar } = encode(vae, x);
    const out = { mu: split(mu.dataSync() as Float32Array, items.length), logvar: split(logvar.dataSync() as Float32Array, items.length) };
    tf.dispose([mu, logvar]);
    return out;
  } finally {
    x.dispose();
  }
}

/**
 * The latent means of dataset items, read and encoded `batch` at a time (memory: one batch of spectrograms).
 * @param onBatch hears how many items are encoded so far
 * @example
 * const mus = await encodeDatasetItems(vae, ds, ds.indices('validation'), 64);
 */
export async function encodeDatasetItems(
  vae: Vae,
  ds: SpectrogramDataset,
  indices: readonly number[],
  batch: number,
  onBatch: (done: number) => void = () => undefined,
): Promise<Float32Array[]> {
  const size = ds.shape[0] * ds.shape[1];
  const mus: Float32Array[] = [];
  for (let s = 0; s < indices.length; s += batch) {
    const idx = indices.slice(s, s + batch);
    const data = await ds.read(idx);
    mus.push(
      ...encodeItems(
        vae,
        idx.map((_, k) => data.subarray(k * size, (k + 1) * size)),
      ).mu,
    );
    onBatch(mus.length);
  }
  return mus;
}

/** Decodes latent vectors in batches to normalised spectrograms (bins x frames, bin-major, in (0, 1)). */
export function decodeLatents(vae: Vae, z: Float32Array[]): Float32Array[] {
  if (z.length === 0) return [];
  const latent = latentSize(vae.config, vae.inputShape);
  const flat = new Float32Array(z.length * latent);
  z.forEach((v, i) => flat.set(v, i * latent));
  const zt = tf.tensor2d(flat, [z.length, latent]);
  try {
    const x = decode(vae, zt);
    const out = split(x.dataSync() as Float32Array, z.length);
    x.dispose();
    return out;
  } finally {
    zt.dispose();
  }
}
