/**
 * The WebGPU backend against the reference backends: each kernel training uses, run on the cpu backend and on
 * webgpu, and a few training steps of a tiny VAE on wasm and on webgpu. Shared by the tests (which assert the
 * tolerances) and scripts/device-webgpu.ts (which prints them on a GPU machine, where vitest does not run).
 */
import * as tf from '@tensorflow/tfjs';
import { rampBatch, TINY_SHAPE, tinyConfig } from '../model/test-fixture.ts';
import { createLocalEngine } from './engine.ts';
import { initBackend } from '../backend/backend.ts';
import { biasReluBn } from '../backend/kernels/bias-relu-bn.ts';

/** Largest difference relative to the largest value of `want`. */
export function relErr(got: Float32Array, want: Float32Array): number {
  let scale = 1e-6;
  let err = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]!));
    err = Math.max(err, Math.abs(got[i]! - want[i]!));
  }
  return err / scale;
}

/** Runs `fn` on a backend and returns its results as plain arrays. */
async function on(backend: string, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(fn);
  const data = await Promise.all(out.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(out);
  return data;
}

/** The same random tensor on every backend. */
const rnd = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);

/** A value and the gradients of sum(value * r) for a fixed random r, so every gradient path runs. */
function withGrads(inputs: tf.Tensor[], f: (...t: tf.Tensor[]) => tf.Tensor): tf.Tensor[] {
  const y = f(...inputs);
  const r = rnd(y.shape, 99);
  return [y, ...tf.grads((...t: tf.Tensor[]) => tf.sum(tf.mul(f(...t), r)))(inputs)];
}

/** Each kernel case: the outputs (value, then gradients) it computes. */
export const KERNEL_CASES: Record<string, () => tf.Tensor[]> = {
  'conv2d 2x2 stride, same': () => withGrads([rnd([2, 8, 6, 3], 1), rnd([3, 3, 3, 4], 2)], (x, k) => tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 2, 'same')),
  'conv2d (2, 1) stride, one channel': () =>
    withGrads([rnd([2, 7, 5, 1], 3), rnd([3, 3, 1, 4], 4)], (x, k) => tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, [2, 1], 'same')),
  'conv2dTranspose 2x2 stride': () =>
    withGrads([rnd([2, 4, 3, 4], 5), rnd([3, 3, 2, 4], 6)], (x, k) => tf.conv2dTranspose(x as tf.Tensor4D, k as tf.Tensor4D, [2, 8, 6, 2], 2, 'same')),
  'fused bias-ReLU-BatchNorm': () =>
    withGrads([rnd([2, 5, 4, 3], 7), rnd([3], 8), rnd([3], 9), rnd([3], 10)], (z, b, g, e) => biasReluBn(z!, b!, g!, e!, 1e-3).y),
};

/** Relative error of each output of each kernel case, webgpu against cpu. */
export async function kernelErrors(): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [name, run] of Object.entries(KERNEL_CASES)) {
    const want = await on('cpu', run);
    const got = await on('webgpu', run);
    out[name] = got.map((g, i) => relErr(g, want[i]!));
  }
  return out;
}

/** The losses of `steps` training steps of a tiny VAE on a fixed batch, from the same seed, on `backend`. */
export async function lossCurve(backend: 'wasm' | 'webgpu', steps = 4): Promise<number[]> {
  await initBackend(backend);
  const engine = createLocalEngine({ config: tinyConfig(), inputShape: TINY_SHAPE, seed: 3 }, 'fused');
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) losses.push((await engine.trainStep(rampBatch(4), 4)).loss);
  await engine.dispose();
  return losses;
}
