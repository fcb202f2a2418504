/**
 * The tiny VAE that the model and training tests share: two conv blocks on 8 x 4 "spectrograms", latent 3, small
 * enough that a training step takes milliseconds on the cpu backend.
 */
import type { VaeConfig } from './vae-config.ts';

/** Input shape [bins, frames] of `tinyConfig()`. */
export const TINY_SHAPE: [number, number] = [8, 4];

/** The tiny configuration, with what a test needs changed. */
export function tinyConfig(overrides: Partial<VaeConfig> = {}): VaeConfig {
  return {
    filters: [4, 3],
    kernels: [3, 3],
    strides: [
      [2, 2],
      [2, 1],
    ],
    latent: 3,
    reconstructionWeight: 100,
    learningRate: 1e-2,
    batchSize: 4,
    ...overrides,
  };
}

/** Smooth synthetic "spectrograms" in [0, 1] of `size` values each: a sine ramp per item, varied by `offset`. */
export function rampBatch(count: number, offset = 0, size = TINY_SHAPE[0] * TINY_SHAPE[1]): Float32Array {
  const out = new Float32Array(count * size);
  for (let n = 0; n < count; n++) for (let i = 0; i < size; i++) out[n * size + i] = 0.5 + 0.4 * Math.sin((i + 1) * (n + 1 + offset) * 0.37);
  return out;
}
