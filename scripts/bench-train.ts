/**
 * Training (and decoding) speed of the VAE on random 256x64 inputs, optionally beside the PyTorch reference.
 *
 *   npm run bench -- train [--preset default|reference] [--filters 64,64,64,64,32] [--batch 16] [--steps 5]
 *                          [--workers 1] [--micro 0] [--backend wasm] [--decode] [--torch [--torch-threads 2]] [--profile]
 *   npm run bench -- train --backend webgpu --sweep   (small and full model at batches 16, 64, 256)
 *
 * Prints `train: N samples/s` (median over steps after one warm-up step), and with --decode the inference
 * figure; with --torch it trains the same architecture and loss in PyTorch (scripts/torch_vae.py, needs
 * python3-torch) in the same run. Each figure
 * also gives CPU seconds per step (all threads), which other work on the machine disturbs less than wall time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { initBackend, type BackendName } from '../src/backend/backend.ts';
import { buildVae, decode, latentSize } from '../src/model/vae.ts';
import { VAE_PRESETS, type VaeConfig, type VaePresetName } from '../src/model/vae-config.ts';
import { createEngine } from '../src/train/create-engine.ts';
import type { TrainingEngine } from '../src/train/engine-types.ts';

/** The PyTorch twin of a VaeConfig (same layers and loss), for --torch. */
const TORCH_SCRIPT = new URL('./torch_vae.py', import.meta.url).pathname;

const args = yargs(hideBin(process.argv))
  .option('preset', { type: 'string', default: 'default', choices: Object.keys(VAE_PRESETS) })
  .option('filters', { type: 'string', describe: 'comma-separated filters, overrides the preset' })
  .option('batch', { type: 'number', default: 16 })
  .option('steps', { type: 'number', default: 5 })
  .option('workers', { type: 'number', default: 1 })
  .option('micro', { type: 'number', default: 0, describe: 'micro-batch (0 = automatic)' })
  .option('backend', { type: 'string', default: 'auto' })
  .option('height', { type: 'number', default: 256 })
  .option('width', { type: 'number', default: 64 })
  .option('decode', { type: 'boolean', default: false, describe: 'also time decoding (inference)' })
  .option('torch', { type: 'boolean', default: false, describe: 'also run the PyTorch reference' })
  .option('torch-threads', { type: 'number', default: 2, describe: 'PyTorch threads (1 gives a CPU-time figure undisturbed by spinning)' })
  .option('profile', { type: 'boolean', default: false, describe: 'print the slowest kernels of one step' })
  .option('sweep', { type: 'boolean', default: false, describe: 'the small and the full model at batches 16, 64, 256 (for GPUs)' })
  .strict()
  .parseSync();

/** --sweep: the tutorial-shaped small model and the full one (the tutorial's own), and the batches. */
const SWEEP_MODELS: Record<string, VaePresetName> = { small: 'small', full: 'reference' };
const SWEEP_BATCHES = [16, 64, 256];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const config: VaeConfig = { ...VAE_PRESETS[args.preset as VaePresetName] };
if (args.filters) config.filters = args.filters.split(',').map(Number);
const inputShape: [number, number] = [args.height, args.width];
const { active } = await initBackend(args.backend as BackendName | 'auto');
console.log(`backend ${active}, filters ${config.filters.join(',')}, batch ${args.batch}, workers ${args.workers}, load ${os.loadavg()[0]!.toFixed(2)}`);

/** Times `steps` training steps of `cfg` at `batchSize` after one warm-up step, and prints the figures. */
async function timeTraining(cfg: VaeConfig, batchSize: number, label = 'train'): Promise<{ engine: TrainingEngine; batch: Float32Array }> {
  const engine = await createEngine({ config: cfg, inputShape, seed: 1, microBatch: args.micro, workers: args.workers });
  const batch = new Float32Array(batchSize * args.height * args.width);
  for (let i = 0; i < batch.length; i++) batch[i] = Math.random();
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let loss = NaN;
  for (let step = 0; step <= args.steps; step++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    loss = (await engine.trainStep(batch, batchSize)).loss;
    const dt = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    if (step > 0) {
      times.push(dt); // step 0 warms up kernels and memory
      cpuTimes.push((cpu.user + cpu.system) / 1e6);
    } else console.log(`  warm-up step ${dt.toFixed(2)} s`);
  }
  // CPU seconds per step (all threads) are less disturbed than wall time when other work shares the cores.
  console.log(
    `${label}: ${(batchSize / median(times)).toFixed(2)} samples/s (median of ${times.length} steps, ${median(times).toFixed(3)} s/step, ` +
      `cpu ${median(cpuTimes).toFixed(3)} s/step, load ${os.loadavg()[0]!.toFixed(2)}, loss ${loss.toExponential(3)})`,
  );
  return { engine, batch };
}

if (args.sweep) {
  // The GPU issue's table: the small and the full model at batches 16, 64 and 256.
  for (const [name, preset] of Object.entries(SWEEP_MODELS)) {
    for (const b of SWEEP_BATCHES) {
      const cfg = VAE_PRESETS[preset];
      const { engine } = await timeTraining(cfg, b, `train ${name} (preset ${preset}, filters ${cfg.filters.join(',')}) batch ${b}`);
      await engine.dispose();
    }
  }
  process.exit(0);
}

const { engine, batch } = await timeTraining(config, args.batch);

if (args.profile) {
  const info = await tf.profile(async () => {
    await engine.trainStep(batch, args.batch);
  });
  const byName = new Map<string, number>();
  for (const k of info.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + (Number(k.kernelTimeMs) || 0));
  const rows = [...byName].sort((a, b) => b[1] - a[1]).slice(0, 15);
  for (const [name, ms] of rows) console.log(`  ${name.padEnd(28)} ${ms.toFixed(1)} ms`);
}

if (args.decode) {
  const vae = buildVae(config, inputShape, 1);
  const z = tf.randomNormal([args.batch, latentSize(config, inputShape)]) as tf.Tensor2D;
  const dts: number[] = [];
  const cpus: number[] = [];
  for (let step = 0; step <= args.steps; step++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const y = decode(vae, z, args.batch);
    await y.data();
    y.dispose();
    const cpu = process.cpuUsage(c0);
    if (step > 0) {
      dts.push((performance.now() - t0) / 1000);
      cpus.push((cpu.user + cpu.system) / 1e6);
    }
  }
  console.log(
    `decode: ${(args.batch / median(dts)).toFixed(2)} samples/s (median of ${dts.length} batches of ${args.batch}, ` +
      `cpu ${median(cpus).toFixed(3)} s/batch, load ${os.loadavg()[0]!.toFixed(2)})`,
  );
}
await engine.dispose();

/** Runs the PyTorch twin of `config` under /usr/bin/time: its samples/s and its whole-process CPU seconds. */
function runTorch(steps: number): { samplesPerS: number; cpu: number; backend: string } {
  const cmd = [TORCH_SCRIPT, JSON.stringify(config), String(args.batch), String(steps), String(args.torchThreads), String(args.height), String(args.width)];
  const res = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', '/usr/bin/python3', ...cmd], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`torch_vae.py failed: ${res.stderr.trim().split('\n').pop()}`);
  const result = JSON.parse(res.stdout.trim().split('\n').pop()!) as { samples_per_s: number; backend: string };
  const cpuLine = res.stderr
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('CPU '))!;
  const [user, system] = cpuLine.slice(4).split(' ').map(Number);
  return { samplesPerS: result.samples_per_s, cpu: user! + system!, backend: result.backend };
}

if (args.torch) {
  if (!existsSync('/usr/bin/python3') || !existsSync('/usr/bin/time')) {
    console.log('torch: skipped (needs /usr/bin/python3 with python3-torch, and /usr/bin/time)');
  } else {
    const steps = Math.max(3, args.steps);
    // CPU per step = difference between a run of `steps` steps and a run of 1, which cancels start-up and warm-up.
    const one = runTorch(1);
    const many = runTorch(steps);
    const cpuPerStep = (many.cpu - one.cpu) / (steps - 1);
    console.log(
      `torch train: ${many.samplesPerS.toFixed(2)} samples/s (${many.backend}, the same architecture and loss, batch ${args.batch}, ` +
        `cpu ${cpuPerStep.toFixed(3)} s/step, load ${os.loadavg()[0]!.toFixed(2)})`,
    );
  }
}
