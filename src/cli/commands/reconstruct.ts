/** `soundvae reconstruct`: hear and measure what the model keeps of real sounds. */
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import type { AudioFileInfo } from '../../audio/types.ts';
import { describeError, fileError, UserError } from '../../errors.ts';
import { DEFAULT_FILE_RECONSTRUCT, DEFAULT_INVERT, DEFAULT_RECONSTRUCT_ITEMS } from '../../generate/defaults.ts';
import type { ReconstructionInput } from '../../generate/operations.ts';
import type { Session } from '../../generate/session.ts';
import { meanScores, type Scores } from '../../dsp/metrics.ts';
import type { ReconstructionRow } from '../../report/html.ts';
import { createProgress } from '../../progress.ts';
import { checkCount } from './generate.ts';

interface ReconstructArgs {
  checkpoint: string;
  inputs?: string[];
  data?: string;
  split: 'train' | 'validation' | 'all';
  count: number;
  out: string;
  iters: number;
  firstClip?: boolean;
  onePass?: boolean;
  batch: number;
  report?: boolean;
  backend?: string;
}

const HELP = `For each input, three WAVs side by side, of the same length:
  NAME-original.wav        the input after the checkpoint's preprocessing (rate, clean-up)
  NAME-oracle.wav          Griffin-Lim from the true magnitude: what losing the phase costs alone
  NAME-reconstruction.wav  through the VAE (its latent mean), then Griffin-Lim: model error on top

Audio files of any supported format are reconstructed WHOLE: cut into the checkpoint's clips
(its clip length and overlap, the clip hop rounded down to a multiple of the STFT hop so clips'
frames are the file's frames, with at least nFft - hop of overlap; a short last clip is padded),
each clip encoded and decoded (--batch clips at a time) and de-normalised with its own dB range;
the clips' magnitudes are blended into the file's (overlapping frames weighted towards each
clip's interior) and ONE Griffin-Lim inverts the whole file, so the phase is coherent across
clips. That is how models with one dense latent per clip (the reference) work. A model with a
latent per time step (the default preset) instead takes a file of up to 120 s through the model in
ONE pass: the file's whole spectrogram, normalised with the file's own dB range, encoded and
decoded by the same weights at the file's width, with no joins at all (on 12 files of five FSDD
validation takes each: SC -10.2 dB against -9.1 dB clip by clip, LSD 6.20 against 6.23 dB).
Longer files go clip by clip; --no-one-pass forces clips, --one-pass insists on one pass.
--first-clip takes only each file's first clip instead (one clip-long output per file).
--data DATASET_DIR takes --count dataset items spread over a split (default validation, i.e.
sounds the model never trained on), one clip each.

Spectral convergence (SC) and log-spectral distance (LSD) compare each output's spectrogram with
the input's: for a whole file, the file's own STFT magnitude (the bins the model has); for a
clip, the clip's spectrogram. They are printed per input and on average: lower is better, and
the gap between oracle and reconstruction is what the model loses. A file that cannot be read is
reported in one line and skipped (exit status 1).`;

/** "SC -12.3 dB  LSD 4.56 dB" */
function describeScores(s: Scores | undefined): string {
  return s ? `SC ${s.spectralConvergence.toFixed(1)} dB  LSD ${s.logSpectralDistance.toFixed(2)} dB` : '–';
}

/** What a printed line needs: a name and the two scores (and the clips a whole file had). */
interface ScoredItem {
  name: string;
  oracle: { scores: Scores };
  reconstruction: { scores: Scores };
  clips?: number;
}

/** Prints one line per item and the means. */
export function printReconstructions(recs: ScoredItem[], log: (line: string) => void = console.log): void {
  const width = Math.max(4, ...recs.map((r) => r.name.length));
  for (const r of recs) {
    const clips = r.clips === undefined ? '' : `   (${r.clips} clip${r.clips === 1 ? '' : 's'})`;
    log(`${r.name.padEnd(width)}  oracle ${describeScores(r.oracle.scores)}   reconstruction ${describeScores(r.reconstruction.scores)}${clips}`);
  }
  if (recs.length > 1) {
    log(
      `${'mean'.padEnd(width)}  oracle ${describeScores(meanScores(recs.map((r) => r.oracle.scores)))}   reconstruction ${describeScores(meanScores(recs.map((r) => r.reconstruction.scores)))}`,
    );
  }
}

/**
 * What happens to a file on its way into a checkpoint at `rate` (mono), or undefined when nothing does.
 * @example conversionNote({ sampleRate: 44100, channels: 2, ... }, 16000) // "44100 Hz stereo: resampled to 16000 Hz and mixed to mono (the checkpoint's input)"
 */
export function conversionNote(info: Pick<AudioFileInfo, 'sampleRate' | 'channels'>, rate: number): string | undefined {
  const resample = info.sampleRate !== rate;
  const mix = info.channels > 1;
  if (!resample && !mix) return undefined;
  const layout = info.channels === 1 ? 'mono' : info.channels === 2 ? 'stereo' : `${info.channels} channels`;
  const done = [resample && `resampled to ${rate} Hz`, mix && 'mixed to mono'].filter(Boolean).join(' and ');
  return `${info.sampleRate} Hz ${layout}: ${done} (the checkpoint's input)`;
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
      .option('split', { choices: ['validation', 'train', 'all'] as const, default: DEFAULT_RECONSTRUCT_ITEMS.split, describe: 'Split of --data to use' })
      .option('count', { type: 'number', default: DEFAULT_RECONSTRUCT_ITEMS.count, describe: 'Items taken from --data' })
      .option('out', { type: 'string', demandOption: true, describe: 'Output folder' })
      .option('iters', { type: 'number', default: DEFAULT_INVERT.iterations, describe: 'Griffin-Lim iterations' })
      .option('first-clip', { type: 'boolean', describe: "Files: only each file's first clip, not the whole file" })
      .option('one-pass', {
        type: 'boolean',
        describe: 'Files: the whole spectrogram through the model at once [time-latent models, files up to 120 s]; --no-one-pass: clip by clip',
      })
      .option('batch', { type: 'number', default: DEFAULT_FILE_RECONSTRUCT.batch, describe: 'Files: clips encoded and decoded at a time (bounds memory)' })
      .option('report', { type: 'boolean', describe: 'Also write a listening report (index.html) into --out' })
      .example('$0 reconstruct --checkpoint runs/digits --data datasets/fsdd --count 8 --out recon --report', 'Eight unseen digits, heard three ways')
      .example('$0 reconstruct --checkpoint runs/digits my-voice.m4a --out recon', 'A whole file of any length, preprocessed like the training data')
      .example(
        '$0 reconstruct --checkpoint runs/music song.flac --first-clip --out recon',
        'Only the first clip of the song',
      ) as unknown as Argv<ReconstructArgs>,
  handler: async (args) => {
    const files = args.inputs ?? [];
    checkReconstructArgs(args, files);
    // tfjs loads here, not for --help
    const [{ writeSessionReport }, { closeSession, openSession }] = await Promise.all([
      import('../../report/report-data.ts'),
      import('../../generate/session.ts'),
    ]);
    const s = await openSession(args.checkpoint, args.backend, { iterations: args.iters });
    let failed = 0;
    const onError = (message: string) => {
      failed++;
      console.error(`soundvae: ${message} (skipped)`);
    };
    try {
      if (!args.data) await noteConversions(s, files);
      const { rows, scored } =
        args.data || args.firstClip ? await reconstructClips(s, args, files, onError) : await reconstructWholeFiles(s, args, files, onError);
      printReconstructions(scored);
      console.log(`${rows.length} x 3 WAVs -> ${args.out}`);
      if (args.report) {
        const file = await writeSessionReport(args.out, s, {
          title: 'soundvae: reconstructions',
          subtitle: args.data
            ? `${rows.length} ${args.split} items of ${args.data}`
            : `${rows.length} file${rows.length === 1 ? '' : 's'}${args.firstClip ? ' (first clip each)' : ''}`,
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

/** The argument combinations reconstruct refuses, each with the reason. */
function checkReconstructArgs(args: ReconstructArgs, files: string[]): void {
  if (files.length === 0 && !args.data) throw new UserError('give audio files or --data DATASET_DIR to reconstruct');
  if (files.length > 0 && args.data) throw new UserError('give either audio files or --data, not both');
  checkCount('count', args.count, 1);
  checkCount('iters', args.iters, 0);
  checkCount('batch', args.batch, 1);
  if (args.data && args.firstClip) throw new UserError('--first-clip is for audio files; --data items are one clip each');
  if (args.onePass && (args.data || args.firstClip)) throw new UserError('--one-pass is for whole audio files; not with --data or --first-clip');
}

/** What was reconstructed: the rows written (for the report) and the scores to print. */
interface Reconstructed {
  rows: ReconstructionRow[];
  scored: Parameters<typeof printReconstructions>[0];
}

/** Said, not silent: a file at another rate or with more channels is converted to the checkpoint's input. */
async function noteConversions(s: Session, files: string[]): Promise<void> {
  const { readAudioInfo } = await import('../../audio/decode.ts');
  for (const file of files) {
    const info = await readAudioInfo(file).catch(() => undefined); // unreadable: reported when it is loaded
    const note = info && conversionNote(info, s.g.clip.sampleRate);
    if (note) console.error(`note: ${file}: ${note}`);
  }
}

/** One clip each: `--count` items of a dataset split, or the first clip of each file (`--first-clip`). */
async function reconstructClips(s: Session, args: ReconstructArgs, files: string[], onError: (message: string) => void): Promise<Reconstructed> {
  const [{ openDataset }, { inputsFromDataset, inputsFromFiles, reconstruct }, { writeReconstructions }] = await Promise.all([
    import('../../dataset/store.ts'),
    import('../../generate/operations.ts'),
    import('../../report/report-data.ts'),
  ]);
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
  return { rows: await writeReconstructions(args.out, '.', recs, s.g.clip, Boolean(args.report)), scored: recs };
}

/** Whole files, one at a time: each is written and its audio dropped before the next is read. */
async function reconstructWholeFiles(s: Session, args: ReconstructArgs, files: string[], onError: (message: string) => void): Promise<Reconstructed> {
  const [{ uniqueNamer }, { writeReconstructions }, { reconstructFile, reconstructFileOnePass, TooLongForOnePass }] = await Promise.all([
    import('../../generate/operations.ts'),
    import('../../report/report-data.ts'),
    import('../../generate/whole-file.ts'),
  ]);
  const out: Reconstructed = { rows: [], scored: [] };
  const name = uniqueNamer();
  for (const file of files) {
    let bar: ReturnType<typeof createProgress> | undefined;
    try {
      const clipByClip = () =>
        reconstructFile(s.g, file, {
          batch: args.batch,
          onProgress: (done, total) => {
            if (total <= args.batch) return;
            bar ??= createProgress({ total, label: path.basename(file), unit: 'clips' });
            bar.update(done);
            if (done === total) bar.finish();
          },
        });
      // one pass where the model takes any width (unless told otherwise); too long a file falls back to clips
      const onePass = args.onePass ?? s.ckpt.config.bottleneck === 'time';
      const rec = onePass
        ? await reconstructFileOnePass(s.g, file).catch((err) => {
            if (args.onePass === undefined && err instanceof TooLongForOnePass) return clipByClip();
            throw err;
          })
        : await clipByClip();
      rec.name = name(rec.name); // only files that worked take a name, as with --first-clip
      out.rows.push(...(await writeReconstructions(args.out, '.', [rec], s.g.clip, Boolean(args.report))));
      out.scored.push({ name: rec.name, oracle: rec.oracle, reconstruction: rec.reconstruction, clips: rec.clips });
    } catch (err) {
      bar?.finish();
      onError(describeError(fileError(file, err)));
    }
  }
  if (out.rows.length === 0) throw new UserError('no input could be read');
  return out;
}
