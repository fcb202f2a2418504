/** `soundvae reconstruct`: hear and measure what the model keeps of real sounds. */
import type { Argv, CommandModule } from 'yargs';
import { openDataset } from '../../dataset/store.ts';
import { UserError } from '../../errors.ts';
import { DEFAULT_INVERT } from '../../generate/invert.ts';
import { inputsFromDataset, inputsFromFiles, reconstruct, type Reconstruction, type ReconstructionInput } from '../../generate/operations.ts';
import { writeReconstructions } from '../../generate/report-data.ts';
import { closeSession, openSession, writeSessionReport } from '../../generate/session.ts';
import { meanScores, type Scores } from '../../report/html.ts';
import { checkCount } from './generate.ts';

interface ReconstructArgs {
  checkpoint: string;
  inputs?: string[];
  data?: string;
  split: 'train' | 'validation' | 'all';
  count: number;
  out: string;
  iters: number;
  report?: boolean;
  backend?: string;
}

const HELP = `For each input, three WAVs side by side:
  NAME-original.wav        the clip itself (after the checkpoint's preprocessing: rate, clean-up, padding)
  NAME-oracle.wav          Griffin-Lim from the clip's true magnitude: what losing the phase costs alone
  NAME-reconstruction.wav  through the VAE (its latent mean), then Griffin-Lim: model error on top
Both rebuilt clips are de-normalised with the clip's own dB range. Spectral convergence (SC) and
log-spectral distance (LSD) against the clip's spectrogram are printed per item and on average:
lower is better, and the gap between oracle and reconstruction is what the model loses.

Inputs are audio files of any supported format (their first clip is used), or --data DATASET_DIR
to take --count items spread over a split (default validation, i.e. sounds the model never trained on).`;

/** "SC -12.3 dB  LSD 4.56 dB" */
function describeScores(s: Scores | undefined): string {
  return s ? `SC ${s.spectralConvergence.toFixed(1)} dB  LSD ${s.logSpectralDistance.toFixed(2)} dB` : '–';
}

/** Prints one line per item and the means. */
export function printReconstructions(recs: Reconstruction[], log: (line: string) => void = console.log): void {
  const width = Math.max(4, ...recs.map((r) => r.name.length));
  for (const r of recs) {
    log(`${r.name.padEnd(width)}  oracle ${describeScores(r.oracle.scores)}   reconstruction ${describeScores(r.reconstruction.scores)}`);
  }
  if (recs.length > 1) {
    log(`${'mean'.padEnd(width)}  oracle ${describeScores(meanScores(recs.map((r) => r.oracle.scores)))}   reconstruction ${describeScores(meanScores(recs.map((r) => r.reconstruction.scores)))}`);
  }
}

export const reconstructCommand: CommandModule<object, ReconstructArgs> = {
  command: 'reconstruct [inputs..]',
  describe: 'Original, oracle (phase loss only) and VAE reconstruction of clips, with SC and LSD',
  builder: (y) =>
    y
      .usage(`$0 reconstruct --checkpoint DIR (IN... | --data DATASET_DIR) --out DIR [options]\n\n${HELP}`)
      .positional('inputs', { type: 'string', array: true, describe: 'Audio files' })
      .option('checkpoint', { type: 'string', demandOption: true, describe: 'Checkpoint or run folder (a run folder means its best/)' })
      .option('data', { type: 'string', describe: 'Dataset folder to take items from instead of files' })
      .option('split', { choices: ['validation', 'train', 'all'] as const, default: 'validation' as const, describe: 'Split of --data to use' })
      .option('count', { type: 'number', default: 8, describe: 'Items taken from --data' })
      .option('out', { type: 'string', demandOption: true, describe: 'Output folder' })
      .option('iters', { type: 'number', default: DEFAULT_INVERT.iterations, describe: 'Griffin-Lim iterations' })
      .option('report', { type: 'boolean', describe: 'Also write a listening report (index.html) into --out' })
      .example('$0 reconstruct --checkpoint runs/digits --data datasets/fsdd --count 8 --out recon --report', 'Eight unseen digits, heard three ways')
      .example('$0 reconstruct --checkpoint runs/digits my-voice.m4a --out recon', 'Any file, preprocessed like the training data') as unknown as Argv<ReconstructArgs>,
  handler: async (args) => {
    const files = args.inputs ?? [];
    if (files.length === 0 && !args.data) throw new UserError('give audio files or --data DATASET_DIR to reconstruct');
    if (files.length > 0 && args.data) throw new UserError('give either audio files or --data, not both');
    checkCount('count', args.count, 1);
    checkCount('iters', args.iters, 0);
    const s = await openSession(args.checkpoint, args.backend, { iterations: args.iters });
    let failed = 0;
    const onError = (message: string) => {
      failed++;
      console.error(`soundvae: ${message} (skipped)`);
    };
    try {
      let inputs: ReconstructionInput[];
      if (args.data) {
        const ds = await openDataset(args.data);
        try {
          if (ds.shape.join('x') !== s.ckpt.inputShape.join('x')) {
            throw new UserError(`${args.data}: items are ${ds.shape.join('x')} but the checkpoint takes ${s.ckpt.inputShape.join('x')}`);
          }
          if (ds.indices(args.split).length === 0) throw new UserError(`${args.data}: the ${args.split} split is empty`);
          inputs = await inputsFromDataset(s.g, ds, args.split, args.count, onError);
        } finally {
          await ds.close();
        }
      } else {
        inputs = await inputsFromFiles(s.g, files, onError);
      }
      if (inputs.length === 0) throw new UserError('no input could be read');
      const recs = reconstruct(s.g, inputs);
      const rows = await writeReconstructions(args.out, '.', recs, s.g.clip, Boolean(args.report));
      printReconstructions(recs);
      console.log(`${recs.length} x 3 WAVs -> ${args.out}`);
      if (args.report) {
        const file = await writeSessionReport(args.out, s, {
          title: 'soundvae: reconstructions',
          subtitle: args.data ? `${recs.length} ${args.split} items of ${args.data}` : `${recs.length} files`,
          reconstructions: rows,
        });
        console.log(`report: ${file}`);
      }
    } finally {
      closeSession(s);
    }
    if (failed > 0) process.exitCode = 1;
  },
};
