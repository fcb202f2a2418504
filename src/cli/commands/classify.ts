/** `soundvae classify train|eval`: recognise what a sound is from its spectrogram. */
import type { Argv, CommandModule } from 'yargs';
import { initBackend, type BackendName } from '../../backend/backend.ts';
import { formatReport } from '../../classify/metrics.ts';
import { CLASSIFIER_KINDS, type ClassifierKind } from '../../classify/models.ts';
import { DEFAULT_CLASSIFY_TRAIN, evaluateClassifier, trainClassifier, type EpochRecord } from '../../classify/train.ts';

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

/** Train and validation loss and accuracy per epoch, side by side, so over-fitting shows. */
export function formatCurves(history: EpochRecord[]): string {
  const pct = (x: number | null) => (x === null ? '   -  ' : `${(100 * x).toFixed(1).padStart(5)}%`);
  const num = (x: number | null) => (x === null ? '   -  ' : x.toFixed(3).padStart(6));
  return [
    'epoch  train loss  val loss  train acc  val acc',
    ...history.map((h) => `${String(h.epoch).padStart(5)}  ${num(h.trainLoss).padStart(10)}  ${num(h.valLoss).padStart(8)}  ${pct(h.trainAccuracy).padStart(9)}  ${pct(h.valAccuracy).padStart(7)}`),
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
        describe: 'cnn: 3 conv blocks + dense; crnn: conv front end + bidirectional GRU over time; latent: linear probe on a VAE\'s latent means',
      })
      .option('label', { type: 'string', default: DEFAULT_CLASSIFY_TRAIN.labelField, describe: "What to learn: 'label' or a field parsed from file names, e.g. digit, speaker" })
      .option('epochs', { type: 'number', default: DEFAULT_CLASSIFY_TRAIN.epochs })
      .option('seed', { type: 'number', default: DEFAULT_CLASSIFY_TRAIN.seed })
      .option('batch-size', { type: 'number' })
      .option('lr', { type: 'number', describe: 'Adam learning rate' })
      .option('vae-checkpoint', { type: 'string', describe: 'Trained VAE checkpoint (for --model latent)' })
      .option('resume', { type: 'boolean', describe: 'Continue an interrupted run in --out' })
      .example('$0 classify train --data data/fsdd --out classifiers/digits --label digit', 'Which digit was spoken')
      .example('$0 classify train --data data/fsdd --out classifiers/probe --model latent --vae-checkpoint runs/fsdd', 'How much the VAE latent knows'),
  handler: async (args) => {
    await initBackend(args.backend as BackendName | undefined);
    const config = { ...(args['batch-size'] && { batchSize: args['batch-size'] }), ...(args.lr && { learningRate: args.lr }) };
    await trainClassifier({
      data: args.data,
      out: args.out,
      kind: args.model,
      labelField: args.label,
      epochs: args.epochs,
      seed: args.seed,
      vaeCheckpoint: args['vae-checkpoint'],
      resume: args.resume,
      config,
    });
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
    await initBackend(args.backend as BackendName | undefined);
    const { report, history } = await evaluateClassifier(args.classifier, args.data);
    if (args.json) console.log(JSON.stringify({ ...report, history }, null, 2));
    else console.log(`${formatReport(report)}\n\n${formatCurves(history)}`);
  },
};

export const classifyCommand: CommandModule = {
  command: 'classify <command>',
  describe: 'Classify sounds from their spectrograms (genre, digit, speaker...)',
  builder: (y: Argv) => y.command(trainCmd).command(evalCmd).demandCommand(1, 'Name a classify command: train or eval'),
  handler: () => {},
};
