/**
 * The demo: the whole job in one command, on a built-in dataset made in code (or on the user's own folder).
 *
 *   1. make a few hundred labelled procedural sounds and write them as WAVs (skipped with --data)
 *   2. soundvae preprocess  -> a spectrogram dataset
 *   3. soundvae train       -> a small VAE, checkpoints, curves
 *   4. soundvae report      -> reconstructions, samples, an interpolation, the latent map: one HTML page
 *
 * Steps 2-4 run the very commands a user would type, and the demo prints each one, so the demo teaches the CLI.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import yargs, { type CommandModule } from 'yargs';
import { writeWav } from '../audio/index.ts';
import { preprocessCommand } from './commands/preprocess.ts';
import { reportCommand } from './commands/report.ts';
import { trainCommand } from './commands/train.ts';
import { DEFAULT_DEMO_OPTIONS, makeDemoSounds } from '../demo/catalogue.ts';
import { DEFAULT_SAMPLER } from '../generate/defaults.ts';

export interface DemoRunOptions {
  /** Where everything goes: sounds/, dataset/, run/ (checkpoints), report/. */
  out: string;
  /** The user's own folder of audio instead of the built-in sounds. */
  data?: string;
  /** Built-in sounds to make. */
  count: number;
  epochs: number;
  backend?: string;
  /** Preprocessing arguments (the built-in sounds' settings by default). */
  preprocessArgs: string[];
  /** Model arguments for `soundvae train`. */
  trainArgs: string[];
}

/** The demo's settings, in one place: small enough to train in a few minutes on two CPU cores. */
export const DEMO_DEFAULTS = {
  out: 'samples/demo',
  count: DEFAULT_DEMO_OPTIONS.count,
  epochs: 30,
  /** 16 kHz, half-second clips, n_fft 512, hop 128 (n_fft/4) -> 256 x 64 spectrograms, labels from folders. */
  preprocessArgs: [
    '--preset',
    'digits',
    '--sample-rate',
    '16000',
    '--frames',
    '64',
    '--keep-ends',
    '--labels',
    'folder',
    '--group-by',
    'source',
    '--validation',
    '0.15',
  ],
  /**
   * The default model made narrow (filters 16,16,32,32,32; 16 latent values per time step): the five families need
   * little capacity, and batch 8 gives enough steps on 255 sounds. Measured in the README's demo paragraph.
   */
  trainArgs: ['--filters', '16,16,32,32,32', '--latent', '16', '--batch-size', '8', '--lr', '0.004'],
} as const;

/** Runs one CLI command as a user would type it, printing the command first. */
// biome-ignore lint/suspicious/noExplicitAny: any command module, whatever its argument types
async function run(command: CommandModule<any, any>, argv: string[]): Promise<void> {
  console.error(`\n$ soundvae ${argv.map((a) => (/[\s']/.test(a) ? `'${a}'` : a)).join(' ')}`);
  await yargs(argv)
    .command(command)
    .strict()
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    })
    .parseAsync();
}

/** Writes the built-in sounds as WAVs in OUT/<family>/<name>.wav (labels come from the folder). */
export async function writeDemoSounds(dir: string, count: number): Promise<number> {
  const sounds = makeDemoSounds({ count });
  for (const s of sounds) await writeWav(path.join(dir, s.label, `${s.name}.wav`), s.samples, DEFAULT_DEMO_OPTIONS.sampleRate);
  return sounds.length;
}

/**
 * What `npm run eval` would say of the demo's new sounds, in three lines: are they recognisable as their family
 * (judged by a logistic regression on log-mel statistics of the training sounds), at the training sounds' level,
 * and as varied as real sounds?
 */
async function printGenerationFigures(runDir: string, datasetDir: string): Promise<void> {
  const [{ loadCheckpoint, disposeVae }, { loadOrFitSampler }, { createGenerator }, { evaluate }, { openDataset }] = await Promise.all([
    import('../train/checkpoint.ts'),
    import('../generate/session.ts'),
    import('../generate/operations.ts'),
    import('../generate/evaluate.ts'),
    import('../dataset/store.ts'),
  ]);
  const ckpt = await loadCheckpoint(runDir);
  const ds = await openDataset(datasetDir);
  try {
    const g = createGenerator(ckpt, {}, await loadOrFitSampler(ckpt));
    const r = await evaluate(g, ds, { samplers: [DEMO_JUDGE.sampler], samples: DEMO_JUDGE.samples, validationItems: DEMO_JUDGE.validation, perLabel: 0 });
    const s = r.generation[0];
    if (!s || !r.real) return;
    const pct = (x: number | undefined) => (x === undefined ? '–' : `${(100 * x).toFixed(0)} %`);
    console.error(
      [
        `\ndemo: ${s.samples} new sounds from the ${s.sampler} sampler, against the real ones:`,
        `  recognisable as their family: ${pct(s.recognisability?.recognisable)} (${s.recognisability?.classesCovered ?? 0} of ${s.recognisability?.classes ?? 0} families; real validation sounds ${pct(r.real.recognisability?.recognisable)})`,
        `  level: median ${s.rms.p50.toFixed(1)} dBFS RMS (training sounds ${r.real.trainRms.p50.toFixed(1)}; straight from Griffin-Lim ${s.rawRms.p50.toFixed(1)})`,
        `  diversity: ${s.diversity.toFixed(1)} dB (real sounds ${r.real.diversity.toFixed(1)} dB: ${pct(s.diversity / r.real.diversity)}); nearest training sound ${s.nearestTrain.mean.toFixed(1)} dB away (real: ${r.real.nearestTrain.mean.toFixed(1)})`,
        `  reconstructions, model only: SC ${r.validation.model?.spectralConvergence.toFixed(1)} dB, LSD ${r.validation.model?.logSpectralDistance.toFixed(2)} dB`,
      ].join('\n'),
    );
  } finally {
    await ds.close();
    disposeVae(ckpt.vae);
  }
}

/** How the demo judges its new sounds: samples from the default sampler, and validation sounds for the real side. */
export const DEMO_JUDGE = { sampler: DEFAULT_SAMPLER, samples: 40, validation: 24 };

/** Runs the demo end to end and returns the path of the report. */
export async function runDemo(o: DemoRunOptions): Promise<string> {
  const started = Date.now();
  const dirs = { sounds: path.join(o.out, 'sounds'), dataset: path.join(o.out, 'dataset'), run: path.join(o.out, 'run'), report: path.join(o.out, 'report') };
  const backend = o.backend ? ['--backend', o.backend] : [];
  let input = o.data;
  if (!input) {
    const n = await writeDemoSounds(dirs.sounds, o.count);
    console.error(`demo: wrote ${n} procedural sounds (pluck, bell, drum, vowel, chirp) to ${dirs.sounds}`);
    input = dirs.sounds;
  } else if (!existsSync(input)) {
    throw new Error(`${input}: no such file or folder`);
  }
  await run(preprocessCommand, ['preprocess', input, '--out', dirs.dataset, '--overwrite', ...o.preprocessArgs]);
  // Resume when an earlier demo left a run here, so a second `npm run demo` is quick and loses nothing.
  const resume = existsSync(path.join(dirs.run, 'last')) ? ['--resume'] : [];
  await run(trainCommand, ['train', '--data', dirs.dataset, '--out', dirs.run, '--epochs', String(o.epochs), ...o.trainArgs, ...resume, ...backend]);
  await run(reportCommand, ['report', '--checkpoint', dirs.run, '--out', dirs.report, '--count', '6', '--samples', '8', ...backend]);
  await printGenerationFigures(dirs.run, dirs.dataset);
  const report = path.resolve(dirs.report, 'index.html');
  console.error(`\ndemo: done in ${((Date.now() - started) / 1000).toFixed(0)} s. Open the listening report:\n  file://${report}`);
  return report;
}
