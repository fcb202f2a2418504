/**
 * The training engine: one optimiser step at a time on plain Float32Array batches (see engine-types.ts).
 *
 * - Adam, written out here so its moments are plain named tensors (checkpoints, workers).
 * - Batches larger than fit are split into micro-batches whose gradients are averaged (weighted by size).
 *   BatchNorm normalises each micro-batch by its own statistics ("ghost batch norm", as data-parallel
 *   training does); the moving statistics are updated once per step with the micro-batches' averaged statistics.
 * - Seeded: the same seed on the same backend gives the same weights and the same noise at every step.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import { buildVae, getVaeWeights, latentSize, setVaeWeights, vaeLoss, type Vae } from '../model/vae.ts';
import { trainForward } from '../model/vae-train.ts';
import type { EngineOptions, EngineState, LossParts, TrainingEngine } from './engine-types.ts';
import { lrFactor, type LrSchedule } from './schedule.ts';

/** Adam hyper-parameters besides the learning rate (Keras defaults: the reference is a Keras model). */
export const DEFAULT_ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

/** Tensor memory one micro-batch may use. The wasm heap is capped at 4 GB (wasm32) and also holds weights. */
export const MICRO_BATCH_BUDGET_BYTES = { wasm: 2.0e9, other: 6e9 };

/**
 * Live floats per activation (layer output element) and item during a training step of the fused graph.
 * Measured on wasm with the reference model (10.8M activations per item): heap 0.87 GB at micro-batch 4,
 * 1.47 GB at 8, i.e. about 4.4 floats each; 5 leaves a margin. (tf.layers' own graph needs about 7.)
 */
const FLOATS_PER_ACTIVATION = 5;

/** Activations (floats) of one item through encoder and decoder. */
export function activationsPerItem(vae: Vae): number {
  let total = 0;
  for (const model of [vae.encoder, vae.decoder]) {
    for (const layer of model.layers) {
      const shape = layer.outputShape as (number | null)[] | (number | null)[][];
      const shapes = Array.isArray(shape[0]) ? (shape as (number | null)[][]) : [shape as (number | null)[]];
      for (const s of shapes) total += s.slice(1).reduce((p: number, d) => p * (d ?? 1), 1);
    }
  }
  return total;
}

/** The largest micro-batch that fits the backend's memory budget (at least 1). */
export function autoMicroBatch(vae: Vae, backend: string): number {
  const budget = backend === 'wasm' ? MICRO_BATCH_BUDGET_BYTES.wasm : MICRO_BATCH_BUDGET_BYTES.other;
  return Math.max(1, Math.floor(budget / (activationsPerItem(vae) * FLOATS_PER_ACTIVATION * 4)));
}

/** Splits `count` items into near-equal chunks of at most `micro` items: [start, size] pairs. */
export function splitBatch(count: number, micro: number): [number, number][] {
  const chunks = Math.ceil(count / micro);
  const out: [number, number][] = [];
  let start = 0;
  for (let i = 0; i < chunks; i++) {
    const size = Math.floor((count * (i + 1)) / chunks) - Math.floor((count * i) / chunks);
    out.push([start, size]);
    start += size;
  }
  return out;
}

/**
 * The reparameterisation noise of a whole step, from the run's seed and the step number: resuming at step k
 * repeats it, and it does not depend on how the batch is split into micro-batches.
 */
function stepNoise(seed: number, step: number, count: number, latent: number): tf.Tensor2D {
  const s = (Math.imul(seed, 2654435761) + Math.imul(step + 1, 40503)) >>> 0;
  return tf.randomNormal([count, latent], 0, 1, 'float32', s);
}

/**
 * How the training forward pass is built: `fused` (vae-train.ts: fused bias-ReLU-BatchNorm op, much faster on
 * wasm) or `layers` (the tf.layers models themselves: the reference the fused graph is tested against).
 */
export type TrainGraph = 'fused' | 'layers';

interface LocalOptions {
  seed: number;
  microBatch: number;
  graph: TrainGraph;
  lrSchedule?: LrSchedule;
  klAnnealSteps?: number;
}

/**
 * beta at optimiser step `step`: `klWeight` (default 1), ramped linearly from 0 over `annealSteps` steps when given
 * (KL annealing, Bowman et al. 2016: the decoder learns to use z before the KL term pulls it to the prior).
 */
export function klWeightAt(klWeight: number | undefined, annealSteps: number | undefined, step: number): number {
  const beta = klWeight ?? 1;
  return annealSteps && annealSteps > 0 ? beta * Math.min(1, step / annealSteps) : beta;
}

/** What a shard of a batch contributes to a step, each part weighted by the shard's share of the step. */
export interface StepContribution {
  /** Gradients of the trainable weights, in model order. */
  grads: tf.Tensor[];
  /** BatchNorm moving statistics after this step's update, in model order. */
  moving: tf.Tensor[];
  /** [loss, reconstruction, kl] */
  parts: tf.Tensor1D;
}

/**
 * The BatchNorm momentum at optimiser step `step`: min(momentum, (1 + step) / (10 + step)), as TensorFlow's
 * ExponentialMovingAverage does with num_updates. With a fixed 0.99 the moving statistics keep 0.99^t of their
 * initial values (mean 0, variance 1) after t steps, about 10 % after 230 steps, so short runs evaluate and
 * generate with statistics that were never measured; the warm-up makes early averages track the real ones.
 */
export function warmMomentum(momentum: number, step: number): number {
  return Math.min(momentum, (1 + step) / (10 + step));
}

/** The in-process engine: model, optimiser state and the step, on the active tfjs backend. */
export class LocalEngine implements TrainingEngine {
  private readonly trainable: tf.LayerVariable[];
  /** BatchNorm moving mean/variance: not trained by gradients, updated by the forward pass. */
  private readonly moving: tf.LayerVariable[];
  private moments: { m: tf.Tensor; v: tf.Tensor }[];
  private step = 0;
  /** Each BatchNorm layer and the momentum it was built with (warmMomentum ramps up to it). */
  private readonly batchNorms: { layer: { momentum: number }; momentum: number }[];

  constructor(
    private readonly vae: Vae,
    private readonly opts: LocalOptions,
  ) {
    const all = [...vae.encoder.weights, ...vae.decoder.weights];
    this.trainable = all.filter((w) => w.trainable);
    this.moving = all.filter((w) => !w.trainable);
    this.moments = this.trainable.map((w) => ({ m: tf.zerosLike(w.read()), v: tf.zerosLike(w.read()) }));
    this.batchNorms = [...vae.encoder.layers, ...vae.decoder.layers]
      .filter((l) => l.getClassName() === 'BatchNormalization')
      .map((l) => ({ layer: l as unknown as { momentum: number }, momentum: l.getConfig().momentum as number }));
  }

  private itemSize(): number {
    return this.vae.inputShape[0] * this.vae.inputShape[1];
  }

  private toTensor(batch: Float32Array, start: number, count: number): tf.Tensor4D {
    const [h, w] = this.vae.inputShape;
    const size = h * w;
    return tf.tensor4d(batch.subarray(start * size, (start + count) * size), [count, h, w, 1]);
  }

  private checkBatch(batch: Float32Array, count: number): void {
    if (!Number.isInteger(count) || count < 1) throw new UserError(`batch count must be a positive integer (got ${count})`);
    if (batch.length < count * this.itemSize()) {
      throw new UserError(`batch holds ${batch.length} values, fewer than ${count} items of ${this.vae.inputShape.join('x')}`);
    }
  }

  /** The forward pass and loss of one micro-batch, BatchNorm in training mode. */
  private lossOf(x: tf.Tensor4D, eps: tf.Tensor2D, training: boolean): { loss: tf.Scalar; parts: tf.Tensor1D } {
    const [mu, logvar] = this.vae.encoder.apply(x, { training }) as tf.Tensor2D[];
    const z = tf.add(mu!, tf.mul(tf.exp(tf.mul(logvar!, 0.5)), eps)) as tf.Tensor2D;
    const recon = this.vae.decoder.apply(z, { training }) as tf.Tensor;
    const c = this.vae.config;
    const l = vaeLoss(x, recon, mu!, logvar!, c.reconstructionWeight, c.reconstructionLoss, this.klWeight(training), c.lossEmphasis, c.spectralWeight);
    return { loss: l.loss, parts: tf.stack([l.loss, l.reconstruction, l.kl]) as tf.Tensor1D };
  }

  /** beta for this step while training; validation always reports the full weight, so epochs compare. */
  private klWeight(training: boolean): number {
    return klWeightAt(this.vae.config.klWeight, training ? this.opts.klAnnealSteps : undefined, this.step);
  }

  async trainStep(batch: Float32Array, count: number): Promise<LossParts> {
    this.checkBatch(batch, count);
    return this.finishStep(this.contribution(batch, count));
  }

  /**
   * What items [0, count) of `batch` contribute to a step of `total` items of which they are [offset, offset + count):
   * gradients, moving statistics and loss parts, each weighted by count / total so that shards sum to the step.
   * Changes nothing: finishStep applies the summed contributions.
   */
  contribution(batch: Float32Array, count: number, offset = 0, total = count): StepContribution {
    const chunks = splitBatch(count, this.opts.microBatch);
    const vars = this.trainable.map((w) => w.read() as tf.Variable);
    const start = this.moving.map((w) => tf.keep(w.read().clone()));
    const noise = tf.tidy(() =>
      tf.slice(stepNoise(this.opts.seed, this.step, total, latentSize(this.vae.config, this.vae.inputShape)), [offset, 0], [count, -1]),
    );
    let gradSum: tf.Tensor[] | undefined;
    let partSum: tf.Tensor | undefined;
    let movingSum: tf.Tensor[] | undefined;
    // tf.layers' own BatchNorm update (the 'layers' graph) reads the layer's momentum: give it this step's.
    for (const b of this.batchNorms) b.layer.momentum = warmMomentum(b.momentum, this.step);
    for (const [first, size] of chunks) {
      const share = size / total;
      // Every chunk starts from the step's moving statistics, so each contributes one momentum update.
      this.moving.forEach((w, i) => w.write(start[i]!));
      tf.tidy(() => {
        const x = this.toTensor(batch, first, size);
        const eps = tf.slice(noise, [first, 0], [size, -1]) as tf.Tensor2D;
        let parts!: tf.Tensor;
        let movingNext!: tf.Tensor[];
        const { grads } = tf.variableGrads(() => {
          if (this.opts.graph === 'fused') {
            const out = trainForward(this.vae, x, eps, this.klWeight(true));
            parts = tf.keep(out.parts);
            movingNext = this.movingAfter(start, out.bnStats).map((t) => tf.keep(t));
            tf.dispose(out.bnStats.flatMap((b) => [b.mean, b.variance])); // kept by the op, done with here
            return out.loss;
          }
          const out = this.lossOf(x, eps, true); // tf.layers updates the moving statistics itself
          parts = tf.keep(out.parts);
          return out.loss;
        }, vars);
        if (this.opts.graph === 'layers') movingNext = this.moving.map((w) => w.read());
        const scaled = vars.map((v) => tf.mul(grads[v.name]!, share));
        const nextGrad = gradSum ? scaled.map((g, i) => tf.add(gradSum![i]!, g)) : scaled;
        const nextPart = partSum ? tf.add(partSum, tf.mul(parts, share)) : tf.mul(parts, share);
        const movingNow = movingNext.map((m) => tf.mul(m, share));
        const nextMoving = movingSum ? movingNow.map((m, i) => tf.add(movingSum![i]!, m)) : movingNow;
        tf.dispose([...(gradSum ?? []), ...(movingSum ?? []), partSum as tf.Tensor, parts]);
        if (this.opts.graph === 'fused') tf.dispose(movingNext);
        gradSum = nextGrad.map((g) => tf.keep(g));
        partSum = tf.keep(nextPart);
        movingSum = nextMoving.map((m) => tf.keep(m));
      });
    }
    this.moving.forEach((w, i) => w.write(start[i]!));
    tf.dispose([...start, noise]);
    return { grads: gradSum!, moving: movingSum!, parts: partSum as tf.Tensor1D };
  }

  /** Applies a step's summed contributions (and disposes them): moving statistics, then Adam if the loss is finite. */
  async finishStep(c: StepContribution): Promise<LossParts> {
    const [loss, reconstruction, kl] = Array.from(await c.parts.data());
    // A non-finite loss leaves everything as it was, so the caller can stop with the last good state.
    if (Number.isFinite(loss)) {
      this.moving.forEach((w, i) => w.write(c.moving[i]!));
      this.applyAdam(c.grads);
    }
    tf.dispose([...c.grads, ...c.moving, c.parts]);
    return { loss: loss!, reconstruction: reconstruction!, kl: kl! };
  }

  /** Shapes of the tensors of a contribution, in order: trainable weights, then moving statistics. */
  contributionShapes(): { grads: number[][]; moving: number[][] } {
    return { grads: this.trainable.map((w) => [...w.shape] as number[]), moving: this.moving.map((w) => [...w.shape] as number[]) };
  }

  /** The moving statistics after one update from `start` with a batch's statistics, as tf.layers does it. */
  private movingAfter(start: tf.Tensor[], stats: { layer: string; mean: tf.Tensor; variance: tf.Tensor }[]): tf.Tensor[] {
    const byName = new Map<string, tf.Tensor>();
    for (const s of stats) {
      byName.set(`${s.layer}/moving_mean`, s.mean);
      byName.set(`${s.layer}/moving_variance`, s.variance);
    }
    return this.moving.map((w, i) => {
      const layer = w.originalName.split('/')[0]!;
      const base = this.batchNorms.find((b) => (b.layer as unknown as tf.layers.Layer).name === layer)?.momentum ?? 0.99;
      const momentum = warmMomentum(base, this.step);
      // moving -= (moving - batch) * (1 - momentum)
      return tf.sub(start[i]!, tf.mul(tf.sub(start[i]!, byName.get(w.originalName)!), 1 - momentum));
    });
  }

  /** One Adam update (bias-corrected, PyTorch's formulation) with the averaged gradients. */
  private applyAdam(grads: tf.Tensor[]): void {
    const { beta1, beta2, epsilon } = DEFAULT_ADAM;
    const t = this.step + 1;
    const lr = this.vae.config.learningRate * lrFactor(this.opts.lrSchedule, this.step);
    const c1 = 1 - beta1 ** t;
    const c2 = Math.sqrt(1 - beta2 ** t);
    const old = this.moments;
    this.moments = tf.tidy(() =>
      this.trainable.map((w, i) => {
        const g = grads[i]!;
        const { m, v } = this.moments[i]!;
        const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        const update = tf.div(tf.mul(m1, lr / c1), tf.add(tf.div(tf.sqrt(v1), c2), epsilon));
        w.write(tf.sub(w.read(), update));
        return { m: tf.keep(m1), v: tf.keep(v1) };
      }),
    );
    tf.dispose(old.flatMap((o) => [o.m, o.v]));
    this.step = t;
  }

  async evaluate(batch: Float32Array, count: number): Promise<LossParts> {
    return this.evaluateShard(batch, count, 0, count);
  }

  /** Inference-mode loss of items [offset, offset + count) of a batch of `total`, weighted by count / total. */
  async evaluateShard(batch: Float32Array, count: number, offset: number, total: number): Promise<LossParts> {
    this.checkBatch(batch, count);
    const chunks = splitBatch(count, this.opts.microBatch);
    const sum = tf.tidy(() => {
      // Fixed noise, so the same weights and batch always give the same validation loss.
      const noise = tf.slice(stepNoise(this.opts.seed, -2, total, latentSize(this.vae.config, this.vae.inputShape)), [offset, 0], [count, -1]);
      let acc = tf.zeros([3]);
      for (const [first, size] of chunks) {
        const x = this.toTensor(batch, first, size);
        const eps = tf.slice(noise, [first, 0], [size, -1]) as tf.Tensor2D;
        acc = tf.add(acc, tf.mul(this.lossOf(x, eps, false).parts, size / total));
      }
      return acc;
    });
    const [loss, reconstruction, kl] = Array.from(await sum.data());
    sum.dispose();
    return { loss: loss!, reconstruction: reconstruction!, kl: kl! };
  }

  async getState(): Promise<EngineState> {
    const optimizer = this.trainable.flatMap((w, i) => [
      { name: `${w.originalName}/m`, shape: [...this.moments[i]!.m.shape], data: this.moments[i]!.m.dataSync() as Float32Array },
      { name: `${w.originalName}/v`, shape: [...this.moments[i]!.v.shape], data: this.moments[i]!.v.dataSync() as Float32Array },
    ]);
    return { weights: getVaeWeights(this.vae), optimizer, step: this.step };
  }

  async setState(state: EngineState): Promise<void> {
    setVaeWeights(this.vae, state.weights);
    const byName = new Map(state.optimizer.map((o) => [o.name, o]));
    const moments = this.trainable.map((w) => {
      const pick = (suffix: string) => {
        const o = byName.get(`${w.originalName}/${suffix}`);
        if (!o || o.data.length !== w.read().size) {
          throw new UserError(`optimizer state does not match the model: '${w.originalName}/${suffix}' is missing or has the wrong size`);
        }
        return o;
      };
      return { m: pick('m'), v: pick('v') };
    });
    tf.dispose(this.moments.flatMap((m) => [m.m, m.v]));
    this.moments = moments.map((mv, i) => ({
      m: tf.tensor(mv.m.data, this.trainable[i]!.shape as number[]),
      v: tf.tensor(mv.v.data, this.trainable[i]!.shape as number[]),
    }));
    this.step = state.step;
  }

  async dispose(): Promise<void> {
    tf.dispose(this.moments.flatMap((m) => [m.m, m.v]));
    this.vae.encoder.dispose();
    this.vae.decoder.dispose();
  }
}

/** The in-process engine with a chosen training graph (create-engine.ts picks the fastest for the backend). */
export function createLocalEngine(opts: EngineOptions, graph: TrainGraph): LocalEngine {
  const vae = buildVae(opts.config, opts.inputShape, opts.seed);
  const microBatch = opts.microBatch && opts.microBatch > 0 ? opts.microBatch : autoMicroBatch(vae, tf.getBackend());
  return new LocalEngine(vae, { seed: opts.seed, microBatch, graph, lrSchedule: opts.lrSchedule, klAnnealSteps: opts.klAnnealSteps });
}
