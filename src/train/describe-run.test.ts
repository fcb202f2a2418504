import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeCheckpoint, describeRun, formatCheckpointSummary, formatRunSummary, isCheckpointDir, isRunDir } from './describe-run.ts';

const root = mkdtempSync(path.join(tmpdir(), 'soundvae-describe-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function writeCheckpoint(dir: string, epoch: number, bestEpoch: number): void {
  mkdirSync(dir, { recursive: true });
  const config = {
    format: 'soundvae-checkpoint',
    version: 1,
    config: {
      filters: [8, 8],
      kernels: [3, 3],
      strides: [
        [2, 2],
        [2, 1],
      ],
      latent: 4,
      reconstructionWeight: 1e6,
      learningRate: 5e-4,
      batchSize: 16,
    },
    inputShape: [256, 64],
    dataset: { path: 'datasets/tones', preprocessing: { preset: 'digits', sampleRate: 8000 }, normalization: {}, trainItems: 22, validationItems: 2 },
    savedAt: '2026-01-02T03:04:05.000Z',
  };
  const metrics = Array.from({ length: epoch }, (_, i) => ({
    epoch: i + 1,
    step: 2 * (i + 1),
    train: { loss: 3e5 - i * 1e4, reconstruction: 0.3, kl: 10 },
    val: { loss: 2.5e5 - i * 1e4, reconstruction: 0.25, kl: 3 },
    samplesPerSecond: 20,
    seconds: 1,
  }));
  const training = {
    epoch,
    batchInEpoch: 0,
    partial: {},
    step: 2 * epoch,
    seed: 0,
    backend: 'wasm',
    bestValLoss: 2.5e5 - (bestEpoch - 1) * 1e4,
    bestEpoch,
    metrics,
  };
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  writeFileSync(path.join(dir, 'training.json'), JSON.stringify(training));
}

describe('info on a training run', () => {
  const run = path.join(root, 'run');
  writeCheckpoint(path.join(run, 'best'), 2, 2);
  writeCheckpoint(path.join(run, 'last'), 3, 2);
  writeFileSync(path.join(run, 'metrics.jsonl'), `${[1, 2, 3].map((e) => JSON.stringify({ type: 'epoch', epoch: e })).join('\n')}\n`);
  writeFileSync(path.join(run, 'curves.svg'), '<svg/>');

  it('tells runs and checkpoints from other folders', () => {
    expect(isRunDir(run)).toBe(true);
    expect(isCheckpointDir(run)).toBe(false);
    expect(isCheckpointDir(path.join(run, 'best'))).toBe(true);
    expect(isRunDir(root)).toBe(false);
  });

  it('describes the architecture, dataset, epochs, best loss and backend', async () => {
    const text = formatRunSummary(await describeRun(run));
    expect(text).toContain(`${run}: soundvae training run, 3 epochs done`);
    expect(text).toContain('filters 8,8, kernels 3,3, strides 2x2,2x1, latent 4');
    expect(text).toContain('datasets/tones (preset digits, 8000 Hz), 22 training and 2 validation items');
    expect(text).toContain('best loss 2.4e+5 at epoch 2');
    expect(text).toMatch(/backend\s+wasm/);
    expect(text).toMatch(/best\/\s+epoch 2, step 4/);
    expect(text).toMatch(/last\/\s+epoch 3, step 6/);
    expect(text).toContain('curves.svg, metrics.jsonl (3 epochs)');
  });

  it('describes one checkpoint folder', async () => {
    const text = formatCheckpointSummary(await describeCheckpoint(path.join(run, 'best')));
    expect(text.split('\n')[0]).toBe(`${path.join(run, 'best')}: soundvae checkpoint, epoch 2, step 4, saved 2026-01-02T03:04:05.000Z`);
    expect(text).toContain('last epoch: train 2.9e+5, validation 2.4e+5');
  });
});
