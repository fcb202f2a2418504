/**
 * `npm run eval -- --data DATASET_DIR --checkpoint DIR [--samples 32 --temperature 1 --seed 0 --validation 0 --iters 32 --json]`
 *
 * Prints the measured quality of a checkpoint (see src/generate/evaluate.ts): mean spectral convergence and
 * log-spectral distance of validation reconstructions and of their oracle, and for samples from the prior the
 * distance to the nearest training item (a copy detector) and their diversity, each beside the same figure for
 * real validation items; and how long decoding and inverting one clip takes.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { initBackend, type BackendName } from '../src/backend/backend.ts';
import { createProgress } from '../src/cli/progress.ts';
import { openDataset } from '../src/dataset/store.ts';
import { describeError, UserError } from '../src/errors.ts';
import { DEFAULT_EVAL, evaluate } from '../src/generate/evaluate.ts';
import { DEFAULT_INVERT } from '../src/generate/invert.ts';
import { clipSettings } from '../src/generate/settings.ts';
import { disposeVae, loadCheckpoint } from '../src/train/checkpoint.ts';

const args = await yargs(hideBin(process.argv))
  .scriptName('npm run eval --')
  .option('data', { type: 'string', demandOption: true, describe: 'Dataset folder (made by soundvae preprocess)' })
  .option('checkpoint', { type: 'string', demandOption: true, describe: 'Checkpoint or run folder (its best/ by default)' })
  .option('samples', { type: 'number', default: DEFAULT_EVAL.samples, describe: 'Samples drawn from the prior' })
  .option('temperature', { type: 'number', default: DEFAULT_EVAL.temperature, describe: 'Scale of the prior samples' })
  .option('seed', { type: 'number', default: DEFAULT_EVAL.seed })
  .option('validation', { type: 'number', default: DEFAULT_EVAL.validationItems, describe: 'Validation items to reconstruct (0 = all)' })
  .option('iters', { type: 'number', default: DEFAULT_INVERT.iterations, describe: 'Griffin-Lim iterations (PGHI start)' })
  .option('backend', { type: 'string', describe: 'TensorFlow.js backend (auto, tensorflow, wasm, cpu)' })
  .option('json', { type: 'boolean', describe: 'Print the figures as JSON' })
  .strict()
  .help()
  .parseAsync();

try {
  const { active } = await initBackend(args.backend as BackendName | 'auto' | undefined);
  const ckpt = await loadCheckpoint(args.checkpoint);
  const ds = await openDataset(args.data);
  try {
    const settings = clipSettings(ckpt);
    if (ds.shape.join('x') !== ckpt.inputShape.join('x')) {
      throw new UserError(`${args.data}: items are ${ds.shape.join('x')} but the checkpoint takes ${ckpt.inputShape.join('x')}`);
    }
    const total = args.validation > 0 ? Math.min(args.validation, ds.indices('validation').length) : ds.indices('validation').length;
    const bar = args.json ? undefined : createProgress({ total, label: 'validation', unit: 'items' });
    const r = await evaluate(
      ckpt.vae,
      ds,
      settings,
      ckpt.dataset.normalization,
      { samples: args.samples, temperature: args.temperature, seed: args.seed, validationItems: args.validation, invert: { iterations: args.iters } },
      (done) => bar?.update(done),
    );
    bar?.finish();
    const clipSeconds = settings.clipSamples / settings.sampleRate;
    if (args.json) {
      console.log(JSON.stringify({ checkpoint: ckpt.dir, epoch: ckpt.training.epoch, backend: active, clipSeconds, ...r }, null, 2));
    } else {
      const f1 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(1));
      const f2 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));
      const v = r.validation;
      const p = r.prior;
      console.log(`checkpoint ${ckpt.dir} (epoch ${ckpt.training.epoch}), dataset ${args.data}, backend ${active}, Griffin-Lim ${args.iters} iterations from PGHI`);
      console.log(`validation items: ${v.items}  (${v.seconds.toFixed(1)} s)`);
      console.log(`  reconstruction  SC ${f1(v.reconstruction?.spectralConvergence)} dB   LSD ${f2(v.reconstruction?.logSpectralDistance)} dB`);
      console.log(`  oracle          SC ${f1(v.oracle?.spectralConvergence)} dB   LSD ${f2(v.oracle?.logSpectralDistance)} dB   (Griffin-Lim from the true magnitude)`);
      console.log(`prior samples: ${p.samples} at temperature ${p.temperature}  (RMS dB distance between spectrograms)`);
      console.log(`  nearest training item   samples mean ${f2(p.nearestTrain.mean)} dB (min ${f2(p.nearestTrain.min)})   validation items mean ${f2(p.validationNearestTrain?.mean)} dB (min ${f2(p.validationNearestTrain?.min)})`);
      console.log(`  diversity (mean pairwise) samples ${f2(p.diversity)} dB   validation items ${f2(p.validationDiversity)} dB`);
      console.log(`  decode + invert: ${(p.secondsPerSample * 1000).toFixed(0)} ms per ${clipSeconds.toFixed(2)} s clip (batch of ${p.samples}, ${p.seconds.toFixed(2)} s in all); one clip alone ${(p.secondsSingle * 1000).toFixed(0)} ms`);
    }
  } finally {
    await ds.close();
    disposeVae(ckpt.vae);
  }
} catch (err) {
  console.error(`eval: ${describeError(err)}`);
  process.exitCode = 1;
}
