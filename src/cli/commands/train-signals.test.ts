/** Issue 12 item 5: SIGTERM exits 143, and a trainer launched through npx-like wrappers stops when they are gone. */
import { spawn } from 'node:child_process';
import fsSync, { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatasetWriter } from '../../dataset/store.ts';
import { testSettings } from '../../dataset/test-fixture.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/soundvae.js');
const TINY_ARGS = ['--backend', 'cpu', '--filters', '4,4', '--strides', '2x2,2x2', '--latent', '4', '--batch-size', '2', '--epochs', '2000'];
let tmp: string;
let data: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'soundvae-signals-'));
  data = path.join(tmp, 'data');
  const w = await createDatasetWriter(data, { shape: [32, 16], settings: testSettings(), split: { validation: 0.2, seed: 1 } });
  for (let i = 0; i < 10; i++) {
    const x = new Float32Array(32 * 16).map((_, k) => Math.exp(-(((Math.floor(k / 16) - (i % 32)) / 4) ** 2)));
    w.append({ source: `/clips/${i}.wav`, offset: 0, min: -80, max: 0, labels: { shape: i % 2 ? 'odd' : 'even' } }, x);
    w.markSource(`/clips/${i}.wav`, { status: 'done', items: 1 });
  }
  await w.finish();
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Runs `command args` with piped stderr; `onErr(text, child)` sees stderr so far. Resolves when every writer closed. */
function run(command: string, args: string[], onErr: (text: string, kill: (s: NodeJS.Signals) => void) => void, env = process.env) {
  return new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
      onErr(stderr, (s) => child.kill(s));
    });
    child.on('error', reject);
    child.stderr.on('close', () =>
      child.exitCode !== null || child.signalCode !== null ? resolve({ code: child.exitCode, stderr }) : child.on('exit', (code) => resolve({ code, stderr })),
    );
  });
}

/** Kills a trainer left behind by a failed test (its pid is in the run's lock file). */
function killLeftover(out: string): void {
  try {
    process.kill(Number(fsSync.readFileSync(path.join(out, '.train.lock'), 'utf8')), 'SIGKILL');
  } catch {
    // none
  }
}

describe('train and signals', () => {
  it('saves and exits 143 on SIGTERM', async () => {
    const out = path.join(tmp, 'term');
    let sent = false;
    // before: 130, the code of SIGINT
    const r = await run(process.execPath, [BIN, 'train', '--data', data, '--out', out, ...TINY_ARGS], (text, kill) => {
      if (!sent && /epoch 1\/2000: train loss/.test(text)) {
        sent = true;
        kill('SIGTERM');
      }
    });
    killLeftover(out);
    expect(r.stderr).toMatch(/interrupted at epoch \d+, step \d+; saved/);
    expect(r.code).toBe(143);
  }, 60_000);

  it('classify train stops after the step under way on SIGINT, keeping the epochs done, and exits 130', async () => {
    const out = path.join(tmp, 'classify');
    let sent = false;
    const args = [
      'classify',
      'train',
      '--data',
      data,
      '--out',
      out,
      '--model',
      'cnn',
      '--label',
      'shape',
      '--backend',
      'cpu',
      '--batch-size',
      '2',
      '--epochs',
      '2000',
    ];
    const r = await run(process.execPath, [BIN, ...args], (text, kill) => {
      if (!sent && /epoch 1: train loss/.test(text)) {
        sent = true;
        kill('SIGINT');
      }
    });
    expect(r.stderr).toMatch(/soundvae: interrupted; \d+ epochs? saved in .*--resume --epochs 2000/);
    expect(r.code).toBe(130);
    const state = JSON.parse(await fs.readFile(path.join(out, 'state.json'), 'utf8')) as { epoch: number };
    expect(state.epoch).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('stops and saves when the npx-like launcher that started it through sh -c is killed', async () => {
    const out = path.join(tmp, 'orphan');
    // A stand-in for npm exec: node starts `sh -c 'node bin ...'` and is then killed; npm passes no signal on.
    const cmd = `"${process.execPath}" "${BIN}" train --data "${data}" --out "${out}" ${TINY_ARGS.join(' ')}; echo "trainer exit $?" >&2`;
    const launcher = `require('node:child_process').spawn('sh', ['-c', ${JSON.stringify(cmd)}], { stdio: 'inherit' }); setInterval(() => {}, 1e6);`;
    let sent = false;
    const r = await run(
      process.execPath,
      ['-e', launcher],
      (text, kill) => {
        if (!sent && /epoch 1\/2000: train loss/.test(text)) {
          sent = true;
          kill('SIGKILL');
        }
      },
      { ...process.env, npm_command: 'exec' },
    );
    killLeftover(out);
    // before: the trainer ran on to the end of its 2000 epochs
    expect(r.stderr).toMatch(/the process that started this one \(npx\/npm\) has gone; finishing this step and saving/);
    expect(r.stderr).toMatch(/trainer exit 143/);
    expect(JSON.parse(fsSync.readFileSync(path.join(out, 'last', 'training.json'), 'utf8')).epoch).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
