/** `soundvae generate`: new sounds from the prior of a trained checkpoint. */
import { existsSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { openDataset } from '../../dataset/store.ts';
import { describeError, UserError } from '../../errors.ts';
import { DEFAULT_INVERT } from '../../generate/invert.ts';
import { DEFAULT_SAMPLE, generateSamples } from '../../generate/operations.ts';
import { copyNotes, writeSamples } from '../../generate/report-data.ts';
import { closeSession, openSession, writeSessionReport } from '../../generate/session.ts';

interface GenerateArgs {
  checkpoint: string;
  count: number;
  out: string;
  temperature: number;
  seed: number;
  iters: number;
  report?: boolean;
  backend?: string;
}

const HELP = `Draw latent vectors from the prior N(0, I), scaled by --temperature (below 1: safer, more
typical sounds; above 1: stranger ones), decode them all in one batch, and turn each spectrogram into
sound with Griffin-Lim started from the PGHI phase estimate.

The decoder outputs values in [0, 1]; training normalised each spectrogram with its own dB minimum
and maximum, which a prior sample does not have. Samples are de-normalised with the training set's
MEAN per-item minimum and maximum (kept in the checkpoint): a typical level and dynamic range.`;

/** Checks that a number option is a whole number within bounds. */
export function checkCount(name: string, value: number, min: number, max = Infinity): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UserError(`--${name} must be a whole number from ${min}${Number.isFinite(max) ? ` to ${max}` : ''}, got ${value}`);
  }
}

export const generateCommand: CommandModule<object, GenerateArgs> = {
  command: 'generate',
  describe: 'Generate new sounds from a trained checkpoint (prior samples -> decoder -> Griffin-Lim -> WAV)',
  builder: (y) =>
    y
      .usage(`$0 generate --checkpoint DIR --count N --out DIR [options]\n\n${HELP}`)
      .option('checkpoint', { type: 'string', demandOption: true, describe: 'Checkpoint or run folder (a run folder means its best/)' })
      .option('count', { type: 'number', default: DEFAULT_SAMPLE.count, describe: 'Sounds to generate' })
      .option('out', { type: 'string', demandOption: true, describe: 'Folder for sample-NN.wav (and index.html with --report)' })
      .option('temperature', { type: 'number', default: DEFAULT_SAMPLE.temperature, describe: 'Scale of the prior samples' })
      .option('seed', { type: 'number', default: DEFAULT_SAMPLE.seed, describe: 'Seed of the latent samples: same seed, same sounds' })
      .option('iters', { type: 'number', default: DEFAULT_INVERT.iterations, describe: 'Griffin-Lim iterations' })
      .option('report', { type: 'boolean', describe: 'Also write a listening report (index.html with spectrograms) into --out' })
      .example('$0 generate --checkpoint runs/digits --count 16 --out samples/digits --report', 'Sixteen new digits and a page to hear them')
      .example('$0 generate --checkpoint runs/digits --count 4 --out samples/t05 --temperature 0.5', 'Safer, more typical sounds') as unknown as Argv<GenerateArgs>,
  handler: async (args) => {
    checkCount('count', args.count, 1, 10_000);
    checkCount('iters', args.iters, 0);
    if (!(args.temperature >= 0)) throw new UserError(`--temperature must be >= 0, got ${args.temperature}`);
    const s = await openSession(args.checkpoint, args.backend, { iterations: args.iters });
    try {
      const { sounds, range, seconds } = generateSamples(s.g, { count: args.count, temperature: args.temperature, seed: args.seed });
      // With a report, name each sample's nearest training item when the training dataset is still there.
      let notes: string[] = [];
      if (args.report && existsSync(s.ckpt.dataset.path)) {
        try {
          const ds = await openDataset(s.ckpt.dataset.path);
          try {
            if (ds.shape.join('x') === s.ckpt.inputShape.join('x')) notes = await copyNotes(ds, sounds, range);
          } finally {
            await ds.close();
          }
        } catch (err) {
          console.error(`soundvae: no copy check: ${describeError(err)}`);
        }
      }
      const items = await writeSamples(args.out, '.', sounds, s.g.clip, Boolean(args.report), notes);
      const clipSeconds = s.g.clip.clipSamples / s.g.clip.sampleRate;
      console.log(
        `${sounds.length} sound${sounds.length === 1 ? '' : 's'} -> ${args.out}  (decode + Griffin-Lim ${((1000 * seconds) / sounds.length).toFixed(0)} ms per ${clipSeconds.toFixed(2)} s clip; de-normalised to ${range.min.toFixed(1)}..${range.max.toFixed(1)} dB)`,
      );
      if (args.report) {
        const file = await writeSessionReport(args.out, s, {
          title: 'soundvae: generated sounds',
          subtitle: `${sounds.length} samples from the prior at temperature ${args.temperature}, seed ${args.seed}`,
          generated: { items, note: `De-normalised with the training set's mean per-item range, ${range.min.toFixed(1)} to ${range.max.toFixed(1)} dB.` },
        });
        console.log(`report: ${file}`);
      }
    } finally {
      closeSession(s);
    }
  },
};
