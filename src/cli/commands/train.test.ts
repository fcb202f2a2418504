import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatasetWriter } from '../../dataset/store.ts';
import { checkRunArgs, defaultWorkers, overridesFromArgs, parseStrides } from './train.ts';
import { testSettings } from '../../dataset/test-fixture.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/soundvae.js');
/** A tiny model on 32x16 items: a step takes milliseconds on the cpu backend. */
const TINY_ARGS = ['--backend', 'cpu', '--filters', '4,4', '--strides', '2x2,2x2', '--latent', '4', '--batch-size', '2', '--recon-weight', '1000'];

let tmp: string;
let data: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'soundvae-train-cli-'));
  data = path.join(tmp, 'data');
  const w = await createDatasetWriter(data, { shape: [32, 16], settings: testSettings(), split: { validation: 0.2, seed: 1 } });
  for (let i = 0; i < 30; i++) {
    const x = new Float32Array(32 * 16).map((_, k) => Math.exp(-(((Math.floor(k / 16) - (i % 32)) / 4) ** 2)));
    w.append({ source: `/clips/${i}.wav`, offset: 0, min: -80, max: 0 }, x);
    w.markSource(`/clips/${i}.wav`, { status: 'done', items: 1 });
  }
  await w.finish();
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
}

/** Runs the CLI; `whenErr` is called on every stderr chunk with the text so far and the child (to signal it). */
function runCli(args: string[], whenErr?: (text: string, kill: (s: NodeJS.Signals) => void) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      whenErr?.(stderr, (s) => child.kill(s));
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr, stdout }));
  });
}

async function trainingJson(run: string): Promise<{ epoch: number; batchInEpoch: number; step: number }> {
  return JSON.parse(await fs.readFile(path.join(run, 'last', 'training.json'), 'utf8'));
}

describe('train options', () => {
  it('uses one worker per core on wasm (at most 4) and one elsewhere', () => {
    expect(defaultWorkers('wasm')).toBe(Math.min(4, os.availableParallelism()));
    expect(defaultWorkers('cpu')).toBe(1);
    expect(defaultWorkers('tensorflow')).toBe(1);
  });

  it('parses strides and fills kernels and strides when --filters changes the block count', () => {
    expect(parseStrides('2x2,2,2x1')).toEqual([
      [2, 2],
      [2, 2],
      [2, 1],
    ]);
    expect(() => parseStrides('2x')).toThrow(/--strides '2x'/);
    const o = overridesFromArgs({ filters: '8,8,8', lr: 0.01 } as never);
    expect(o).toEqual({
      filters: [8, 8, 8],
      kernels: [3, 3, 3],
      strides: [
        [2, 2],
        [2, 2],
        [2, 1],
      ],
      learningRate: 0.01,
    });
    expect(() => overridesFromArgs({ filters: '8,8', strides: '2x2' } as never)).toThrow(/--strides has 1 blocks but the model has 2/);
    expect(() => overridesFromArgs({ latent: 2.5 } as never)).toThrow(/--latent 2.5: expected a positive integer/);
    const run = { epochs: 3, workers: 1, 'micro-batch': 0, 'log-every': 50, 'save-every': 0 };
    expect(() => checkRunArgs(run)).not.toThrow();
    expect(() => checkRunArgs({ ...run, epochs: 0 })).toThrow(/--epochs 0: expected a positive integer/);
    expect(() => checkRunArgs({ ...run, 'save-every': -1 })).toThrow(/--save-every -1: expected 0 or a positive number/);
  });
});

describe('soundvae train (CLI)', () => {
  it('saves on Ctrl-C, exits 130 and resumes to the end', async () => {
    const run = path.join(tmp, 'sigint');
    let sent = false;
    const first = await runCli(['train', '--data', data, '--out', run, '--epochs', '200', ...TINY_ARGS], (text, kill) => {
      // Interrupt once the first epoch is done, so both a checkpoint and an epoch in progress exist.
      if (!sent && /epoch 1\/200: train loss/.test(text)) {
        sent = true;
        kill('SIGINT');
      }
    });
    expect(first.stderr).toMatch(/interrupted at epoch \d+, step \d+; saved .*last\. Continue with: soundvae train .* --resume/);
    expect(first.code).toBe(130);
    const stopped = await trainingJson(run);
    expect(stopped.epoch).toBeGreaterThanOrEqual(1);
    const second = await runCli(['train', '--data', data, '--out', run, '--epochs', String(stopped.epoch + 1), '--resume', '--backend', 'cpu']);
    expect(second.stderr).toMatch(/resuming .*last: epoch \d+/);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(new RegExp(`trained ${stopped.epoch + 1} epochs`));
    expect((await trainingJson(run)).epoch).toBe(stopped.epoch + 1);
  });

  it('loses at most the epoch in progress after kill -9', async () => {
    const run = path.join(tmp, 'kill9');
    let sent = false;
    const first = await runCli(['train', '--data', data, '--out', run, '--epochs', '200', ...TINY_ARGS], (text, kill) => {
      if (!sent && /epoch 2\/200: train loss/.test(text)) {
        sent = true;
        kill('SIGKILL');
      }
    });
    expect(first.signal).toBe('SIGKILL');
    const kept = await trainingJson(run);
    expect(kept.epoch).toBeGreaterThanOrEqual(2);
    expect(kept.batchInEpoch).toBe(0);
    const second = await runCli(['train', '--data', data, '--out', run, '--epochs', String(kept.epoch + 1), '--resume', '--backend', 'cpu']);
    expect(second.code).toBe(0);
    const lines = (await fs.readFile(path.join(run, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'epoch').map((l) => l.epoch)).toEqual(Array.from({ length: kept.epoch + 1 }, (_, i) => i + 1));
  });

  it('explains a bad dataset folder and a mismatched resume on one line', async () => {
    const missing = await runCli(['train', '--data', path.join(tmp, 'nope'), '--out', path.join(tmp, 'x'), '--backend', 'cpu']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n').at(-1)).toMatch(/^soundvae: .*nope: not a dataset/);
    const mismatch = await runCli(['train', '--data', data, '--out', path.join(tmp, 'sigint'), '--resume', '--latent', '8', '--backend', 'cpu']);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/soundvae: .*cannot resume with latent 8 \(checkpoint has 4\)/);
  });
});
