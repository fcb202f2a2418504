/** `soundvae classify train|eval`: recognise what a sound is from its spectrogram. */
import type { Argv, CommandModule } from 'yargs';
import type { BackendName } from '../../backend/backend.ts';
import {
  CLASSIFIER_KINDS,
  DEFAULT_CLASSIFIER,
  DEFAULT_CLASSIFY_REPORT,
  DEFAULT_CLASSIFY_TRAIN,
  DEFAULT_PREDICT,
  type ClassifierKind,
} from '../../classify/defaults.ts';
import { formatReport } from '../../classify/metrics.ts';
import type { EpochRecord } from '../../classify/train.ts';
import { expectInteger } from '../options.ts';

interface ClassifyTrainArgs {
  data: string;
  out: string;
  model: ClassifierKind;
  label: string;
  epochs: number;
  seed: number;
  'batch-size'?: number;
  lr?: number;
  'vae-checkpoint'?: string;
  resume?: boolean;
  backend?: string;
}

interface ClassifyEvalArgs {
  classifier: string;
  data?: string;
  json?: boolean;
  backend?: string;
}

interface ClassifyPredictArgs {
  classifier: string;
  files: string[];
  top: number;
  'max-clips': number;
  json?: boolean;
  backend?: string;
}

interface ClassifyReportArgs {
  classifier: string;
  out: string;
  data?: string;
  'map-items': number;
  umap: boolean;
  backend?: string;
}

/** Chooses the tfjs backend; tfjs loads here (when a command runs), not for --help. */
async function startBackend(backend: string | undefined): Promise<void> {
  const { initBackend } = await import('../../backend/backend.ts');
  await initBackend(backend as BackendName | undefined);
}

/** A whole number of at least `min`, or a one-line error naming the option. */
function positiveInt(name: string, value: number, min = 1): void {
  expectInteger(name, value, min);
}

/** Train and validation loss and accuracy per epoch, side by side, so over-fitting shows. */
export function formatCurves(history: EpochRecord[]): string {
  const pct = (x: number | null) => (x === null ? '   -  ' : `${(100 * x).toFixed(1).padStart(5)}%`);
  const num = (x: number | null) => (x === null ? '   -  ' : x.toFixed(3).padStart(6));
  return [
    'epoch  train loss  val loss  train acc  val acc',
    ...history.map(
      (h) =>
        `${String(h.epoch).padStart(5)}  ${num(h.trainLoss).padStart(10)}  ${num(h.valLoss).padStart(8)}  ${pct(h.trainAccuracy).padStart(9)}  ${pct(h.valAccuracy).padStart(7)}`,
    ),
  ].join('\n');
}

const trainCmd: CommandModule<object, ClassifyTrainArgs> = {
  command: 'train',
  describe: 'Train a classifier on a preprocessed dataset (same store and train/validation split as the VAE)',
  builder: (y) =>
    y
      .option('data', { type: 'string', demandOption: true, describe: 'Dataset folder made by soundvae preprocess' })
      .option('out', { type: 'string', demandOption: true, describe: 'Folder for the classifier (model, metrics, state)' })
      .option('model', {
        choices: CLASSIFIER_KINDS,
        default: 'cnn' as ClassifierKind,
        describe: "cnn: 3 conv blocks + dense; crnn: conv front end + bidirectional GRU over time; latent: linear probe on a VAE's latent means",
      })
      .option('label', {
        type: 'string',
        default: DEFAULT_CLASSIFY_TRAIN.labelField,
        describe: "What to learn: 'label' or a field parsed from file names, e.g. digit, speaker",
      })
      .option('epochs', { type: 'number', default: DEFAULT_CLASSIFY_TRAIN.epochs, describe: 'Passes over the training split' })
      .option('seed', { type: 'number', default: DEFAULT_CLASSIFY_TRAIN.seed, describe: 'Seed of the weights and the batch order: same seed, same classifier' })
      .option('batch-size', { type: 'number', describe: `Items per optimiser step [default: ${DEFAULT_CLASSIFIER.batchSize}]` })
      .option('lr', { type: 'number', describe: `Adam learning rate [default: ${DEFAULT_CLASSIFIER.learningRate}]` })
      .option('vae-checkpoint', { type: 'string', describe: 'Trained VAE checkpoint (for --model latent)' })
      .option('resume', { type: 'boolean', describe: 'Continue an interrupted run in --out' })
      .example('$0 classify train --data data/fsdd --out classifiers/digits --label digit', 'Which digit was spoken')
      .example('$0 classify train --data data/fsdd --out classifiers/probe --model latent --vae-checkpoint runs/fsdd', 'How much the VAE latent knows'),
  handler: async (args) => {
    await startBackend(args.backend);
    const { trainClassifier } = await import('../../classify/train.ts');
    const config = { ...(args['batch-size'] && { batchSize: args['batch-size'] }), ...(args.lr && { learningRate: args.lr }) };
    // Ctrl-C or SIGTERM: finish the step and stop; the epochs done stay saved. A second Ctrl-C quits at once.
    const stop = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      if (stop.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
      process.stderr.write('\nsoundvae: finishing this step and stopping; press Ctrl-C again to quit at once\n');
      stop.abort(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let history: Awaited<ReturnType<typeof trainClassifier>>;
    try {
      history = await trainClassifier({
        data: args.data,
        out: args.out,
        kind: args.model,
        labelField: args.label,
        epochs: args.epochs,
        seed: args.seed,
        vaeCheckpoint: args['vae-checkpoint'],
        resume: args.resume,
        config,
        signal: stop.signal,
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (stop.signal.aborted) {
      const saved = history.length ? `${history.length} epoch${history.length === 1 ? '' : 's'} saved in ${args.out}` : 'no epoch was finished';
      console.error(`soundvae: interrupted; ${saved}. Continue with: soundvae classify train ... --out ${args.out} --resume --epochs ${args.epochs}`);
      process.exitCode = stop.signal.reason === 'SIGINT' ? 130 : 143;
      return;
    }
    console.log(`classifier written to ${args.out}; evaluate with: soundvae classify eval ${args.out}`);
  },
};

const evalCmd: CommandModule<object, ClassifyEvalArgs> = {
  command: 'eval <classifier>',
  describe: 'Accuracy, top-3, per-class precision/recall, confusion matrix and curves on the validation split',
  builder: (y) =>
    y
      .positional('classifier', { type: 'string', demandOption: true, describe: 'Folder written by classify train' })
      .option('data', { type: 'string', describe: 'Dataset to evaluate on (default: the one it was trained on)' })
      .option('json', { type: 'boolean', describe: 'Machine-readable output' }),
  handler: async (args) => {
    await startBackend(args.backend);
    const { evaluateClassifier } = await import('../../classify/train.ts');
    const { report, history } = await evaluateClassifier(args.classifier, args.data);
    if (args.json) console.log(JSON.stringify({ ...report, history }, null, 2));
    else console.log(`${formatReport(report)}\n\n${formatCurves(history)}`);
  },
};

const predictCmd: CommandModule<object, ClassifyPredictArgs> = {
  command: 'predict <files..>',
  describe: 'Top classes with probabilities for audio files; long files by clip, with a summary per file',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'Audio files in any format soundvae reads' })
      .option('classifier', { type: 'string', demandOption: true, describe: 'Folder written by classify train' })
      .option('top', { type: 'number', default: DEFAULT_PREDICT.top, describe: 'Classes listed per clip and per file' })
      .option('max-clips', { type: 'number', default: DEFAULT_PREDICT.maxClips, describe: 'Clips of one file at most' })
      .option('json', { type: 'boolean', describe: 'Machine-readable output' })
      .example(
        '$0 classify predict --classifier classifiers/digits hello.wav long-take.flac',
        'Which digit, per clip and per file',
      ) as unknown as Argv<ClassifyPredictArgs>,
  handler: async (args) => {
    positiveInt('top', args.top);
    positiveInt('max-clips', args['max-clips']);
    await startBackend(args.backend);
    const { formatPredictions, predictFiles } = await import('../../classify/predict.ts');
    const results = await predictFiles(args.classifier, args.files, { top: args.top, maxClips: args['max-clips'] });
    console.log(args.json ? JSON.stringify(results, null, 2) : formatPredictions(results));
    const failed = results.filter((r) => r.error !== undefined);
    // Every readable file was classified; the exit status still says that some were not.
    if (failed.length) {
      console.error(`${failed.length} of ${results.length} files skipped`);
      process.exitCode = 1;
    }
  },
};

const reportCmd: CommandModule<object, ClassifyReportArgs> = {
  command: 'report',
  describe: 'Write an offline HTML page: confusion matrix, per-class precision/recall, curves, embedding maps',
  builder: (y) =>
    y
      .option('classifier', { type: 'string', demandOption: true, describe: 'Folder written by classify train' })
      .option('out', { type: 'string', demandOption: true, describe: 'Report folder (index.html is written there)' })
      .option('data', { type: 'string', describe: 'Dataset to evaluate on (default: the one it was trained on)' })
      .option('map-items', { type: 'number', default: DEFAULT_CLASSIFY_REPORT.mapItems, describe: 'Validation items on the embedding maps (spread evenly)' })
      .option('umap', { type: 'boolean', default: DEFAULT_CLASSIFY_REPORT.umap, describe: 'Add a UMAP map beside PCA (--no-umap to skip)' })
      .example(
        '$0 classify report --classifier classifiers/digits --out report-digits',
        'Then open report-digits/index.html',
      ) as unknown as Argv<ClassifyReportArgs>,
  handler: async (args) => {
    positiveInt('map-items', args['map-items']);
    await startBackend(args.backend);
    const { writeClassificationReport } = await import('../../report/classification.ts');
    const { file, report } = await writeClassificationReport({
      classifier: args.classifier,
      out: args.out,
      data: args.data,
      mapItems: args['map-items'],
      umap: args.umap,
    });
    console.log(`accuracy ${(100 * report.accuracy).toFixed(1)}%, top-3 ${(100 * report.top3).toFixed(1)}% on ${report.count} validation items`);
    console.log(`report: ${file}`);
  },
};

export const classifyCommand: CommandModule = {
  command: 'classify <command>',
  describe: 'Classify sounds from their spectrograms (genre, digit, speaker...)',
  builder: (y: Argv) =>
    y.command(trainCmd).command(evalCmd).command(predictCmd).command(reportCmd).demandCommand(1, 'Name a classify command: train, eval, predict or report'),
  handler: () => {},
};
