/** `soundvae train`: train the VAE on a preprocessed dataset, with checkpoints, logs and exact resume. */
import os from 'node:os';
import type { CommandModule } from 'yargs';
import type { BackendName } from '../../backend/backend.ts';
import { describeError, UserError } from '../../errors.ts';
import { VAE_PRESETS, type BottleneckKind, type ReconstructionLoss, type Stride, type VaeConfig, type VaePresetName } from '../../model/vae-config.ts';
import { DEFAULT_TRAIN, RUN_FILES } from '../../train/defaults.ts';
import { keptCheckpointNote, watchLauncher } from '../../train/run-folder.ts';
import type { LrScheduleName } from '../../train/schedule.ts';
import { formatNumber } from '../../progress.ts';

interface TrainArgs {
  data: string;
  tensorboard: boolean;
  out: string;
  preset?: string;
  epochs: number;
  'batch-size'?: number;
  lr?: number;
  'lr-schedule'?: LrScheduleName;
  latent?: number;
  filters?: string;
  kernels?: string;
  strides?: string;
  'recon-weight'?: number;
  bottleneck?: BottleneckKind;
  loss?: ReconstructionLoss;
  'loss-emphasis'?: number;
  'spectral-weight'?: number;
  'kl-weight'?: number;
  'kl-anneal'?: number;
  seed?: number;
  workers?: number;
  'micro-batch': number;
  'log-every': number;
  'save-every': number;
  resume?: boolean;
  overwrite?: boolean;
  backend?: string;
}

/** Parses "64,64,32" into positive integers; names the option in the error. */
export function parseIntList(option: string, text: string): number[] {
  const values = text.split(',').map((s) => Number(s.trim()));
  if (!values.length || values.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new UserError(`--${option} '${text}': expected positive integers separated by commas, e.g. 64,64,32`);
  }
  return values;
}

/** Parses "2x2,2x2,2x1" (height x width per block; "2" means 2x2) into strides. */
export function parseStrides(text: string): Stride[] {
  return text.split(',').map((part) => {
    const m = /^\s*(\d+)(?:x(\d+))?\s*$/.exec(part);
    if (!m || Number(m[1]) < 1 || (m[2] !== undefined && Number(m[2]) < 1)) {
      throw new UserError(`--strides '${text}': expected HxW per block separated by commas, e.g. 2x2,2x2,2x1`);
    }
    return [Number(m[1]), Number(m[2] ?? m[1])] as Stride;
  });
}

/**
 * The explicitly given architecture options as config overrides. When --filters changes the number of blocks and
 * --kernels/--strides are not given, they follow the preset's pattern: its first kernel for every block, and its
 * first stride for every block but the last, which takes the preset's last stride (2x2 ... 2x2, 2x1).
 */
export function overridesFromArgs(args: TrainArgs): Partial<VaeConfig> {
  const preset = VAE_PRESETS[(args.preset ?? DEFAULT_TRAIN.preset) as VaePresetName] as VaeConfig | undefined;
  if (!preset) throw new UserError(`unknown --preset '${args.preset}': choose one of ${Object.keys(VAE_PRESETS).join(', ')}`);
  const o: Partial<VaeConfig> = {};
  if (args.filters !== undefined) o.filters = parseIntList('filters', args.filters);
  if (args.kernels !== undefined) o.kernels = parseIntList('kernels', args.kernels);
  if (args.strides !== undefined) o.strides = parseStrides(args.strides);
  const n = (o.filters ?? o.kernels ?? o.strides ?? preset.filters).length;
  if (o.filters && o.filters.length !== preset.filters.length) {
    o.kernels ??= Array(n).fill(preset.kernels[0]);
    o.strides ??= [...Array(n - 1).fill(preset.strides[0]), preset.strides[preset.strides.length - 1]!];
  }
  for (const [key, list] of [
    ['filters', o.filters],
    ['kernels', o.kernels],
    ['strides', o.strides],
  ] as const) {
    if (list && list.length !== n) throw new UserError(`--${key} has ${list.length} blocks but the model has ${n}; give one value per block`);
  }
  if (args.latent !== undefined) o.latent = positive('latent', args.latent, true);
  if (args.lr !== undefined) o.learningRate = positive('lr', args.lr);
  if (args['lr-schedule'] !== undefined) o.lrSchedule = args['lr-schedule'];
  if (args['batch-size'] !== undefined) o.batchSize = positive('batch-size', args['batch-size'], true);
  if (args['recon-weight'] !== undefined) o.reconstructionWeight = positive('recon-weight', args['recon-weight']);
  if (args.bottleneck !== undefined) o.bottleneck = args.bottleneck;
  if (args.loss !== undefined) o.reconstructionLoss = args.loss;
  if (args['loss-emphasis'] !== undefined) {
    if (!Number.isFinite(args['loss-emphasis']) || args['loss-emphasis'] < 0)
      throw new UserError(`--loss-emphasis ${args['loss-emphasis']}: expected 0 or a positive number`);
    o.lossEmphasis = args['loss-emphasis'];
  }
  if (args['spectral-weight'] !== undefined) {
    if (!Number.isFinite(args['spectral-weight']) || args['spectral-weight'] < 0)
      throw new UserError(`--spectral-weight ${args['spectral-weight']}: expected 0 or a positive number`);
    o.spectralWeight = args['spectral-weight'];
  }
  if (args['kl-weight'] !== undefined) o.klWeight = positive('kl-weight', args['kl-weight']);
  if (args['kl-anneal'] !== undefined) {
    if (!Number.isFinite(args['kl-anneal']) || args['kl-anneal'] < 0)
      throw new UserError(`--kl-anneal ${args['kl-anneal']}: expected 0 or a positive number of epochs`);
    o.klAnnealEpochs = args['kl-anneal'];
  }
  return o;
}

/**
 * Worker threads when --workers is not given: on wasm one per core (each owns a single-threaded wasm backend), up to
 * 4; native backends already use every core themselves.
 */
export function defaultWorkers(backend: BackendName): number {
  return backend === 'wasm' ? Math.max(1, Math.min(4, os.availableParallelism())) : DEFAULT_TRAIN.workers;
}

/** Checks the run options that are not part of the model config. */
export function checkRunArgs(args: Pick<TrainArgs, 'epochs' | 'workers' | 'micro-batch' | 'log-every' | 'save-every'>): void {
  positive('epochs', args.epochs, true);
  if (args.workers !== undefined) positive('workers', args.workers, true);
  positive('log-every', args['log-every'], true);
  for (const [option, v] of [
    ['micro-batch', args['micro-batch']],
    ['save-every', args['save-every']],
  ] as const) {
    if (!Number.isFinite(v) || v < 0 || (option === 'micro-batch' && !Number.isInteger(v))) {
      throw new UserError(`--${option} ${v}: expected 0 or a positive ${option === 'micro-batch' ? 'integer' : 'number'}`);
    }
  }
}

function positive(option: string, v: number, integer = false): number {
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new UserError(`--${option} ${v}: expected a positive ${integer ? 'integer' : 'number'}`);
  }
  return v;
}

function describeConfig(c: VaeConfig): string {
  return (
    `filters ${c.filters.join(',')}, kernels ${c.kernels.join(',')}, strides ${c.strides.map((s) => s.join('x')).join(',')}, ` +
    `${c.bottleneck === 'time' ? `latent ${c.latent} per time step` : `latent ${c.latent}`}, ${c.reconstructionLoss ?? 'mse'}${c.lossEmphasis ? ` (loud bins x e^${c.lossEmphasis})` : ''}${c.spectralWeight ? ` + ${c.spectralWeight} SC` : ''} x ${formatNumber(c.reconstructionWeight)}, ` +
    `kl x ${c.klWeight ?? 1}${c.klAnnealEpochs ? ` (ramped over ${c.klAnnealEpochs} epochs)` : ''}, lr ${c.learningRate} (${c.lrSchedule ?? 'constant'}), batch ${c.batchSize}`
  );
}

/**
 * Fits the latent sampler of the run's best checkpoint (sampler.json), so `generate` samples where the data lies
 * from the start. A failure here costs nothing trained: generate fits it again on first use.
 */
async function fitSamplerAfterTraining(run: string): Promise<void> {
  const [{ loadCheckpoint, disposeVae }, { loadOrFitSampler }] = await Promise.all([import('../../train/checkpoint.ts'), import('../../generate/session.ts')]);
  try {
    const ckpt = await loadCheckpoint(run);
    try {
      await loadOrFitSampler(ckpt, (line) => console.error(line));
    } finally {
      disposeVae(ckpt.vae);
    }
  } catch (err) {
    console.error(`soundvae: no latent sampler fitted (${describeError(err)}); generate fits one on first use`);
  }
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'Train the VAE on a preprocessed dataset (checkpoints, metrics log, curves; Ctrl-C saves; --resume)',
  builder: (y) =>
    y
      .option('data', { type: 'string', demandOption: true, describe: 'Dataset folder made by `soundvae preprocess`' })
      .option('out', {
        type: 'string',
        demandOption: true,
        describe: 'Run folder for checkpoints (last/, best/), metrics.jsonl, curves.svg and TensorBoard events',
      })
      .option('preset', {
        type: 'string',
        choices: Object.keys(VAE_PRESETS),
        describe: `Architecture: default (small, trains on CPU) or reference (the original Keras model) [default: ${DEFAULT_TRAIN.preset}]`,
      })
      .option('epochs', { type: 'number', default: DEFAULT_TRAIN.epochs, describe: 'Total epochs (with --resume: counted from the start of the run)' })
      .option('batch-size', { type: 'number', describe: 'Items per optimiser step [preset]' })
      .option('lr', { type: 'number', describe: 'Adam learning rate [preset]' })
      .option('lr-schedule', {
        choices: ['constant', 'cosine'] as const,
        describe: 'constant, or cosine: from --lr down to 5 % of it along half a cosine over the run (to --epochs) [preset]',
      })
      .option('latent', { type: 'number', describe: 'Size of the latent vector z [preset]' })
      .option('filters', { type: 'string', describe: 'Conv filters per encoder block, e.g. 64,64,32 [preset]' })
      .option('kernels', { type: 'string', describe: 'Kernel size per block, e.g. 3,3,3 [preset]' })
      .option('strides', { type: 'string', describe: 'Stride per block as HxW (H = frequency), e.g. 2x2,2x2,2x1 [preset]' })
      .option('recon-weight', { type: 'number', describe: 'Weight of the reconstruction MSE against KL [preset]' })
      .option('bottleneck', {
        choices: ['dense', 'time'] as const,
        describe: 'dense: one latent vector per clip (the tutorial); time: --latent values per time step of the conv grid [preset]',
      })
      .option('loss', { choices: ['mse', 'l1'] as const, describe: 'Reconstruction error per element: mse (the tutorial) or l1 (less blur) [preset]' })
      .option('loss-emphasis', { type: 'number', describe: "k: weight each bin's error by exp(k (x - 1)), so loud bins count e^k times the floor [preset]" })
      .option('spectral-weight', { type: 'number', describe: 'Weight of a spectral-convergence term on linear magnitudes (sharper loud harmonics) [preset]' })
      .option('kl-weight', { type: 'number', describe: 'beta: weight of the KL term (higher: latents closer to N(0, I), blurrier reconstructions) [preset]' })
      .option('kl-anneal', { type: 'number', describe: 'Epochs over which the KL weight ramps up from 0 to --kl-weight [0: no ramp]' })
      .option('seed', { type: 'number', describe: `Seed of weights, shuffling and noise: same seed + backend = same weights [${DEFAULT_TRAIN.seed}]` })
      .option('workers', {
        type: 'number',
        describe: 'Data-parallel worker threads, each with its own wasm backend [wasm: one per core, up to 4; other backends: 1]',
      })
      .option('micro-batch', { type: 'number', default: DEFAULT_TRAIN.microBatch, describe: 'Largest batch run at once (0 = fit memory automatically)' })
      .option('log-every', { type: 'number', default: DEFAULT_TRAIN.logEverySteps, describe: 'Write a metrics.jsonl line every N steps' })
      .option('tensorboard', {
        type: 'boolean',
        default: true,
        describe:
          'Also write TensorBoard event files into --out (tensorboard --logdir runs/): losses, learning rate, and after every epoch reconstructions of three validation items to listen to; --no-tensorboard to skip',
      })
      .option('save-every', {
        type: 'number',
        default: DEFAULT_TRAIN.saveEverySeconds / 60,
        describe: 'Also save last/ every N minutes inside long epochs (0 = only at epoch ends)',
      })
      .option('resume', { type: 'boolean', describe: 'Continue the run in --out exactly where it stopped (Ctrl-C or a crash)' })
      .option('overwrite', { type: 'boolean', describe: 'Replace a run already in --out (without it a new run there is refused)' })
      .example('$0 train --data data/digits --out runs/digits', 'Train the default model for 20 epochs')
      .example('$0 train --data data/digits --out runs/digits --resume --epochs 40', 'Continue that run up to epoch 40')
      .example('$0 train --data data/digits --out runs/ref --preset reference --backend wasm', 'The original architecture')
      .example('$0 train --data data/tiny --out runs/tiny --filters 16,16 --latent 8 --epochs 5', 'A quick small model')
      .epilog(
        [
          'The input shape comes from the dataset (e.g. 256x64); it must be divisible by the product of the strides. ' +
            'Each epoch shuffles the training split with the seed, then measures the loss on the validation split. ' +
            'Loss = weight * MSE + KL; the progress bar shows both parts (rec = MSE, kl).',
          `The run folder gets ${RUN_FILES.last}/ (after every epoch), ${RUN_FILES.best}/ (lowest validation loss), ` +
            `${RUN_FILES.metrics} (a JSON line per epoch and per --log-every steps) and ${RUN_FILES.curves}. ` +
            'A checkpoint holds the encoder and decoder as tfjs layers models (model.json + weights.bin), the config, ' +
            "the dataset's preprocessing settings and normalisation statistics, and the optimiser state.",
          'Ctrl-C finishes the current step, saves last/ and exits; --resume then continues exactly (same weights as an ' +
            'uninterrupted run). After a hard kill only the work since the last save is lost (at most --save-every minutes).',
        ].join('\n\n'),
      ),
  handler: async (args) => {
    const overrides = overridesFromArgs(args);
    checkRunArgs(args);
    // tfjs loads here, not for --help
    const [{ initBackend }, { datasetSource, resolveConfig, train }] = await Promise.all([import('../../backend/backend.ts'), import('../../train/train.ts')]);
    const { active } = await initBackend(args.backend as BackendName | 'auto' | undefined);
    const workers = args.workers ?? defaultWorkers(active);
    const data = await datasetSource(args.data);
    const stop = new AbortController();
    let presses = 0;
    let exitCode = 130;
    // Ctrl-C (SIGINT), a polite kill (SIGTERM, e.g. from a job scheduler) or the launcher (npx) gone: save and stop,
    // exiting 128 + the signal's number (130 for SIGINT, 143 for SIGTERM).
    const onSigint = (signal: NodeJS.Signals | 'launcher gone') => {
      presses++;
      exitCode = signal === 'SIGINT' ? 130 : 143;
      if (presses > 1) {
        process.stderr.write(`\nsoundvae: stopped without saving (${keptCheckpointNote(args.out)})\n`);
        process.exit(exitCode);
      }
      const why = signal === 'launcher gone' ? 'the process that started this one (npx/npm) has gone; ' : '';
      process.stderr.write(`\nsoundvae: ${why}finishing this step and saving; press Ctrl-C again to quit at once\n`);
      stop.abort();
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    const stopWatching = watchLauncher(() => onSigint('launcher gone'));
    try {
      if (!args.resume) {
        const config = resolveConfig((args.preset ?? DEFAULT_TRAIN.preset) as VaePresetName, overrides);
        console.error(
          `training on ${data.trainItems} items (${data.validationItems} for validation) of ${data.shape.join('x')}, backend ${active}: ${describeConfig(config)}`,
        );
      }
      const result = await train(data, {
        out: args.out,
        preset: args.preset as VaePresetName | undefined,
        overrides,
        epochs: args.epochs,
        seed: args.seed,
        seedGiven: args.seed !== undefined,
        workers,
        microBatch: args['micro-batch'],
        logEverySteps: args['log-every'],
        saveEverySeconds: args['save-every'] * 60,
        tensorboard: args.tensorboard,
        listen: args.tensorboard === false ? undefined : (await import('../../generate/listen.ts')).epochListener(args.data),
        resume: args.resume,
        overwrite: args.overwrite,
        signal: stop.signal,
      });
      if (result.status === 'interrupted') {
        console.error(
          `soundvae: interrupted at epoch ${result.epoch + 1}, step ${result.step}; saved ${result.checkpoint}. ` +
            `Continue with: soundvae train --data ${args.data} --out ${args.out} --resume --epochs ${args.epochs}`,
        );
        process.exitCode = exitCode;
        return;
      }
      const best = result.bestValLoss === null ? '' : `, best loss ${formatNumber(result.bestValLoss)}`;
      console.log(`trained ${result.epoch} epochs (${result.step} steps)${best}; checkpoints in ${args.out}`);
      await fitSamplerAfterTraining(args.out);
    } finally {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
      stopWatching();
      await data.close();
    }
  },
};
