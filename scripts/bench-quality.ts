/**
 * `npm run bench -- quality --data DATASET --minutes 30 [--epochs N] [--preset default|reference] [train options]
 *   [--classifier DIR] [--out RUN] [--gl 100]`
 *
 * Trains a model for a fixed wall-clock budget (stopping at the next step when it runs out; --epochs sets the
 * learning-rate schedule's length, so choose it to end near the budget), then prints the validation MSE and the
 * model-only spectral convergence, log-spectral distance and level difference over the whole validation split,
 * and the same after Griffin-Lim for --gl items (with --classifier: the share of those reconstructions it labels
 * right). Two models compare at equal time by running it twice.
 */
import path from 'node:path';
import os from 'node:os';
import { mkdtemp } from 'node:fs/promises';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { initBackend, type BackendName } from '../src/backend/backend.ts';
import { overridesFromArgs } from '../src/cli/commands/train.ts';
import { describeError } from '../src/errors.ts';
import { evaluate } from '../src/generate/evaluate.ts';
import { loadClassifierJudge } from '../src/classify/judge.ts';
import { createGenerator } from '../src/generate/operations.ts';
import { disposeVae, loadCheckpoint } from '../src/train/checkpoint.ts';
import { datasetSource, train } from '../src/train/train.ts';
import type { VaePresetName } from '../src/model/vae-config.ts';

const args = await yargs(hideBin(process.argv))
  .scriptName('npm run bench -- quality')
  .option('data', { type: 'string', demandOption: true })
  .option('minutes', { type: 'number', default: 30, describe: 'Training budget (wall clock)' })
  .option('epochs', { type: 'number', default: 20, describe: 'Epochs of the schedule (training stops earlier when the budget runs out)' })
  .option('out', { type: 'string', describe: 'Run folder [a temporary one]' })
  .option('preset', { type: 'string', default: 'default' })
  .option('batch-size', { type: 'number' })
  .option('lr', { type: 'number' })
  .option('lr-schedule', { choices: ['constant', 'cosine'] as const })
  .option('latent', { type: 'number' })
  .option('filters', { type: 'string' })
  .option('kernels', { type: 'string' })
  .option('strides', { type: 'string' })
  .option('recon-weight', { type: 'number' })
  .option('bottleneck', { choices: ['dense', 'time'] as const })
  .option('loss', { choices: ['mse', 'l1'] as const })
  .option('loss-emphasis', { type: 'number' })
  .option('spectral-weight', { type: 'number' })
  .option('kl-weight', { type: 'number' })
  .option('kl-anneal', { type: 'number' })
  .option('workers', { type: 'number', default: 2 })
  .option('seed', { type: 'number', default: 0 })
  .option('gl', { type: 'number', default: 100, describe: 'Validation items also rebuilt with Griffin-Lim' })
  .option('classifier', { type: 'string', describe: 'A cnn/crnn classifier folder: share of reconstructions labelled right' })
  .option('backend', { type: 'string' })
  .strict()
  .parseAsync();

try {
  const { active } = await initBackend(args.backend as BackendName | 'auto' | undefined);
  const out = args.out ?? (await mkdtemp(path.join(os.tmpdir(), 'soundvae-quality-')));
  const data = await datasetSource(args.data);
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), args.minutes * 60_000);
  const started = performance.now();
  let result;
  try {
    result = await train(data, {
      out,
      preset: args.preset as VaePresetName,
      overrides: overridesFromArgs(args as never),
      epochs: args.epochs,
      seed: args.seed,
      workers: args.workers,
      signal: stop.signal,
      overwrite: true,
      log: () => {},
      progress: false,
    });
  } finally {
    clearTimeout(timer);
    await data.close();
  }
  const minutes = (performance.now() - started) / 60_000;
  const ckpt = await loadCheckpoint(out, 'last');
  const { openDataset } = await import('../src/dataset/store.ts');
  const ds = await openDataset(args.data);
  const judge = args.classifier ? await loadClassifierJudge(args.classifier, ckpt.inputShape) : undefined;
  try {
    const g = createGenerator(ckpt, {});
    const all = await evaluate(g, ds, { samplers: [], griffinLim: false });
    const gl = await evaluate(g, ds, { samplers: [], validationItems: args.gl }, judge);
    const last = ckpt.training.metrics.at(-1);
    const m = all.validation.model!;
    const r = gl.validation.reconstruction!;
    const c = ckpt.config;
    console.log(
      [
        `model: ${args.preset}, filters ${c.filters.join(',')}, strides ${c.strides.map((s) => s.join('x')).join(',')}, ${c.bottleneck ?? 'dense'} latent ${c.latent}, ` +
          `${c.reconstructionLoss ?? 'mse'}, lr ${c.learningRate} ${c.lrSchedule ?? 'constant'}, batch ${c.batchSize}; backend ${active}, ${args.workers} workers`,
        `trained ${minutes.toFixed(1)} min: ${ckpt.training.epoch} epochs + ${ckpt.training.batchInEpoch} batches (${ckpt.training.step} steps), ${result.status}`,
        `validation ${last?.val ? `loss ${last.val.loss.toPrecision(4)}, error ${last.val.reconstruction.toPrecision(4)} (${c.reconstructionLoss ?? 'mse'})` : '(no epoch finished)'}`,
        `model only (${all.validation.items} items): SC ${m.spectralConvergence.toFixed(2)} dB, LSD ${m.logSpectralDistance.toFixed(2)} dB, level ${m.levelDifference.toFixed(2)} dB, MSE ${m.mse.toFixed(4)}`,
        `after Griffin-Lim (${gl.validation.items} items): SC ${r.spectralConvergence.toFixed(2)} dB, LSD ${r.logSpectralDistance.toFixed(2)} dB` +
          (gl.validation.classifiedRight
            ? `; classified right ${(100 * gl.validation.classifiedRight.reconstructions).toFixed(1)} % (originals ${(100 * gl.validation.classifiedRight.originals).toFixed(1)} %)`
            : ''),
        `run folder: ${out}`,
      ].join('\n'),
    );
  } finally {
    judge?.dispose();
    await ds.close();
    disposeVae(ckpt.vae);
  }
} catch (err) {
  console.error(`bench quality: ${describeError(err)}`);
  if (process.env.SOUNDVAE_DEBUG) console.error(err);
  process.exitCode = 1;
}
