/**
 * The convolutional VAE, read top to bottom:
 *
 *   encoder:  x [H, W, 1] -> (Conv2D same -> ReLU -> BatchNorm) x blocks -> grid [h, w, c] -> mu, log-variance
 *   sample:   z = mu + exp(logvar / 2) * eps
 *   decoder:  z -> grid [h, w, c] -> (Conv2DTranspose -> ReLU -> BatchNorm) mirroring the encoder
 *             -> Conv2DTranspose to 1 channel -> sigmoid
 *   loss:     weight * MSE (or L1) + beta * KL,  KL = -0.5 * sum(1 + logvar - mu^2 - exp(logvar))
 *
 * The bottleneck (grid <-> z) is either the tutorial's 'dense' one (flatten, dense layers, one vector per clip) or
 * 'time': a convolution spanning the grid's height gives `latent` values per grid column (time step), so z is a
 * short sequence of vectors, flattened time-major to [w * latent] at the model's boundary.
 *
 * Encoder and decoder are separate tf.LayersModels so each saves in the standard tfjs layers format.
 * Layer names are fixed (not tfjs's global counters) so weights match by name across builds and checkpoints.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import type { ReconstructionLoss, Stride, VaeConfig } from './vae-config.ts';

export interface Vae {
  config: VaeConfig;
  /** [height, width] of one spectrogram. */
  inputShape: [number, number];
  /** x [N, H, W, 1] -> [mu [N, latent], logvar [N, latent]] */
  encoder: tf.LayersModel;
  /** z [N, latent] -> x̂ [N, H, W, 1] in (0, 1) */
  decoder: tf.LayersModel;
}

/** The encoder's output grid [height, width, channels] before flattening (the decoder reshapes to it). */
export function bottleneckShape(config: VaeConfig, inputShape: [number, number]): [number, number, number] {
  checkConfig(config);
  const [height, width] = inputShape;
  const strideH = config.strides.reduce((p, s) => p * s[0], 1);
  const strideW = config.strides.reduce((p, s) => p * s[1], 1);
  // Same padding gives ceil(n / stride) per block; the transposed convs multiply back, so the input must divide.
  if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0) {
    throw new UserError(`input shape ${height}x${width} is not a positive size`);
  }
  if (height % strideH !== 0 || width % strideW !== 0) {
    throw new UserError(`input shape ${height}x${width} does not fit the model's strides: height must be a multiple of ${strideH} and width of ${strideW}`);
  }
  return [height / strideH, width / strideW, config.filters[config.filters.length - 1]!];
}

function checkConfig(config: VaeConfig): void {
  const n = config.filters.length;
  if (n === 0) throw new UserError('the model needs at least one conv block (filters is empty)');
  if (config.kernels.length !== n || config.strides.length !== n) {
    throw new UserError(`filters, kernels and strides must have the same length (got ${n}, ${config.kernels.length}, ${config.strides.length})`);
  }
  if (!(config.latent >= 1)) throw new UserError(`latent size must be at least 1 (got ${config.latent})`);
}

/**
 * Values in one latent code z: `latent` for the dense bottleneck, `latent` per grid column for 'time'.
 * @example latentSize(VAE_PRESETS.default, [256, 64]) // 16 time steps x 32 = 512
 */
export function latentSize(config: VaeConfig, inputShape: [number, number]): number {
  return config.bottleneck === 'time' ? config.latent * bottleneckShape(config, inputShape)[1] : config.latent;
}

/** One conv block of the architecture: its layers' names, shape and initialiser. */
export interface ConvBlock {
  /** The Conv2D (encoder) or Conv2DTranspose (decoder) layer; its variables are `${conv}/kernel` and `${conv}/bias`. */
  conv: string;
  /** The ReLU and BatchNorm layers after it; absent on the decoder's output block (a sigmoid follows it instead). */
  relu?: string;
  bn?: string;
  filters: number;
  kernel: number;
  stride: Stride;
  /** Index of the seeded Glorot initialiser (`glorot(seed, init)`). */
  init: number;
}

/** The conv blocks of a VAE, in the order they run, and the grid between encoder and decoder. */
export interface VaeArchitecture {
  /** The encoder's output grid [height, width, channels] (`bottleneckShape`). */
  grid: [number, number, number];
  /** Conv2D(same) -> ReLU -> BatchNorm per block. */
  encoder: ConvBlock[];
  /** Conv2DTranspose(same) -> ReLU -> BatchNorm, block i undoing encoder block i from the deepest up (block 0 excluded). */
  decoder: ConvBlock[];
  /** Conv2DTranspose(same) to one channel, undoing encoder block 0; then a sigmoid. */
  output: ConvBlock;
}

/**
 * The one definition of the VAE's conv blocks: `buildEncoder`/`buildDecoder` make tf.layers from it and the fused
 * training pass (vae-train.ts) runs the same blocks op by op, so the two cannot drift apart.
 * @throws UserError when the input shape does not fit the strides.
 * @example vaeArchitecture(VAE_PRESETS.default, [256, 64]).decoder[0].conv // 'decoder_conv_transpose_layer_1'
 */
export function vaeArchitecture(config: VaeConfig, inputShape: [number, number]): VaeArchitecture {
  const grid = bottleneckShape(config, inputShape);
  const n = config.filters.length;
  const encoder = config.filters.map((filters, i) => {
    const k = i + 1;
    return {
      conv: `encoder_conv_layer_${k}`,
      relu: `encoder_relu_${k}`,
      bn: `encoder_bn_${k}`,
      filters,
      kernel: config.kernels[i]!,
      stride: config.strides[i]!,
      init: k,
    };
  });
  const decoder: ConvBlock[] = [];
  for (let i = n - 1; i >= 1; i--) {
    const k = n - i;
    const names = { conv: `decoder_conv_transpose_layer_${k}`, relu: `decoder_relu_${k}`, bn: `decoder_bn_${k}` };
    decoder.push({ ...names, filters: config.filters[i]!, kernel: config.kernels[i]!, stride: config.strides[i]!, init: 300 + k });
  }
  const output = { conv: `decoder_conv_transpose_layer_${n}`, filters: 1, kernel: config.kernels[0]!, stride: config.strides[0]!, init: 300 + n };
  return { grid, encoder, decoder, output };
}

/** Seeded Glorot-uniform initialiser; each layer gets its own derived seed so layers differ but builds repeat. */
function glorot(seed: number, layer: number): tf.serialization.Serializable {
  return tf.initializers.glorotUniform({ seed: seed * 1009 + layer });
}

/** Builds the encoder: blocks of Conv2D(same) -> ReLU -> BatchNorm, flatten, dense mu and dense log-variance. */
export function buildEncoder(config: VaeConfig, inputShape: [number, number], seed = 0): tf.LayersModel {
  const arch = vaeArchitecture(config, inputShape);
  const input = tf.input({ shape: [inputShape[0], inputShape[1], 1], name: 'encoder_input' });
  let x: tf.SymbolicTensor = input;
  for (const b of arch.encoder) {
    x = tf.layers
      .conv2d({ filters: b.filters, kernelSize: b.kernel, strides: b.stride, padding: 'same', kernelInitializer: glorot(seed, b.init) as never, name: b.conv })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ name: b.relu }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: b.bn }).apply(x) as tf.SymbolicTensor;
  }
  if (config.bottleneck === 'time') {
    // One latent vector per grid column: a conv as tall as the grid, then time-major flattening.
    const [gridH] = arch.grid;
    const column = (name: string, layer: number) =>
      tf.layers
        .flatten({ name: `${name}_flatten` })
        .apply(
          tf.layers
            .conv2d({ filters: config.latent, kernelSize: [gridH, 1], padding: 'valid', kernelInitializer: glorot(seed, layer) as never, name })
            .apply(x),
        ) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: [column('mu', 100), column('log_variance', 101)], name: 'encoder' });
  }
  x = tf.layers.flatten({ name: 'encoder_flatten' }).apply(x) as tf.SymbolicTensor;
  const mu = tf.layers.dense({ units: config.latent, kernelInitializer: glorot(seed, 100) as never, name: 'mu' }).apply(x);
  const logvar = tf.layers.dense({ units: config.latent, kernelInitializer: glorot(seed, 101) as never, name: 'log_variance' }).apply(x);
  return tf.model({ inputs: input, outputs: [mu as tf.SymbolicTensor, logvar as tf.SymbolicTensor], name: 'encoder' });
}

/** Builds the decoder: dense -> reshape -> Conv2DTranspose blocks mirroring the encoder -> 1 channel -> sigmoid. */
export function buildDecoder(config: VaeConfig, inputShape: [number, number], seed = 0): tf.LayersModel {
  const arch = vaeArchitecture(config, inputShape);
  const { grid } = arch;
  const input = tf.input({ shape: [latentSize(config, inputShape)], name: 'decoder_input' });
  let x: tf.SymbolicTensor;
  if (config.bottleneck === 'time') {
    // Each time step's vector back to a grid column: the transpose of the encoder's tall convolution.
    x = tf.layers.reshape({ targetShape: [1, grid[1], config.latent], name: 'decoder_reshape' }).apply(input) as tf.SymbolicTensor;
    x = tf.layers
      .conv2dTranspose({ filters: grid[2], kernelSize: [grid[0], 1], padding: 'valid', kernelInitializer: glorot(seed, 200) as never, name: 'decoder_dense' })
      .apply(x) as tf.SymbolicTensor;
  } else {
    x = tf.layers
      .dense({ units: grid[0] * grid[1] * grid[2], kernelInitializer: glorot(seed, 200) as never, name: 'decoder_dense' })
      .apply(input) as tf.SymbolicTensor;
    x = tf.layers.reshape({ targetShape: grid, name: 'decoder_reshape' }).apply(x) as tf.SymbolicTensor;
  }
  const transpose = (b: ConvBlock, from: tf.SymbolicTensor) =>
    tf.layers
      .conv2dTranspose({
        filters: b.filters,
        kernelSize: b.kernel,
        strides: b.stride,
        padding: 'same',
        kernelInitializer: glorot(seed, b.init) as never,
        name: b.conv,
      })
      .apply(from) as tf.SymbolicTensor;
  for (const b of arch.decoder) {
    x = transpose(b, x);
    x = tf.layers.reLU({ name: b.relu }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: b.bn }).apply(x) as tf.SymbolicTensor;
  }
  x = transpose(arch.output, x);
  const output = tf.layers.activation({ activation: 'sigmoid', name: 'sigmoid_layer' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'decoder' });
}

/**
 * Builds encoder and decoder with seeded weights: the same seed on the same backend gives the same weights.
 * Throws UserError when the input shape does not fit the strides.
 * @example
 * const vae = buildVae(VAE_PRESETS.default, [256, 64], 42);
 */
export function buildVae(config: VaeConfig, inputShape: [number, number], seed = 0): Vae {
  return { config, inputShape, encoder: buildEncoder(config, inputShape, seed), decoder: buildDecoder(config, inputShape, seed) };
}

/** Frames one latent step spans: the product of the blocks' time strides. */
export function framesPerStep(config: VaeConfig): number {
  return config.strides.reduce((p, s) => p * s[1], 1);
}

/**
 * The same trained model for spectrograms `frames` wide: possible with the 'time' bottleneck, whose every layer
 * slides along time, so the weights fit any width that the time strides divide. Sounds of any length encode and
 * decode in one pass (the code is `latent` values per step, `frames / framesPerStep` steps).
 * @throws UserError for a dense bottleneck (its dense layers fix the width) or a width the strides do not divide.
 * @example const long = widenVae(vae, 256); // 4 clips of 64 frames in one spectrogram
 */
export function widenVae(vae: Vae, frames: number): Vae {
  if (vae.config.bottleneck !== 'time') {
    throw new UserError(
      "only a model with a latent per time step (bottleneck 'time', the default) takes sounds of other lengths; this one has a dense bottleneck",
    );
  }
  if (frames === vae.inputShape[1]) return vae;
  const wide = buildVae(vae.config, [vae.inputShape[0], frames]);
  wide.encoder.setWeights(vae.encoder.getWeights());
  wide.decoder.setWeights(vae.decoder.getWeights());
  return wide;
}

/** z = mu + exp(logvar / 2) * eps, eps ~ N(0, 1) (seeded when `seed` is given). */
export function reparameterize(mu: tf.Tensor2D, logvar: tf.Tensor2D, seed?: number): tf.Tensor2D {
  return tf.tidy(() => {
    const eps = tf.randomNormal(mu.shape, 0, 1, 'float32', seed);
    return tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps)) as tf.Tensor2D;
  });
}

/** The loss and its parts as scalar tensors, averaged over the batch. */
export interface LossTensors {
  loss: tf.Scalar;
  reconstruction: tf.Scalar;
  kl: tf.Scalar;
}

/**
 * loss = weight * error + klWeight * KL, averaged over the batch. The error (MSE, or mean absolute error for
 * `l1`) is per element, weighted by exp(emphasis (x - 1)) when `emphasis` > 0; KL is summed over latent
 * dimensions. `klWeight` is beta, times any warm-up ramp.
 */
export function vaeLoss(
  x: tf.Tensor,
  recon: tf.Tensor,
  mu: tf.Tensor2D,
  logvar: tf.Tensor2D,
  weight: number,
  kind: ReconstructionLoss = 'mse',
  klWeight = 1,
  emphasis = 0,
  spectralWeight = 0,
): LossTensors {
  return tf.tidy(() => {
    const raw = kind === 'l1' ? tf.abs(tf.sub(x, recon)) : tf.squaredDifference(x, recon);
    const error = emphasis > 0 ? tf.mul(raw, tf.exp(tf.mul(tf.sub(x, 1), emphasis))) : raw;
    let reconstruction = tf.mean(error) as tf.Scalar;
    if (spectralWeight > 0) reconstruction = tf.add(reconstruction, tf.mul(spectralWeight, spectralConvergenceLoss(x, recon))) as tf.Scalar;
    const klPerItem = tf.mul(-0.5, tf.sum(tf.sub(tf.add(1, logvar), tf.add(tf.square(mu), tf.exp(logvar))), 1));
    const kl = tf.mean(klPerItem) as tf.Scalar;
    const loss = tf.add(tf.mul(weight, reconstruction), tf.mul(klWeight, kl)) as tf.Scalar;
    return { loss, reconstruction, kl };
  });
}

/** Normalised units to natural-log magnitude: [0, 1] spans 80 dB (the presets' top_db), 80 / 20 * ln 10. */
const LOG_MAGNITUDE_PER_UNIT = (80 / 20) * Math.LN10;

/**
 * Mean over items of ||m̂ - m||_F / ||m||_F with m = exp(c (x - 1)): the spectral convergence of the magnitudes the
 * normalised spectrograms stand for (up to the item's gain, which cancels).
 */
export function spectralConvergenceLoss(x: tf.Tensor, recon: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const n = x.shape[0]!;
    const m = tf.reshape(tf.exp(tf.mul(tf.sub(x, 1), LOG_MAGNITUDE_PER_UNIT)), [n, -1]);
    const mHat = tf.reshape(tf.exp(tf.mul(tf.sub(recon, 1), LOG_MAGNITUDE_PER_UNIT)), [n, -1]);
    const num = tf.sqrt(tf.add(tf.sum(tf.squaredDifference(mHat, m), 1), 1e-12));
    const den = tf.sqrt(tf.add(tf.sum(tf.square(m), 1), 1e-12));
    return tf.mean(tf.div(num, den)) as tf.Scalar;
  });
}

/** Default number of items run through a model at once by encode/decode (bounds memory). */
export const DEFAULT_INFERENCE_BATCH = 32;

/**
 * Encodes x [N, H, W] or [N, H, W, 1] in chunks, in inference mode. Returns mu and logvar [N, latent].
 * @example
 * const { mu } = encode(vae, spectrograms);  // mu: [N, latent]
 */
export function encode(vae: Vae, x: tf.Tensor, batchSize = DEFAULT_INFERENCE_BATCH): { mu: tf.Tensor2D; logvar: tf.Tensor2D } {
  const [h, w] = vae.inputShape;
  const n = x.shape[0]!;
  if (x.size !== n * h * w) throw new UserError(`encode expects items of ${h}x${w}, got shape [${x.shape.join(', ')}]`);
  const size = latentSize(vae.config, vae.inputShape);
  if (n === 0) return { mu: tf.zeros([0, size]), logvar: tf.zeros([0, size]) };
  const mus: tf.Tensor[] = [];
  const logvars: tf.Tensor[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    tf.tidy(() => {
      const chunk = tf.reshape(tf.slice(tf.reshape(x, [n, h * w]), [start, 0], [count, h * w]), [count, h, w, 1]);
      const [mu, logvar] = vae.encoder.predict(chunk) as tf.Tensor[];
      mus.push(tf.keep(mu!));
      logvars.push(tf.keep(logvar!));
    });
  }
  const result = { mu: tf.concat(mus, 0) as tf.Tensor2D, logvar: tf.concat(logvars, 0) as tf.Tensor2D };
  tf.dispose([...mus, ...logvars]);
  return result;
}

/**
 * Decodes z [N, latent] in chunks, in inference mode, to spectrograms [N, H, W] with values in (0, 1).
 * @example
 * const x = decode(vae, tf.randomNormal([8, vae.config.latent]));
 */
export function decode(vae: Vae, z: tf.Tensor2D, batchSize = DEFAULT_INFERENCE_BATCH): tf.Tensor3D {
  const [h, w] = vae.inputShape;
  const [n, latent] = z.shape;
  const size = latentSize(vae.config, vae.inputShape);
  if (latent !== size) throw new UserError(`decode expects latent vectors of ${size}, got ${latent}`);
  if (n === 0) return tf.zeros([0, h, w]);
  const parts: tf.Tensor[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    parts.push(tf.tidy(() => tf.reshape(vae.decoder.predict(tf.slice(z, [start, 0], [count, latent])) as tf.Tensor, [count, h, w])));
  }
  const result = tf.concat(parts, 0) as tf.Tensor3D;
  tf.dispose(parts);
  return result;
}

/** One weight as plain data, named by its layer ("encoder_conv_layer_1/kernel"). */
export interface NamedWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Every weight of encoder then decoder (trainable and BatchNorm moving statistics), by stable name. */
export function vaeVariables(vae: Vae): tf.LayerVariable[] {
  return [...vae.encoder.weights, ...vae.decoder.weights];
}

/** Copies every weight out as plain data (for checkpoints and worker threads). */
export function getVaeWeights(vae: Vae): NamedWeight[] {
  return vaeVariables(vae).map((v) => ({ name: v.originalName, shape: [...v.shape] as number[], data: v.read().dataSync() as Float32Array }));
}

/**
 * Loads weights by name into a Vae built with the same config and input shape.
 * Throws UserError naming the first missing or mismatched weight.
 */
export function setVaeWeights(vae: Vae, weights: NamedWeight[]): void {
  const byName = new Map(weights.map((w) => [w.name, w]));
  for (const v of vaeVariables(vae)) {
    const w = byName.get(v.originalName);
    if (!w) throw new UserError(`weights do not match the model: '${v.originalName}' is missing`);
    const expected = v.shape.join('x');
    if (w.shape.join('x') !== expected || w.data.length !== v.shape.reduce((p: number, d) => p * (d ?? 1), 1)) {
      throw new UserError(`weights do not match the model: '${v.originalName}' is ${w.shape.join('x')}, expected ${expected}`);
    }
  }
  for (const v of vaeVariables(vae)) {
    const t = tf.tensor(byName.get(v.originalName)!.data, v.shape as number[]);
    v.write(t); // the variable takes its own reference
    t.dispose();
  }
}
