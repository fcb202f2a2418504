/**
 * `npm run eval -- --data DATASET_DIR --checkpoint DIR [--classifier DIR] [--samples 100 --temperature 1 --seed 0
 *   --validation 0 --iters 32 --samplers prior,gaussian,gmm --per-label 20 --json]`
 *
 * Prints the measured quality of a checkpoint (see src/generate/evaluate.ts): reconstructions of the validation
 * split, model only and after Griffin-Lim, with their levels; and for each sampler the generated sounds' levels,
 * Fréchet distance, recognisability (with --classifier), diversity and distance to the nearest training item,
 * each beside what real validation items score.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { initBackend, type BackendName } from '../src/backend/backend.ts';
import { createProgress } from '../src/progress.ts';
import { openDataset } from '../src/dataset/store.ts';
import { describeError, UserError } from '../src/errors.ts';
import { DEFAULT_EVAL, evaluate, type EvalResult } from '../src/generate/evaluate.ts';
import { DEFAULT_INVERT } from '../src/generate/invert.ts';
import { loadClassifierJudge, type ClassifierJudge } from '../src/classify/judge.ts';
import type { Recognisability } from '../src/generate/judge.ts';
import { createGenerator } from '../src/generate/operations.ts';
import { SAMPLER_KINDS, type SamplerKind } from '../src/generate/sampler.ts';
import { loadOrFitSampler } from '../src/generate/session.ts';
import { disposeVae, loadCheckpoint } from '../src/train/checkpoint.ts';

const args = await yargs(hideBin(process.argv))
  .scriptName('npm run eval --')
  .option('data', { type: 'string', demandOption: true, describe: 'Dataset folder (made by soundvae preprocess)' })
  .option('checkpoint', { type: 'string', demandOption: true, describe: 'Checkpoint or run folder (its best/ by default)' })
  .option('classifier', {
    type: 'string',
    describe: 'A cnn/crnn classifier folder trained on the real data (soundvae classify train): recognisability and Fréchet distance on its embeddings',
  })
  .option('samples', { type: 'number', default: DEFAULT_EVAL.samples, describe: 'Samples drawn per sampler' })
  .option('samplers', { type: 'string', default: DEFAULT_EVAL.samplers.join(','), describe: `Samplers to judge (${SAMPLER_KINDS.join(', ')})` })
  .option('per-label', { type: 'number', default: DEFAULT_EVAL.perLabel, describe: 'Samples per label value for --label generation (0: skip)' })
  .option('temperature', { type: 'number', default: DEFAULT_EVAL.temperature, describe: 'Scale of the sampled densities' })
  .option('seed', { type: 'number', default: DEFAULT_EVAL.seed })
  .option('validation', { type: 'number', default: DEFAULT_EVAL.validationItems, describe: 'Validation items to reconstruct (0 = all)' })
  .option('iters', { type: 'number', default: DEFAULT_INVERT.iterations, describe: 'Griffin-Lim iterations (PGHI start)' })
  .option('backend', { type: 'string', describe: 'TensorFlow.js backend (auto, tensorflow, wasm, cpu)' })
  .option('model-only', { type: 'boolean', describe: 'Only the model-only reconstruction scores (no Griffin-Lim, no generation): seconds, not minutes' })
  .option('json', { type: 'boolean', describe: 'Print the figures as JSON' })
  .strict()
  .help()
  .parseAsync();

const f1 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(1));
const f2 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));
const pct = (x: number | undefined) => (x === undefined ? '–' : `${(100 * x).toFixed(0)} %`);
const recog = (r: Recognisability | undefined) =>
  r ? `${pct(r.recognisable)} (${r.classesCovered}/${r.classes} classes, H ${r.meanEntropy.toFixed(2)} bits)` : '–';

function print(r: EvalResult, header: string): void {
  const v = r.validation;
  console.log(header);
  console.log(`validation items: ${v.items}  (${v.seconds.toFixed(1)} s)`);
  console.log(
    `  model only      SC ${f1(v.model?.spectralConvergence)} dB   LSD ${f2(v.model?.logSpectralDistance)} dB   level ${f1(v.model?.levelDifference)} dB   MSE ${v.model ? v.model.mse.toFixed(4) : '–'}  (decoded spectrogram vs the item's, no Griffin-Lim)`,
  );
  console.log(
    `  reconstruction  SC ${f1(v.reconstruction?.spectralConvergence)} dB   LSD ${f2(v.reconstruction?.logSpectralDistance)} dB   level ${f1(v.levelRaw)} dB from Griffin-Lim, ${f1(v.levelWritten)} dB as written`,
  );
  if (v.classifiedRight)
    console.log(`  classified right: ${pct(v.classifiedRight.reconstructions)} of reconstructions, ${pct(v.classifiedRight.originals)} of originals`);
  console.log(
    `  oracle          SC ${f1(v.oracle?.spectralConvergence)} dB   LSD ${f2(v.oracle?.logSpectralDistance)} dB   level ${f1(v.levelOracle)} dB   (Griffin-Lim from the true magnitude)`,
  );
  const real = r.real;
  if (!real) return;
  console.log(
    `generation (levels in dBFS RMS, median [p10..p90]; Fréchet to validation items; real = ${real.floorItems} training items against them, the floor at the same size)`,
  );
  console.log(
    `  ${'real'.padEnd(9)} level ${f1(real.trainRms.p50)} [${f1(real.trainRms.p10)}..${f1(real.trainRms.p90)}]   Fréchet log-mel ${f1(real.frechetFeature)}` +
      `${real.frechetClassifier !== undefined ? `  classifier ${f1(real.frechetClassifier)}` : ''}   recognisable ${recog(real.recognisability)}   diversity ${f2(real.diversity)} dB   nearest train ${f2(real.nearestTrain.mean)} dB`,
  );
  for (const gsc of r.generation) {
    console.log(
      `  ${gsc.sampler.padEnd(9)} level ${f1(gsc.rms.p50)} [${f1(gsc.rms.p10)}..${f1(gsc.rms.p90)}] (raw ${f1(gsc.rawRms.p50)}, peak ${f1(gsc.peak.p50)})   Fréchet log-mel ${f1(gsc.frechetFeature)}` +
        `${gsc.frechetClassifier !== undefined ? `  classifier ${f1(gsc.frechetClassifier)}` : ''}   recognisable ${recog(gsc.recognisability)}   diversity ${f2(gsc.diversity)} dB   nearest train ${f2(gsc.nearestTrain.mean)} dB (min ${f2(gsc.nearestTrain.min)})`,
    );
  }
  if (r.judgedBy) console.log(`  (recognisable: top class with p >= 0.8, judged by ${r.judgedBy})`);
  if (r.labels) {
    console.log(`label-conditioned (--label, default sampler): classified as the asked label`);
    console.log(`  ${r.labels.map((l) => `${l.label} ${pct(l.asExpected)}`).join('   ')}`);
  }
  console.log(
    `decode + invert: ${(r.timing.secondsPerSample * 1000).toFixed(0)} ms per clip in a batch; one clip alone ${(r.timing.secondsSingle * 1000).toFixed(0)} ms`,
  );
}

let judge: ClassifierJudge | undefined;
try {
  const { active } = await initBackend(args.backend as BackendName | 'auto' | undefined);
  const ckpt = await loadCheckpoint(args.checkpoint);
  const ds = await openDataset(args.data);
  try {
    if (ds.shape.join('x') !== ckpt.inputShape.join('x')) {
      throw new UserError(`${args.data}: items are ${ds.shape.join('x')} but the checkpoint takes ${ckpt.inputShape.join('x')}`);
    }
    const samplers = args['model-only']
      ? []
      : (args.samplers
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean) as SamplerKind[]);
    for (const s of samplers)
      if (!SAMPLER_KINDS.includes(s)) throw new UserError(`--samplers: unknown sampler '${s}' (choose from ${SAMPLER_KINDS.join(', ')})`);
    if (args.classifier) judge = await loadClassifierJudge(args.classifier, ckpt.inputShape);
    const g = createGenerator(ckpt, { iterations: args.iters }, await loadOrFitSampler(ckpt));
    const total = args.validation > 0 ? Math.min(args.validation, ds.indices('validation').length) : ds.indices('validation').length;
    const bar = args.json ? undefined : createProgress({ total, label: 'validation', unit: 'items' });
    const r = await evaluate(
      g,
      ds,
      {
        samples: args.samples,
        samplers,
        griffinLim: !args['model-only'],
        perLabel: args['per-label'],
        temperature: args.temperature,
        seed: args.seed,
        validationItems: args.validation,
        invert: { iterations: args.iters },
      },
      judge,
      (done) => bar?.update(done),
    );
    bar?.finish();
    if (args.json)
      console.log(JSON.stringify({ checkpoint: ckpt.dir, epoch: ckpt.training.epoch, backend: active, classifier: args.classifier, ...r }, null, 2));
    else
      print(
        r,
        `checkpoint ${ckpt.dir} (epoch ${ckpt.training.epoch}), dataset ${args.data}, backend ${active}, Griffin-Lim ${args.iters} iterations from PGHI${judge ? `, classifier ${judge.dir}` : ''}`,
      );
  } finally {
    await ds.close();
    disposeVae(ckpt.vae);
  }
} catch (err) {
  console.error(`eval: ${describeError(err)}`);
  if (process.env.SOUNDVAE_DEBUG) console.error(err);
  process.exitCode = 1;
} finally {
  judge?.dispose();
}
