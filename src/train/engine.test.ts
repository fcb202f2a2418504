import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/backend.ts';
import type { VaeConfig } from '../model/vae-config.ts';
import { rampBatch, tinyConfig, TINY_SHAPE } from '../model/test-fixture.ts';
import { createEngine } from './create-engine.ts';
import { createLocalEngine, splitBatch, type TrainGraph } from './engine.ts';
import type { EngineState } from './engine-types.ts';

const TINY: VaeConfig = tinyConfig();
const SHAPE = TINY_SHAPE;
const makeBatch = rampBatch;

function maxDiff(a: EngineState, b: EngineState, which: (name: string) => boolean = () => true): number {
  let d = 0;
  for (const part of ['weights', 'optimizer'] as const) {
    a[part].forEach((w, i) => {
      if (!which(w.name)) return;
      expect(b[part][i]!.name).toBe(w.name);
      for (let j = 0; j < w.data.length; j++) d = Math.max(d, Math.abs(w.data[j]! - b[part][i]!.data[j]!));
    });
  }
  return d;
}

describe('training engine (in-process)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('splits batches into near-equal micro-batches', () => {
    expect(splitBatch(10, 4)).toEqual([
      [0, 3],
      [3, 3],
      [6, 4],
    ]);
    expect(splitBatch(4, 4)).toEqual([[0, 4]]);
    expect(splitBatch(1, 8)).toEqual([[0, 1]]);
  });

  it('lowers the loss on a fixed batch and reports both parts', async () => {
    const engine = await createEngine({ config: TINY, inputShape: SHAPE, seed: 1 });
    const batch = makeBatch(4);
    const first = await engine.trainStep(batch, 4);
    expect(first.loss).toBeCloseTo(100 * first.reconstruction + first.kl, 2);
    let last = first;
    for (let i = 0; i < 30; i++) last = await engine.trainStep(batch, 4);
    expect(last.loss).toBeLessThan(first.loss * 0.8);
    const evaluated = await engine.evaluate(batch, 4);
    expect(Number.isFinite(evaluated.loss)).toBe(true);
    expect(await engine.evaluate(batch, 4)).toEqual(evaluated);
    await engine.dispose();
  });

  it('follows the learning-rate schedule: a factor of zero leaves the weights where they are', async () => {
    // cosine over one step to a floor of 0: the first update at full rate, every later one at rate 0
    const engine = await createEngine({ config: TINY, inputShape: SHAPE, seed: 2, lrSchedule: { kind: 'cosine', steps: 1, floor: 0 } });
    const weights = async () => (await engine.getState()).weights.filter((w) => /kernel/.test(w.name));
    const before = await weights();
    await engine.trainStep(makeBatch(4), 4);
    const after1 = await weights();
    await engine.trainStep(makeBatch(4, 1), 4);
    const after2 = await weights();
    const moved = (a: typeof before, b: typeof before) => Math.max(...a.map((w, i) => Math.max(...w.data.map((v, j) => Math.abs(v - b[i]!.data[j]!)))));
    expect(moved(before, after1)).toBeGreaterThan(1e-4);
    expect(moved(after1, after2)).toBe(0);
    await engine.dispose();
  });

  it('gives identical weights for the same seed, different for another', async () => {
    const run = async (seed: number) => {
      const engine = await createEngine({ config: TINY, inputShape: SHAPE, seed });
      for (let i = 0; i < 3; i++) await engine.trainStep(makeBatch(4, i), 4);
      const state = await engine.getState();
      await engine.dispose();
      return state;
    };
    const a = await run(5);
    expect(a.step).toBe(3);
    expect(maxDiff(a, await run(5))).toBe(0);
    expect(maxDiff(a, await run(6))).toBeGreaterThan(1e-3);
  });

  it('accumulates micro-batch gradients like one big batch', async () => {
    // Two identical halves: each micro-batch's BatchNorm statistics equal the whole batch's, so the results must agree.
    // One block: the decoder then has no BatchNorm, whose statistics would depend on the per-item noise.
    const oneBlock: VaeConfig = { ...TINY, filters: [4], kernels: [3], strides: [[2, 2]] };
    const half = makeBatch(3);
    const batch = new Float32Array(6 * 32);
    batch.set(half, 0);
    batch.set(half, 3 * 32);
    const whole = await createEngine({ config: oneBlock, inputShape: SHAPE, seed: 3, microBatch: 6 });
    const split = await createEngine({ config: oneBlock, inputShape: SHAPE, seed: 3, microBatch: 3 });
    const a = await whole.trainStep(batch, 6);
    const b = await split.trainStep(batch, 6);
    expect(b.loss).toBeCloseTo(a.loss, 3);
    // Adam's first step is about lr * sign(gradient), so compare what is linear in the gradient: the moments
    // (m = 0.1 g, v = 0.001 g^2) and the BatchNorm moving statistics.
    const linear = (name: string) => /\/(m|v)$|moving/.test(name);
    expect(maxDiff(await whole.getState(), await split.getState(), linear)).toBeLessThan(1e-6);
    await whole.dispose();
    await split.dispose();
  });

  /** Engine state after one step and the losses of two steps, on a backend and training graph. */
  async function graphState(backend: string, graph: TrainGraph, microBatch: number, config = TINY): Promise<{ state: EngineState; losses: number[] }> {
    await tf.setBackend(backend);
    const engine = createLocalEngine({ config, inputShape: SHAPE, seed: 4, microBatch, klAnnealSteps: config.klAnnealEpochs }, graph);
    const first = (await engine.trainStep(makeBatch(6), 6)).loss;
    const state = await engine.getState();
    const losses = [first, (await engine.trainStep(makeBatch(6, 2), 6)).loss];
    await engine.dispose();
    await tf.setBackend('cpu');
    return { state, losses };
  }

  function relDiff(a: EngineState, b: EngineState, which: (name: string) => boolean): number {
    let d = 0;
    for (const part of ['weights', 'optimizer'] as const) {
      a[part].forEach((w, i) => {
        if (!which(w.name)) return;
        let scale = 1e-12;
        for (const v of w.data) scale = Math.max(scale, Math.abs(v));
        for (let j = 0; j < w.data.length; j++) d = Math.max(d, Math.abs(w.data[j]! - b[part][i]!.data[j]!) / scale);
      });
    }
    return d;
  }

  // A latent per time step, L1 error and a ramped KL weight: the other branches of the fused graph.
  const TIME: VaeConfig = { ...TINY, bottleneck: 'time', reconstructionLoss: 'l1', lossEmphasis: 2, spectralWeight: 0.5, klWeight: 0.5, klAnnealEpochs: 3 };

  it.each([
    ['cpu', 6, 'dense'],
    ['cpu', 4, 'dense'],
    ['wasm', 6, 'dense'],
    ['cpu', 4, 'time'],
    ['wasm', 6, 'time'],
  ] as const)('the fused graph on %s (micro-batch %i, %s bottleneck) trains like the tf.layers model on cpu', async (backend, micro, kind) => {
    if (backend === 'wasm') await initBackend('wasm');
    const config = kind === 'time' ? TIME : TINY;
    const reference = await graphState('cpu', 'layers', micro, config);
    const fused = await graphState(backend, 'fused', micro, config);
    fused.losses.forEach((l, i) => expect(l).toBeCloseTo(reference.losses[i]!, 3));
    // After one step the Adam moments (m = 0.1 g, v = 0.001 g^2) carry the gradients and the moving statistics the
    // batch statistics. (The weights themselves moved by about lr * sign(g), too sensitive to rounding to compare.)
    expect(relDiff(fused.state, reference.state, (n) => /\/(m|v)$|moving/.test(n))).toBeLessThan(1e-4);
  });

  it('resumes exactly from a saved state', async () => {
    const a = await createEngine({ config: TINY, inputShape: SHAPE, seed: 9 });
    await a.trainStep(makeBatch(4), 4);
    const saved = await a.getState();
    await a.trainStep(makeBatch(4, 1), 4);
    const b = await createEngine({ config: TINY, inputShape: SHAPE, seed: 9 });
    await b.setState(saved);
    await b.trainStep(makeBatch(4, 1), 4);
    expect(maxDiff(await a.getState(), await b.getState())).toBe(0);
    await expect(b.setState({ ...saved, optimizer: saved.optimizer.slice(2) })).rejects.toThrow(/optimizer state does not match/);
    await a.dispose();
    await b.dispose();
  });

  it('refuses a batch smaller than it claims', async () => {
    const engine = await createEngine({ config: TINY, inputShape: SHAPE, seed: 1 });
    await expect(engine.trainStep(new Float32Array(40), 2)).rejects.toThrow(/fewer than 2 items of 8x4/);
    await engine.dispose();
  });

  it('does not leak tensors across steps', async () => {
    const engine = await createEngine({ config: TINY, inputShape: SHAPE, seed: 1, microBatch: 2 });
    await engine.trainStep(makeBatch(4), 4);
    const before = tf.memory().numTensors;
    await engine.trainStep(makeBatch(4), 4);
    await engine.evaluate(makeBatch(4), 4);
    expect(tf.memory().numTensors).toBe(before);
    await engine.dispose();
  });
});
