/**
 * Architecture and optimiser settings of the convolutional VAE, with the presets in one place.
 */

/** How the learning rate moves over a run (train/schedule.ts turns it into factors per step). */
export type LrScheduleName = 'constant' | 'cosine';

/** Stride of one conv block: [along height (frequency), along width (time)]. */
export type Stride = [number, number];

export interface VaeConfig {
  /** Filters of each encoder block; the decoder mirrors them. */
  filters: number[];
  /** Square kernel size of each block. */
  kernels: number[];
  /** Stride of each block. */
  strides: Stride[];
  latent: number;
  /** Weight of the MSE term against KL: loss = weight * MSE + KL. */
  reconstructionWeight: number;
  learningRate: number;
  batchSize: number;
  /** How the learning rate moves over the run (src/train/schedule.ts); checkpoints without it ran 'constant'. */
  lrSchedule?: LrScheduleName;
  /**
   * How the conv grid becomes the latent code (absent = 'dense', the tutorial's):
   * - 'dense': flatten, then dense layers to one vector of `latent` values for the whole clip;
   * - 'time': a latent vector of `latent` values per time step of the grid (RAVE-like), made by a convolution
   *   spanning the grid's whole height; the code is `latent * gridWidth` values, local in time, so it keeps far
   *   more detail than one vector at the same cost.
   */
  bottleneck?: BottleneckKind;
  /** Reconstruction error per element (absent = 'mse'): 'l1' (mean absolute error) blurs less (a median, not a mean). */
  reconstructionLoss?: ReconstructionLoss;
  /**
   * Emphasis k on loud bins: each element's error is weighted by exp(k (x - 1)), x the target in [0, 1], so the
   * loudest bins (which dominate what is heard, and the spectral convergence) count e^k times the floor's.
   * Absent or 0: all bins alike (the tutorial's).
   */
  lossEmphasis?: number;
  /**
   * Weight of a spectral-convergence term on linear magnitudes, ||exp(c x̂) - exp(c x)|| / ||exp(c x)|| per item
   * with c for an 80 dB range (the multi-resolution STFT losses of Parallel WaveGAN, Yamamoto et al. 2020): the
   * log-domain error alone lets blur fill the valleys between harmonics, which is loud in linear terms.
   * Absent or 0: none (the tutorial's).
   */
  spectralWeight?: number;
  /** beta: the weight of the KL term (absent = 1, the tutorial's). */
  klWeight?: number;
  /** Epochs over which the KL weight ramps up linearly from 0 to `klWeight` (absent or 0 = no ramp). */
  klAnnealEpochs?: number;
}

export type BottleneckKind = 'dense' | 'time';
export type ReconstructionLoss = 'mse' | 'l1';

/**
 * `reference`: the original Keras tutorial's model, exactly (input 256 x 64 x 1).
 * `default`: a latent vector per time step (16 steps of 128 values for 64 frames), L1 error in the dB domain plus
 *   a spectral-convergence term on linear magnitudes, a cosine learning rate: on FSDD it reconstructs far sharper
 *   per CPU-minute than the tutorial's family (measured with `npm run bench -- quality`; table in the README).
 * `small`: the previous default, the tutorial's family made narrow for CPUs (filters 64..32, batch 16).
 */
export const VAE_PRESETS = {
  reference: {
    filters: [512, 256, 128, 64, 32],
    kernels: [3, 3, 3, 3, 3],
    strides: [
      [2, 2],
      [2, 2],
      [2, 2],
      [2, 2],
      [2, 1],
    ],
    latent: 128,
    reconstructionWeight: 1e6,
    learningRate: 5e-4,
    batchSize: 64,
  },
  default: {
    filters: [32, 64, 64, 64, 64],
    kernels: [3, 3, 3, 3, 3],
    strides: [
      [2, 2],
      [2, 2],
      [2, 1],
      [2, 1],
      [2, 1],
    ],
    // 128 per step: on FSDD in 27 min, SC -11.4 dB / LSD 2.67 dB against latent 32's -9.8 / 2.92 (README table)
    latent: 128,
    bottleneck: 'time',
    reconstructionLoss: 'l1',
    // 0.1, not 0.3: on FSDD at 8 min LSD 2.96 against 3.18 dB; in 25 min 2.48 dB, SC -11.2 (README table)
    spectralWeight: 0.1,
    reconstructionWeight: 1e6,
    learningRate: 2e-3,
    lrSchedule: 'cosine',
    batchSize: 16,
  },
  small: {
    filters: [64, 64, 64, 64, 32],
    kernels: [3, 3, 3, 3, 3],
    strides: [
      [2, 2],
      [2, 2],
      [2, 2],
      [2, 2],
      [2, 1],
    ],
    latent: 128,
    reconstructionWeight: 1e6,
    learningRate: 5e-4,
    batchSize: 16,
  },
} satisfies Record<string, VaeConfig>;

export type VaePresetName = keyof typeof VAE_PRESETS;

/**
 * What the input's height and width must be multiples of for every preset's strides to divide them evenly
 * (the product of the strides along each axis; their least common multiple over the presets).
 * @example shapeMultiple() // [32, 16]: the reference's four 2x2 and one 2x1 strides
 */
export function shapeMultiple(configs: readonly Pick<VaeConfig, 'strides'>[] = Object.values(VAE_PRESETS)): [number, number] {
  const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
  const lcm = (a: number, b: number) => (a / gcd(a, b)) * b;
  const product = (c: Pick<VaeConfig, 'strides'>, axis: 0 | 1) => c.strides.reduce((p, s) => p * s[axis], 1);
  return [configs.reduce((m, c) => lcm(m, product(c, 0)), 1), configs.reduce((m, c) => lcm(m, product(c, 1)), 1)];
}
