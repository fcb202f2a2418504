import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';

/** Runs `fn` on a backend and returns its results as plain arrays. */
async function on(backend: string, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(fn);
  const data = out.map((t) => t.dataSync() as Float32Array);
  tf.dispose(out);
  return data;
}

function maxRelErr(a: Float32Array, b: Float32Array): number {
  let scale = 1e-6;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let err = 0;
  for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i]! - b[i]!));
  return err / scale;
}

/** Random tensor made from a seed, identical on every backend. */
function rnd(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}

const STRIDES: [number, number][] = [
  [2, 2],
  [2, 1],
  [1, 1],
];
// Channels 1 take the single-channel filter-gradient path (first encoder layer, last decoder layer).
const CASES = STRIDES.flatMap((s) =>
  (['same', 'valid'] as const).flatMap((pad) => [
    { s, pad, hw: [8, 6] as const, ch: 3 },
    { s, pad, hw: [7, 5] as const, ch: 3 },
    { s, pad, hw: [8, 6] as const, ch: 1 },
    { s, pad, hw: [7, 5] as const, ch: 1 },
  ]),
);

describe('wasm extra kernels match the cpu backend', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it.each(CASES)('conv2d gradients, stride $s, pad $pad, input $hw, $ch channels', async ({ s, pad, hw, ch }) => {
    const fn = () => {
      const x = rnd([2, hw[0], hw[1], ch], 1);
      const f = rnd([3, 3, ch, 5], 2);
      const y = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, pad);
      const r = rnd(y.shape, 3);
      const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad), r)))([x, f]);
      return [dx!, df!];
    };
    const cpu = await on('cpu', fn);
    const wasm = await on('wasm', fn);
    expect(maxRelErr(wasm[0]!, cpu[0]!)).toBeLessThan(1e-5);
    expect(maxRelErr(wasm[1]!, cpu[1]!)).toBeLessThan(1e-5);
  });

  it.each(CASES.filter((c) => c.pad === 'same'))('conv2dTranspose forward and gradients, stride $s, input $hw, $ch out channels', async ({ s, hw, ch }) => {
    const out: [number, number, number, number] = [2, hw[0] * s[0], hw[1] * s[1], ch];
    const fn = () => {
      const x = rnd([2, hw[0], hw[1], 4], 4);
      const f = rnd([3, 3, ch, 4], 5); // [kh, kw, outChannels, inChannels]
      const y = tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, out, s, 'same');
      const r = rnd(y.shape, 6);
      const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, out, s, 'same'), r)))([
        x,
        f,
      ]);
      return [y, dx!, df!];
    };
    const cpu = await on('cpu', fn);
    const wasm = await on('wasm', fn);
    for (let i = 0; i < 3; i++) expect(maxRelErr(wasm[i]!, cpu[i]!)).toBeLessThan(1e-5);
  });

  it('frees every intermediate', async () => {
    await tf.setBackend('wasm');
    const x = rnd([2, 8, 6, 3], 1) as tf.Tensor4D;
    const f = rnd([3, 3, 3, 5], 2) as tf.Tensor4D;
    const ft = rnd([3, 3, 5, 3], 7) as tf.Tensor4D;
    const x1 = rnd([2, 8, 6, 1], 1) as tf.Tensor4D;
    const f1 = rnd([3, 3, 1, 5], 2) as tf.Tensor4D;
    const ids = () => tf.engine().backend.numDataIds();
    const before = ids();
    tf.dispose(tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')))([x, f]));
    tf.dispose(tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, [2, 1], 'same')))([x1, f1]));
    tf.dispose(tf.conv2dTranspose(x, ft, [2, 16, 12, 5], 2, 'same'));
    expect(ids()).toBe(before);
    tf.dispose([x, f, ft, x1, f1]);
  });
});
