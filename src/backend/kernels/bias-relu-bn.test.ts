import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.ts';
import { biasReluBn } from './bias-relu-bn.ts';

/** The same block composed from plain tfjs ops: the reference. */
function composed(z: tf.Tensor, bias: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const a = tf.relu(tf.add(z, bias));
  const { mean, variance } = tf.moments(a, [0, 1, 2]);
  return tf.batchNorm(a, mean, variance, beta, gamma, eps);
}

async function run(backend: string, fused: boolean): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(() => {
    const z = tf.randomNormal([3, 4, 5, 6], 0, 1, 'float32', 1);
    const bias = tf.randomNormal([6], 0, 0.5, 'float32', 2);
    const gamma = tf.randomUniform([6], 0.5, 1.5, 'float32', 3);
    const beta = tf.randomNormal([6], 0, 1, 'float32', 4);
    const r = tf.randomNormal([3, 4, 5, 6], 0, 1, 'float32', 5);
    const f = (a: tf.Tensor, b: tf.Tensor, g: tf.Tensor, be: tf.Tensor) => (fused ? biasReluBn(a, b, g, be, 1e-3).y : composed(a, b, g, be, 1e-3));
    const y = f(z, bias, gamma, beta);
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, g: tf.Tensor, be: tf.Tensor) => tf.sum(tf.mul(f(a, b, g, be), r)))([z, bias, gamma, beta]);
    const stats = fused ? biasReluBn(z, bias, gamma, beta, 1e-3) : undefined;
    if (stats) tf.dispose([stats.mean, stats.variance]); // kept by the op
    const fresh = fused ? biasReluBn(z, bias, gamma, beta, 1e-3) : undefined;
    const { mean, variance } = tf.moments(tf.relu(tf.add(z, bias)), [0, 1, 2]);
    return [y, ...grads, fresh ? fresh.mean : mean, fresh ? fresh.variance : variance];
  });
  const data = out.map((t) => t.dataSync() as Float32Array);
  tf.dispose(out);
  return data;
}

describe('fused bias -> ReLU -> BatchNorm kernel', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it.each(['cpu', 'wasm'])('matches tfjs ops (output, 4 gradients, batch statistics) on %s', async (backend) => {
    const reference = await run('cpu', false);
    const fused = await run(backend, true);
    const names = ['y', 'dz', 'dbias', 'dgamma', 'dbeta', 'mean', 'variance'];
    reference.forEach((ref, i) => {
      let scale = 1e-6;
      for (const v of ref) scale = Math.max(scale, Math.abs(v));
      let err = 0;
      for (let j = 0; j < ref.length; j++) err = Math.max(err, Math.abs(ref[j]! - fused[i]![j]!));
      expect(err / scale, names[i]).toBeLessThan(1e-4);
    });
  });
});
