/**
 * "bias -> ReLU -> BatchNorm (training mode)" as one op with a hand-written gradient, for any backend.
 *
 * Why: composed from tfjs ops, BatchNorm's gradient spends most of a wasm training step in single-threaded
 * Tile / Sum / Mean passes over the largest activations (a Sum over N, H, W even transposes the tensor first).
 * Here every per-channel mean is a global average pool (XNNPACK: 2.8 ms where Sum takes 34 ms and a matrix
 * product with ones 28 ms, on 16x128x32x64), and every other step is a plain elementwise op (SIMD), so each
 * direction is a handful of passes over the data. (Plain JavaScript loops over the wasm heap: 3-4x slower.)
 *
 *   forward:  a = max(z + bias, 0);  mean, var over all but the last axis;  y = gamma * (a - mean) / sqrt(var + eps) + beta
 *   backward: dbeta = sum(dy);  dgamma = invstd * sum(dy * (a - mean))
 *             da = gamma * invstd * (dy - dbeta / M - (a - mean) * invstd * dgamma / M);  dz = a > 0 ? da : 0;  dbias = sum(dz)
 */
import * as tf from '@tensorflow/tfjs';

/** Per-channel means of x [N, H, W, C] as [1, C]: a global average pool, then a mean over the (small) batch. */
function channelMeans(x: tf.Tensor4D): tf.Tensor2D {
  const [n, h, w, c] = x.shape;
  return tf.reshape(tf.mean(tf.reshape(tf.avgPool(x, [h, w], 1, 'valid'), [n, c]), 0), [1, c]);
}

/**
 * y = BatchNorm(ReLU(z + bias)) in training mode for z [N, H, W, C], normalising over N, H and W; also returns the
 * batch mean and (biased) variance of ReLU(z + bias), for the moving averages (no gradient flows through those).
 * @example
 * const { y, mean, variance } = biasReluBn(tf.conv2d(x, kernel, 2, 'same'), bias, gamma, beta, 1e-3);
 */
export function biasReluBn(
  z: tf.Tensor,
  bias: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  if (z.rank !== 4) throw new Error(`biasReluBn expects [N, H, W, C] input, got rank ${z.rank}`);
  const c = bias.shape[0]!;
  const m = z.size / c;
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [zIn, biasIn, gammaIn, betaIn] = args as tf.Tensor[];
    const save = args[4] as tf.GradSaveFunc;
    const a = tf.relu(tf.add(zIn!, biasIn!)) as tf.Tensor4D;
    const mean = channelMeans(a);
    // E[a^2] - mean^2: one pass fewer than centring first; after a ReLU the mean is not large against the spread.
    const variance = tf.relu(tf.sub(channelMeans(tf.square(a)), tf.square(mean)));
    const invstd = tf.rsqrt(tf.add(variance, epsilon));
    const scale = tf.mul(gammaIn!, invstd);
    const y = tf.add(tf.mul(a, scale), tf.sub(betaIn!, tf.mul(mean, scale)));
    stats = { mean: tf.keep(tf.reshape(mean, [c])), variance: tf.keep(tf.reshape(variance, [c])) };
    save([a, mean, invstd, gammaIn!]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [aS, meanS, invstdS, gammaS] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const sdy = tf.mul(channelMeans(dy as tf.Tensor4D), m);
        const sdya = tf.mul(channelMeans(tf.mul(dy, aS) as tf.Tensor4D), m);
        const dgamma = tf.mul(invstdS, tf.sub(sdya, tf.mul(meanS, sdy)));
        // da = k1 * dy + k2 * a + k3 per channel; where a = 0 (ReLU off) dz is 0, and k2 * a is already 0 there.
        const k1 = tf.mul(gammaS, invstdS);
        const k2 = tf.div(tf.mul(tf.neg(k1), tf.mul(invstdS, dgamma)), m);
        const k3 = tf.sub(tf.div(tf.mul(tf.neg(k1), sdy), m), tf.mul(k2, meanS));
        const dz = tf.add(tf.mul(tf.add(tf.mul(dy, k1), k3), tf.step(aS)), tf.mul(aS, k2));
        const dbias = tf.reshape(tf.mul(channelMeans(dz as tf.Tensor4D), m), [c]);
        return [dz, dbias, tf.reshape(dgamma, [c]), tf.reshape(sdy, [c])];
      },
    };
  });
  const y = op(z, bias, gamma, beta);
  return { y, ...stats! };
}
