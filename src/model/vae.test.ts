import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../errors.ts';
import { initBackend } from '../backend/backend.ts';
import {
  bottleneckShape,
  buildVae,
  decode,
  encode,
  getVaeWeights,
  latentSize,
  setVaeWeights,
  spectralConvergenceLoss,
  vaeArchitecture,
  vaeLoss,
  widenVae,
} from './vae.ts';
import type { VaeConfig } from './vae-config.ts';
import { tinyConfig, TINY_SHAPE } from './test-fixture.ts';

const TINY: VaeConfig = tinyConfig({ reconstructionWeight: 1000, learningRate: 1e-3 });
const SHAPE = TINY_SHAPE;

describe('conv VAE model', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('maps spectrograms to latent vectors and back to (0, 1)', () => {
    const vae = buildVae(TINY, SHAPE, 1);
    const x = tf.randomUniform([5, 8, 4, 1], 0, 1, 'float32', 3);
    const [mu, logvar] = vae.encoder.predict(x) as tf.Tensor[];
    expect(mu!.shape).toEqual([5, 3]);
    expect(logvar!.shape).toEqual([5, 3]);
    const y = vae.decoder.predict(mu!) as tf.Tensor;
    expect(y.shape).toEqual([5, 8, 4, 1]);
    const v = y.dataSync();
    expect(Math.min(...v)).toBeGreaterThan(0);
    expect(Math.max(...v)).toBeLessThan(1);
    expect(bottleneckShape(TINY, SHAPE)).toEqual([2, 2, 3]);
  });

  it('builds its layers from the one architecture definition, the decoder mirroring the encoder', () => {
    const config = tinyConfig({
      filters: [4, 3, 2],
      kernels: [3, 5, 3],
      strides: [
        [2, 2],
        [2, 1],
        [1, 2],
      ],
    });
    const arch = vaeArchitecture(config, [8, 8]);
    expect(arch.decoder.map((b) => [b.conv, b.filters, b.kernel, b.stride])).toEqual([
      ['decoder_conv_transpose_layer_1', 2, 3, [1, 2]],
      ['decoder_conv_transpose_layer_2', 3, 5, [2, 1]],
    ]);
    expect(arch.output).toMatchObject({ conv: 'decoder_conv_transpose_layer_3', filters: 1, kernel: 3, stride: [2, 2] });
    const vae = buildVae(config, [8, 8]);
    const names = (m: tf.LayersModel) => m.layers.map((l) => l.name);
    const blockNames = (bs: typeof arch.encoder) => bs.flatMap((b) => [b.conv, b.relu, b.bn]);
    expect(names(vae.encoder).slice(1, 1 + 3 * arch.encoder.length)).toEqual(blockNames(arch.encoder));
    const decoderBlocks = names(vae.decoder).filter((n) => /^decoder_(conv_transpose|relu|bn)/.test(n));
    expect(decoderBlocks).toEqual([...blockNames(arch.decoder), arch.output.conv]);
    for (const b of [...arch.encoder, ...arch.decoder, arch.output]) {
      const c = (b.conv.startsWith('encoder') ? vae.encoder : vae.decoder).getLayer(b.conv).getConfig();
      expect([c.filters, c.kernelSize, c.strides]).toEqual([b.filters, [b.kernel, b.kernel], b.stride]);
    }
    vae.encoder.dispose();
    vae.decoder.dispose();
  });

  it('rejects an input shape the strides do not divide, with a clear error', () => {
    expect(() => buildVae(TINY, [10, 4])).toThrow(UserError);
    expect(() => buildVae(TINY, [10, 4])).toThrow(/multiple of 4/);
    expect(() => buildVae({ ...TINY, kernels: [3] }, SHAPE)).toThrow(/same length/);
  });

  it('gives the same weights for the same seed and different ones for another', () => {
    const a = getVaeWeights(buildVae(TINY, SHAPE, 7));
    const b = getVaeWeights(buildVae(TINY, SHAPE, 7));
    const c = getVaeWeights(buildVae(TINY, SHAPE, 8));
    expect(a.map((w) => w.name)).toEqual(b.map((w) => w.name));
    a.forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(b[i]!.data)));
    expect(Array.from(a[0]!.data)).not.toEqual(Array.from(c[0]!.data));
    expect(a.map((w) => w.name)).toContain('encoder_bn_1/moving_mean');
  });

  it('runs BatchNorm in training mode only when asked', () => {
    const vae = buildVae(TINY, SHAPE, 1);
    const x = tf.randomUniform([4, 8, 4, 1], 0, 1, 'float32', 4);
    const [train] = vae.encoder.apply(x, { training: true }) as tf.Tensor[];
    const [infer] = vae.encoder.apply(x, { training: false }) as tf.Tensor[];
    const [predicted] = vae.encoder.predict(x) as tf.Tensor[];
    expect(Array.from(infer!.dataSync())).toEqual(Array.from(predicted!.dataSync()));
    const diff = tf.max(tf.abs(tf.sub(train!, infer!))).dataSync()[0]!;
    expect(diff).toBeGreaterThan(1e-4);
  });

  it('keeps a latent vector per time step with the time bottleneck', () => {
    const time = { ...TINY, bottleneck: 'time' as const };
    expect(latentSize(time, SHAPE)).toBe(2 * 3); // grid 2 x 2: two time steps of 3
    const vae = buildVae(time, SHAPE, 1);
    const x = tf.randomUniform([4, 8, 4, 1], 0, 1, 'float32', 3);
    const { mu } = encode(vae, x);
    expect(mu.shape).toEqual([4, 6]);
    expect(decode(vae, mu).shape).toEqual([4, 8, 4]);
    // The code is local in time: changing the input's last frames changes the last step's values.
    const later = tf.tidy(() => tf.concat([tf.slice(x, [0, 0, 0, 0], [4, 8, 2, 1]), tf.zeros([4, 8, 2, 1])], 2));
    const a = mu.arraySync() as number[][];
    const b = encode(vae, later).mu.arraySync() as number[][];
    expect(b[0]!.slice(3).some((v, i) => Math.abs(v - a[0]![3 + i]!) > 1e-4)).toBe(true);
  });

  it('weights loud bins by exp(k (x - 1)) and scores linear magnitudes with the spectral-convergence term', () => {
    const x = tf.tensor4d([1, 0], [1, 2, 1, 1]);
    const r = tf.tensor4d([0.9, 0.1], [1, 2, 1, 1]);
    const mu = tf.zeros([1, 1]) as tf.Tensor2D;
    const logvar = tf.zeros([1, 1]) as tf.Tensor2D;
    const plain = vaeLoss(x, r, mu, logvar, 1, 'l1').reconstruction.dataSync()[0]!;
    expect(plain).toBeCloseTo(0.1, 6);
    const loud = vaeLoss(x, r, mu, logvar, 1, 'l1', 1, 2).reconstruction.dataSync()[0]!;
    expect(loud).toBeCloseTo((0.1 * 1 + 0.1 * Math.exp(-2)) / 2, 6);
    // a perfect reconstruction has no spectral-convergence error; 0.9 for a top bin is 8 dB low: |10^(-8/20) - 1|
    expect(spectralConvergenceLoss(x, x).dataSync()[0]).toBeCloseTo(0, 4);
    const sc = spectralConvergenceLoss(x, r).dataSync()[0]!;
    expect(sc).toBeCloseTo(Math.abs(10 ** (-8 / 20) - 1), 2);
  });

  it('computes weight * MSE + KL with both parts', () => {
    const x = tf.tensor4d([0, 1, 0.5, 0.25], [2, 2, 1, 1]);
    const r = tf.tensor4d([0.5, 1, 0, 0.25], [2, 2, 1, 1]);
    const mu = tf.tensor2d([
      [1, 0],
      [0, 2],
    ]);
    const logvar = tf.tensor2d([
      [0, Math.log(2)],
      [0, 0],
    ]);
    const { loss, reconstruction, kl } = vaeLoss(x, r, mu, logvar, 10);
    const mse = (0.25 + 0 + 0.25 + 0) / 4;
    // item 1: -0.5 * ((1 + 0 - 1 - 1) + (1 + ln2 - 0 - 2)); item 2: -0.5 * ((1 - 0 - 1) + (1 - 4 - 1))
    const kl1 = -0.5 * (1 + 0 - 1 - 1 + (1 + Math.log(2) - 0 - 2));
    const kl2 = -0.5 * (1 - 0 - 1 + (1 - 4 - 1));
    expect(reconstruction.dataSync()[0]).toBeCloseTo(mse, 6);
    expect(kl.dataSync()[0]).toBeCloseTo((kl1 + kl2) / 2, 5);
    expect(loss.dataSync()[0]).toBeCloseTo(10 * mse + (kl1 + kl2) / 2, 4);
  });

  it('encodes and decodes in chunks exactly as in one go', () => {
    const vae = buildVae(TINY, SHAPE, 2);
    const x = tf.randomUniform([5, 8, 4], 0, 1, 'float32', 5);
    const whole = encode(vae, x, 100);
    const chunked = encode(vae, x, 2);
    expect(Array.from(chunked.mu.dataSync())).toEqual(Array.from(whole.mu.dataSync()));
    expect(Array.from(chunked.logvar.dataSync())).toEqual(Array.from(whole.logvar.dataSync()));
    const y1 = decode(vae, whole.mu, 100);
    const y2 = decode(vae, whole.mu, 3);
    expect(y1.shape).toEqual([5, 8, 4]);
    expect(Array.from(y2.dataSync())).toEqual(Array.from(y1.dataSync()));
    expect(() => decode(vae, tf.zeros([2, 5]) as tf.Tensor2D)).toThrow(/latent vectors of 3/);
    expect(decode(vae, tf.zeros([0, 3]) as tf.Tensor2D).shape).toEqual([0, 8, 4]);
    expect(encode(vae, tf.zeros([0, 8, 4])).mu.shape).toEqual([0, 3]);
  });

  it('loads weights by name and refuses mismatched ones', () => {
    const a = buildVae(TINY, SHAPE, 1);
    const b = buildVae(TINY, SHAPE, 2);
    setVaeWeights(b, getVaeWeights(a));
    const x = tf.randomUniform([2, 8, 4, 1], 0, 1, 'float32', 6);
    const [ma] = a.encoder.predict(x) as tf.Tensor[];
    const [mb] = b.encoder.predict(x) as tf.Tensor[];
    expect(Array.from(mb!.dataSync())).toEqual(Array.from(ma!.dataSync()));
    const other = getVaeWeights(buildVae({ ...TINY, filters: [5, 3] }, SHAPE, 1));
    expect(() => setVaeWeights(b, other)).toThrow(/encoder_conv_layer_1\/kernel' is 3x3x1x5, expected 3x3x1x4/);
    expect(() => setVaeWeights(b, other.slice(1))).toThrow(/is missing/);
  });
});

describe('a time-latent model at other lengths', () => {
  it('encodes a two-clip spectrogram in one pass, each end matching its own clip, and refuses a dense model', () => {
    const config: VaeConfig = { ...tinyConfig(), bottleneck: 'time', latent: 3 };
    const [h, w] = [16, 16];
    const vae = buildVae(config, [h, w], 4);
    const wide = widenVae(vae, 2 * w);
    expect(wide.inputShape).toEqual([h, 2 * w]);
    expect(latentSize(config, wide.inputShape)).toBe(2 * latentSize(config, vae.inputShape));
    const a = tf.randomUniform([1, h, w], 0, 1, 'float32', 1);
    const b = tf.randomUniform([1, h, w], 0, 1, 'float32', 2);
    const both = tf.concat([a, b], 2);
    const muA = encode(vae, a).mu.dataSync();
    const muB = encode(vae, b).mu.dataSync();
    const muBoth = encode(wide, both).mu.dataSync();
    const L = config.latent;
    // time-major codes: the first step sees only clip a, the last only clip b (the join lies beyond their reach)
    Array.from(muA.subarray(0, L)).forEach((v, i) => expect(muBoth[i]).toBeCloseTo(v, 4));
    Array.from(muB.subarray(muB.length - L)).forEach((v, i) => expect(muBoth[muBoth.length - L + i]).toBeCloseTo(v, 4));
    expect(decode(wide, tf.tensor2d(muBoth, [1, muBoth.length])).shape).toEqual([1, h, 2 * w]);
    expect(() => widenVae(buildVae(tinyConfig(), [h, w], 4), 2 * w)).toThrow(/latent per time step/);
  });
});
