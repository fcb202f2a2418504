/** `soundvae generate`: new sounds from a trained checkpoint, drawn where its training data lies. */
import { existsSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { describeError } from '../../errors.ts';
import { optionError } from '../options.ts';
import { DEFAULT_INVERT, DEFAULT_SAMPLE, DEFAULT_SAMPLER, SAMPLER_KINDS, type SamplerKind } from '../../generate/defaults.ts';
import type { GeneratedSound } from '../../generate/operations.ts';
import type { Session } from '../../generate/session.ts';
import type { AudioClip } from '../../report/html.ts';

interface GenerateArgs {
  checkpoint: string;
  count: number;
  out: string;
  temperature: number;
  seed: number;
  iters: number;
  sampler?: SamplerKind;
  label?: string;
  level: boolean;
  seconds?: number;
  report?: boolean;
  backend?: string;
}

const HELP = `Draw latent codes where the training data lies, decode them all in one batch, and turn each
spectrogram into sound with Griffin-Lim started from the PGHI phase estimate.

Samplers (fitted after training into the checkpoint's sampler.json; fitted on first use when
missing, or with \`soundvae fit-sampler\`): neighbours (default) takes a point between a training
code and one of its nearest neighbours; gmm and gaussian draw from densities fitted to the training
codes; prior draws from N(0, I) as the original tutorial does, which for a model trained with a
reconstruction weight of 1e6 tends to decode to near-silence. --temperature scales the spread
(below 1: safer, more typical sounds; above 1: stranger ones). --label draws for one label value.

Levels: each sample is de-normalised with the dB range its code predicts (a regression fitted on
the training items' own ranges) and levelled to the training clips' median loudness (--no-level
keeps Griffin-Lim's raw output). \`--sampler prior --no-level\` is the tutorial's behaviour exactly.

Length: a sound is one training clip long; --seconds S makes longer ones from a model with a
latent per time step (the default preset): clip codes drawn as above are chained along time and
decoded as one spectrogram, so the joins are the decoder's own (on digits: a string of digits).`;

/** Checks that a number option is a whole number within bounds. */
export function checkCount(name: string, value: number, min: number, max = Infinity): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw optionError(name, value, `a whole number from ${min}${Number.isFinite(max) ? ` to ${max}` : ''}`);
  }
}

export const generateCommand: CommandModule<object, GenerateArgs> = {
  command: 'generate',
  describe: 'Generate new sounds from a trained checkpoint (latent samples -> decoder -> Griffin-Lim -> WAV)',
  builder: (y) =>
    y
      .usage(`$0 generate --checkpoint DIR --count N --out DIR [options]\n\n${HELP}`)
      .option('checkpoint', { type: 'string', demandOption: true, describe: 'Checkpoint or run folder (a run folder means its best/)' })
      .option('count', { type: 'number', default: DEFAULT_SAMPLE.count, describe: 'Sounds to generate' })
      .option('out', { type: 'string', demandOption: true, describe: 'Folder for sample-NN.wav (and index.html with --report)' })
      .option('temperature', { type: 'number', default: DEFAULT_SAMPLE.temperature, describe: 'Scale of the prior samples' })
      .option('seed', { type: 'number', default: DEFAULT_SAMPLE.seed, describe: 'Seed of the latent samples: same seed, same sounds' })
      .option('iters', { type: 'number', default: DEFAULT_INVERT.iterations, describe: 'Griffin-Lim iterations' })
      .option('sampler', { choices: SAMPLER_KINDS, describe: `Where latent codes come from [${DEFAULT_SAMPLER}, or prior for a checkpoint without a dataset]` })
      .option('label', { type: 'string', describe: 'Only this label value, e.g. --label digit=7 (or --label 7)' })
      .option('level', { type: 'boolean', default: DEFAULT_SAMPLE.level, describe: "Level samples to the training clips' median loudness (--no-level: off)" })
      .option('seconds', { type: 'number', describe: 'Length of each sound in seconds [one training clip]; time-latent models only' })
      .option('report', { type: 'boolean', describe: 'Also write a listening report (index.html with spectrograms) into --out' })
      .example('$0 generate --checkpoint runs/digits --count 16 --out samples/digits --report', 'Sixteen new digits and a page to hear them')
      .example('$0 generate --checkpoint runs/digits --count 4 --out samples/t05 --temperature 0.5', 'Safer, more typical sounds')
      .example('$0 generate --checkpoint runs/digits --label digit=7 --count 10 --out samples/sevens', 'Ten new sevens')
      .example('$0 generate --checkpoint runs/digits --seconds 4 --count 2 --out samples/long', 'Two 4-second sounds (chained codes, one decode)')
      .example(
        '$0 generate --checkpoint runs/digits --sampler prior --no-level --out samples/tutorial',
        "The original tutorial's sampling",
      ) as unknown as Argv<GenerateArgs>,
  handler: async (args) => {
    checkCount('count', args.count, 1, 10_000);
    checkCount('iters', args.iters, 0);
    if (!(args.temperature >= 0)) throw optionError('temperature', args.temperature, 'a number >= 0');
    if (args.seconds !== undefined && !(args.seconds > 0)) throw optionError('seconds', args.seconds, 'a number of seconds above 0');
    // tfjs loads here, not for --help
    const [
      { defaultSamplerFor, generateSamples, sampleWarnings },
      { parseLabel },
      { audioLevels },
      { writeSamples, writeSessionReport },
      { closeSession, openSession },
    ] = await Promise.all([
      import('../../generate/operations.ts'),
      import('../../generate/sampler.ts'),
      import('../../generate/spectra.ts'),
      import('../../report/report-data.ts'),
      import('../../generate/session.ts'),
    ]);
    const s = await openSession(args.checkpoint, args.backend, { iterations: args.iters });
    try {
      const label = args.label === undefined ? undefined : parseLabel(args.label, s.g.sampler);
      const sampler = args.sampler ?? defaultSamplerFor(s.g);
      const { sounds, range, seconds, clip } = generateSamples(s.g, {
        count: args.count,
        temperature: args.temperature,
        seed: args.seed,
        sampler,
        label,
        level: args.level,
        seconds: args.seconds,
      });
      for (const w of sampleWarnings(sounds, s.g, sampler)) console.error(`soundvae: warning: ${w}`);
      const near = args.report && args.seconds === undefined ? await nearestTrainingItems(s, args.out, sounds) : { notes: [], clips: [] };
      const items = await writeSamples(args.out, '.', sounds, clip, Boolean(args.report), near.notes, near.clips);
      const clipSeconds = sounds[0]!.audio.length / clip.sampleRate;
      const levels = sounds.map((x) => audioLevels(x.audio).rms).sort((a, b) => a - b);
      console.log(
        `${sounds.length} sound${sounds.length === 1 ? '' : 's'} -> ${args.out}  (sampler ${sampler}${label ? `, label ${label}` : ''}; decode + Griffin-Lim ${((1000 * seconds) / sounds.length).toFixed(0)} ms per ${clipSeconds.toFixed(2)} s ${args.seconds === undefined ? 'clip' : 'sound'}; median RMS ${levels[Math.floor(levels.length / 2)]!.toFixed(1)} dBFS${s.g.sampler ? `, training clips ${s.g.sampler.trainRms.p50.toFixed(1)} dBFS` : ''})`,
      );
      if (args.report) {
        const file = await writeSessionReport(args.out, s, {
          title: 'soundvae: generated sounds',
          subtitle: `${sounds.length} samples (sampler ${sampler}${label ? `, label ${label}` : ''}) at temperature ${args.temperature}, seed ${args.seed}`,
          generated: {
            items,
            note:
              sampler === 'prior' && !label
                ? `De-normalised with the training set's mean per-item range, ${range.min.toFixed(1)} to ${range.max.toFixed(1)} dB.`
                : 'Each de-normalised with the dB range its latent code predicts.',
          },
        });
        console.log(`report: ${file}`);
      }
    } finally {
      closeSession(s);
    }
  },
};

/** Each sample's nearest training item, for the report, when the training dataset is still there (else none). */
async function nearestTrainingItems(s: Session, out: string, sounds: GeneratedSound[]): Promise<{ notes: string[]; clips: (AudioClip | undefined)[] }> {
  const none = { notes: [], clips: [] };
  if (!existsSync(s.ckpt.dataset.path)) return none;
  const [{ openDataset }, { nearestWithAudio }] = await Promise.all([import('../../dataset/store.ts'), import('../../report/report-data.ts')]);
  try {
    const ds = await openDataset(s.ckpt.dataset.path);
    try {
      return ds.shape.join('x') === s.ckpt.inputShape.join('x') ? await nearestWithAudio(s.g, ds, out, '.', sounds) : none;
    } finally {
      await ds.close();
    }
  } catch (err) {
    console.error(`soundvae: no copy check: ${describeError(err)}`);
    return none;
  }
}
