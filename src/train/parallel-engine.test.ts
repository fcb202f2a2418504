import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/backend.ts';
import type { VaeConfig } from '../model/vae-config.ts';
import { rampBatch, tinyConfig, TINY_SHAPE } from '../model/test-fixture.ts';
import { createEngine } from './create-engine.ts';
import type { EngineState, TrainingEngine } from './engine-types.ts';

const TINY: VaeConfig = tinyConfig({ batchSize: 6 });
const SHAPE = TINY_SHAPE;
const makeBatch = rampBatch;

function relDiff(a: EngineState, b: EngineState, which: (name: string) => boolean): number {
  let d = 0;
  for (const part of ['weights', 'optimizer'] as const) {
    a[part].forEach((w, i) => {
      if (!which(w.name)) return;
      expect(b[part][i]!.name).toBe(w.name);
      let scale = 1e-12;
      for (const v of w.data) scale = Math.max(scale, Math.abs(v));
      for (let j = 0; j < w.data.length; j++) d = Math.max(d, Math.abs(w.data[j]! - b[part][i]!.data[j]!) / scale);
    });
  }
  return d;
}

describe('data-parallel engine (2 worker threads)', () => {
  let parallel: TrainingEngine;
  beforeAll(async () => {
    await initBackend('wasm');
    parallel = await createEngine({ config: TINY, inputShape: SHAPE, seed: 11, workers: 2 });
  });
  afterAll(async () => {
    await parallel?.dispose();
  });

  it('trains like the in-process engine with one micro-batch per worker', async () => {
    const local = await createEngine({ config: TINY, inputShape: SHAPE, seed: 11, microBatch: 3 });
    const a = await local.trainStep(makeBatch(6), 6);
    const b = await parallel.trainStep(makeBatch(6), 6);
    expect(b.loss).toBeCloseTo(a.loss, 4);
    expect(b.kl).toBeCloseTo(a.kl, 4);
    const sa = await local.getState();
    const sb = await parallel.getState();
    expect(sb.step).toBe(1);
    expect(relDiff(sa, sb, (n) => /\/(m|v)$|moving/.test(n))).toBeLessThan(1e-5);
    const ea = await local.evaluate(makeBatch(5, 3), 5);
    const eb = await parallel.evaluate(makeBatch(5, 3), 5);
    expect(eb.loss).toBeCloseTo(ea.loss, 3);
    await local.dispose();
  });

  it('restores a state into every replica and reports worker errors clearly', async () => {
    const state = await parallel.getState();
    await parallel.trainStep(makeBatch(6, 1), 6);
    await parallel.setState(state);
    const again = await parallel.getState();
    expect(relDiff(state, again, () => true)).toBe(0);
    await expect(parallel.setState({ ...state, weights: state.weights.slice(1) })).rejects.toThrow(/is missing/);
    await expect(parallel.trainStep(new Float32Array(10), 2)).rejects.toThrow(/fewer than 2 items/);
    expect(tf.getBackend()).toBe('wasm');
  });
});
