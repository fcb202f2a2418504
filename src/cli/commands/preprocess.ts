/** `soundvae preprocess`: audio files -> a streaming dataset of normalised log-magnitude spectrograms. */
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { hasAudioExtension } from '../../audio/decode.ts';
import { RESAMPLE_QUALITIES, type ResampleQuality } from '../../audio/resample.ts';
import { describeError, UserError } from '../../errors.ts';
import { DEFAULT_PREPROCESS, preprocess, type PreprocessSummary } from '../../dataset/pipeline.ts';
import { clipForFrames, DEFAULT_FEATURES, DEFAULT_PRESET, PRESETS, type PresetName, type SettingsOverrides } from '../../dataset/presets.ts';
import { shapeMultiple } from '../../model/vae-config.ts';
import type { MelScale } from '../../dsp/mel.ts';
import { DEFAULT_SPLIT, parseHoldout } from '../../dataset/split.ts';
import { DEFAULT_LABELS } from '../../dataset/labels.ts';
import { createProgress, type ProgressBar } from '../../progress.ts';
import { expectInteger, expectRange } from '../options.ts';

interface PreprocessArgs {
  inputs: string[];
  out: string;
  preset: PresetName;
  sampleRate?: number;
  resample?: ResampleQuality;
  clip?: number;
  frames?: number;
  nFft?: number;
  hop?: number;
  split?: 'first' | 'clips';
  overlap?: number;
  keepShort?: 'pad' | 'drop';
  minDuration?: number;
  trim?: number;
  keepEnds?: boolean;
  clicks?: boolean;
  maxSilence?: number;
  normalise?: 'none' | 'peak' | 'rms' | 'lufs';
  level?: number;
  topDb?: number;
  features: 'stft' | 'mel' | 'mfcc';
  nMels?: number;
  nMfcc?: number;
  fmin?: number;
  fmax?: number;
  melScale?: MelScale;
  labels: string;
  labelField?: string;
  groupBy: string;
  validation: number;
  holdout?: string;
  seed: number;
  dtype: 'float32' | 'uint16';
  workers: number;
  overwrite?: boolean;
  strict?: boolean;
  quiet?: boolean;
  json?: boolean;
}
/** The multiples of height and width that every model preset's strides need. */
const STRIDES = shapeMultiple();

const HELP = `Turn recordings into a training set: each file is loaded (mono, resampled), optionally cleaned
up, cut into clips, padded, turned into a log-magnitude spectrogram (|STFT| in dB) and scaled to
[0, 1] with its own min and max, which are kept to turn generated spectrograms back into dB.

Presets (--preset; any setting can be overridden by the options below):
* reference: the original Keras tutorial exactly. 22050 Hz, first 0.74 s (16317 samples),
  right zero padding, n_fft 512, hop 256, Nyquist bin dropped -> 256 x 64, dB ref 1,
  amin 1e-5, top_db 80, per-file min-max.
* digits (default): spoken digits at their own 8 kHz, ends trimmed, first 1.008 s, n_fft 512,
  hop 128 -> 256 x 64. Hop n_fft/4 because Griffin-Lim inverts it far better than n_fft/2
  (-23.5 dB against -12.7 dB spectral convergence on FSDD).
* music: long recordings at 22050 Hz. Clicks muted, ends trimmed, silences over 2 s shortened,
  peak normalised, cut into 1.47 s clips with 50 % overlap, n_fft 1024, hop 256 -> 512 x 128.

The model needs bins divisible by ${STRIDES[0]} and frames by ${STRIDES[1]}: frames = 1 + floor(clip / hop), so choose
--frames (it sets the clip length) rather than --clip.

Labels come from the file name (--labels fsdd reads 7_jackson_32.wav as digit 7, speaker jackson,
take 32; or give a pattern like '{genre}-{n}') or the parent folder (--labels folder). The
train/validation split keeps groups whole (--group-by source, folder or a label field, so clips of
one recording or one speaker never land on both sides) and is seeded; --holdout take=0-4 puts
chosen label values in validation instead (FSDD's usual test split).

The output folder streams: spectrograms in shard files read by offset, a manifest.json with the
settings, labels, splits, per-item min/max and dataset statistics. Re-running the same command
resumes (files already done are skipped); an interrupted run leaves a valid, smaller dataset.
Unreadable files are reported and skipped (--strict: exit 1 if any).`;

/** Option values given on the command line -> overrides of the preset. */
function overridesFrom(args: PreprocessArgs): SettingsOverrides {
  const o: SettingsOverrides = { cleanup: {}, db: {} };
  if (args.sampleRate !== undefined) o.sampleRate = args.sampleRate;
  if (args.resample !== undefined) o.resampleQuality = args.resample;
  if (args.nFft !== undefined) o.nFft = args.nFft;
  if (args.hop !== undefined) o.hop = args.hop;
  if (args.clip !== undefined && args.frames !== undefined) throw new UserError('give --clip or --frames, not both');
  const sampleRate = args.sampleRate ?? PRESETS[args.preset].sampleRate;
  if (args.clip !== undefined) o.clip = Math.round(args.clip * sampleRate);
  if (args.frames !== undefined) o.clip = clipForFrames(args.frames, args.hop ?? PRESETS[args.preset].hop);
  if (args.split !== undefined) o.split = args.split;
  if (args.overlap !== undefined) o.overlap = args.overlap;
  if (args.keepShort !== undefined) o.keepShort = args.keepShort;
  if (args.minDuration !== undefined) o.minDuration = args.minDuration;
  if (args.trim !== undefined) o.cleanup!.trimDb = -Math.abs(args.trim);
  if (args.keepEnds) o.cleanup!.trimDb = null;
  if (args.clicks !== undefined) o.cleanup!.clicks = args.clicks;
  if (args.maxSilence !== undefined) o.cleanup!.maxSilence = args.maxSilence > 0 ? args.maxSilence : null;
  if (args.normalise !== undefined) o.cleanup!.normalise = args.normalise;
  if (args.level !== undefined) o.cleanup!.level = args.level;
  if (args.topDb !== undefined) o.db!.topDb = args.topDb > 0 ? args.topDb : null;
  const melOptions = [args.nMels, args.nMfcc, args.fmin, args.fmax, args.melScale];
  if (args.features === 'stft' && melOptions.some((v) => v !== undefined)) {
    throw new UserError('--n-mels, --n-mfcc, --fmin, --fmax and --mel-scale need --features mel or mfcc');
  }
  if (args.features !== 'stft') {
    const d = DEFAULT_FEATURES;
    o.features = {
      kind: args.features,
      nMels: args.nMels ?? d.nMels,
      fmin: args.fmin ?? d.fmin,
      fmax: args.fmax ?? d.fmax,
      scale: args.melScale ?? d.scale,
      nMfcc: args.nMfcc ?? d.nMfcc,
    };
  }
  return o;
}

/** Files in the folders among `inputs` that are not audio by extension (hidden ones skipped), by extension. */
async function otherFiles(inputs: readonly string[]): Promise<Map<string, number>> {
  const byExt = new Map<string, number>();
  for (const input of inputs) {
    const st = await fsp.stat(input).catch(() => undefined);
    if (!st?.isDirectory()) continue;
    for (const e of await fsp.readdir(input, { recursive: true, withFileTypes: true })) {
      if (!e.isFile() || e.name.startsWith('.') || hasAudioExtension(e.name)) continue;
      const ext = path.extname(e.name).toLowerCase() || '(no extension)';
      byExt.set(ext, (byExt.get(ext) ?? 0) + 1);
    }
  }
  return byExt;
}

/**
 * The one-line error for a run that left no item: what the inputs held and why none of it was usable.
 * @example "no usable audio in data/: no audio files, 2 other files (.txt 1, .csv 1)"
 */
export function noItemsMessage(inputs: readonly string[], s: PreprocessSummary, others: Map<string, number>): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const parts: string[] = [];
  if (s.files === 0) parts.push('no audio files');
  else {
    parts.push(plural(s.files, 'audio file'));
    if (s.failed.length) parts.push(`${s.failed.length} unreadable (${s.failed[0]!.file}: ${s.failed[0]!.reason})`);
    if (s.empty.length) parts.push(`${s.empty.length} gave no clip (${s.empty[0]!.file}: ${s.empty[0]!.reason})`);
    const skipped = Object.entries(s.clipsSkipped).map(([why, n]) => `${n} ${why}`);
    if (skipped.length) parts.push(`clips left out: ${skipped.join(', ')}`);
  }
  const total = [...others.values()].reduce((a, b) => a + b, 0);
  if (total) parts.push(`${plural(total, 'other file')} (${[...others].map(([ext, n]) => `${ext} ${n}`).join(', ')})`);
  return `no usable audio in ${inputs.join(', ')}: ${parts.join(', ')}`;
}

function printSummary(s: PreprocessSummary): void {
  for (const r of s.repaired ?? []) console.error(`repaired: ${r.file}: ${r.problem}; the items from there on were made again`);
  const skipped = Object.entries(s.clipsSkipped).map(([why, n]) => `${n} ${why}`);
  console.log(
    `${s.out}: ${s.items} items of ${s.shape[0]} x ${s.shape[1]}; this run read ${s.read} of ${s.files} files` +
      `${s.alreadyDone ? ` (${s.alreadyDone} already done)` : ''}, made ${s.clips} clips` +
      `${skipped.length ? ` (left out: ${skipped.join(', ')})` : ''} in ${s.seconds.toFixed(1)} s`,
  );
  if (s.empty.length) {
    console.log(`${s.empty.length} file(s) gave no clip:`);
    for (const e of s.empty.slice(0, 10)) console.log(`  ${e.file}: ${e.reason}`);
    if (s.empty.length > 10) console.log(`  ... and ${s.empty.length - 10} more`);
  }
  if (s.failed.length) {
    console.error(`${s.failed.length} file(s) could not be read and were skipped:`);
    for (const f of s.failed.slice(0, 20)) console.error(`  ${f.file}: ${f.reason}`);
    if (s.failed.length > 20) console.error(`  ... and ${s.failed.length - 20} more`);
  }
  if (s.warning) console.error(`warning: ${s.warning} (pick --frames as a multiple of 16)`);
}

export const preprocessCommand: CommandModule<object, PreprocessArgs> = {
  command: 'preprocess <inputs..>',
  describe: 'Turn audio files, folders or globs into a streaming dataset of [0,1] log-magnitude spectrograms',
  builder: (y) =>
    y
      .usage(`$0 preprocess INPUT... --out DIR [options]\n\n${HELP}`)
      .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'Audio files, folders (recursive) or quoted globs' })
      .option('out', { type: 'string', demandOption: true, describe: 'Dataset folder (created; resumed when it holds one made the same way)' })
      .option('preset', { choices: Object.keys(PRESETS) as PresetName[], default: DEFAULT_PRESET, describe: 'Settings to start from (see above)' })
      .group(
        ['sample-rate', 'resample', 'clip', 'frames', 'n-fft', 'hop', 'split', 'overlap', 'keep-short', 'min-duration', 'top-db'],
        'Spectrogram settings (override the preset):',
      )
      .option('sample-rate', { type: 'number', describe: 'Resample every file to this rate (Hz)' })
      .option('resample', {
        choices: Object.keys(RESAMPLE_QUALITIES) as ResampleQuality[],
        describe: "Resampling filter (torchaudio: the same as torchaudio's default)",
      })
      .option('clip', { type: 'number', describe: 'Clip length in seconds' })
      .option('frames', { type: 'number', describe: 'Frames per clip (sets the clip length to (frames-1) x hop)' })
      .option('n-fft', { type: 'number', describe: 'FFT size; bins = n-fft/2 (Nyquist dropped)' })
      .option('hop', { type: 'number', describe: 'Hop between frames, samples (n-fft/4 inverts well)' })
      .option('split', { choices: ['first', 'clips'] as const, describe: 'One clip from the start of each file, or the whole file in clips' })
      .option('overlap', { type: 'number', describe: 'Fraction shared by consecutive clips, in [0, 1)' })
      .option('keep-short', { choices: ['pad', 'drop'] as const, describe: 'A clip shorter than the length is zero-padded or dropped' })
      .option('min-duration', { type: 'number', describe: 'Drop clips with less sound than this (s)' })
      .option('features', {
        choices: ['stft', 'mel', 'mfcc'] as const,
        default: 'stft' as const,
        describe: 'What each item holds: the log-magnitude STFT (the VAE needs it), mel bands in dB, or MFCCs (librosa definitions; for the classifiers)',
      })
      .option('n-mels', { type: 'number', describe: `Mel bands [${DEFAULT_FEATURES.nMels}]` })
      .option('n-mfcc', { type: 'number', describe: `MFCCs kept [${DEFAULT_FEATURES.nMfcc}]` })
      .option('fmin', { type: 'number', describe: `Lowest mel band edge, Hz [${DEFAULT_FEATURES.fmin}]` })
      .option('fmax', { type: 'number', describe: 'Highest mel band edge, Hz [half the sample rate]' })
      .option('mel-scale', { choices: ['slaney', 'htk'] as const, describe: `Mel scale [${DEFAULT_FEATURES.scale}]` })
      .option('top-db', { type: 'number', describe: 'Clip dB values this far below the peak (0: no clipping)' })
      .group(['trim', 'keep-ends', 'clicks', 'max-silence', 'normalise', 'level'], 'Clean-up (before cutting clips):')
      .option('trim', { type: 'number', describe: 'Trim leading/trailing audio quieter than this many dB below the peak' })
      .option('keep-ends', { type: 'boolean', describe: 'Keep leading/trailing silence (no trimming)' })
      .option('clicks', { type: 'boolean', describe: 'Mute a tape click at the very start or end (--no-clicks: keep)' })
      .option('max-silence', { type: 'number', describe: 'Shorten internal silences longer than this (s; 0: keep all)' })
      .option('normalise', { choices: ['none', 'peak', 'rms', 'lufs'] as const, describe: 'Level normalisation of each file' })
      .option('level', { type: 'number', describe: 'Its target: dBFS peak or RMS, or LUFS' })
      .group(['labels', 'label-field', 'group-by', 'validation', 'holdout', 'seed'], 'Labels and split:')
      .option('labels', {
        type: 'string',
        default: DEFAULT_LABELS.from,
        describe: "none, folder, fsdd, or a file-name pattern like '{digit}_{speaker}_{take}'",
      })
      .option('label-field', { type: 'string', describe: "The pattern's main label (default its first field)" })
      .option('group-by', {
        type: 'string',
        default: DEFAULT_PREPROCESS.groupBy,
        describe: 'Keep these whole across the split: source, folder or a label field',
      })
      .option('validation', { type: 'number', default: DEFAULT_SPLIT.validation, describe: 'Fraction of items for validation' })
      .option('holdout', { type: 'string', describe: 'Validation by rule instead: FIELD=V1,V2 or FIELD=A-B' })
      .option('seed', { type: 'number', default: DEFAULT_SPLIT.seed, describe: 'Seed of the split' })
      .group(['dtype', 'workers', 'overwrite', 'strict', 'quiet', 'json'], 'Run:')
      .option('dtype', {
        choices: ['float32', 'uint16'] as const,
        default: DEFAULT_PREPROCESS.dtype,
        describe: 'Stored values (uint16: half the size, 1/65535 steps)',
      })
      .option('workers', { type: 'number', default: DEFAULT_PREPROCESS.workers, describe: 'Worker threads (0: this thread)' })
      .option('overwrite', { type: 'boolean', describe: 'Replace a dataset in --out made with other settings' })
      .option('strict', { type: 'boolean', describe: 'Exit 1 when any file could not be read' })
      .option('quiet', { type: 'boolean', describe: 'No progress bar' })
      .option('json', { type: 'boolean', describe: 'Print the summary as JSON' })
      .example('$0 preprocess data/fsdd --out datasets/fsdd --labels fsdd --group-by speaker', 'Spoken digits, one speaker per side')
      .example('$0 preprocess data/fsdd --out datasets/ref --preset reference --labels fsdd --holdout take=0-4', 'The Keras tutorial, FSDD test takes held out')
      .example(
        "$0 preprocess 'music/**/*.mp3' --out datasets/music --preset music --labels folder --group-by folder",
        'Albums in folders, clips of one album on one side',
      ) as unknown as Argv<PreprocessArgs>,
  handler: async (args) => {
    expectInteger('workers', args.workers, 0);
    expectRange('validation', args.validation, 0, 1, true);
    let holdout;
    try {
      holdout = args.holdout ? parseHoldout(args.holdout) : undefined;
    } catch (err) {
      throw new UserError(`--holdout: ${describeError(err)}`);
    }
    // Ctrl-C stops between files: what is done is committed, and the same command resumes.
    let progress: ProgressBar | undefined;
    const stop = new AbortController();
    const onInterrupt = () => {
      if (stop.signal.aborted) process.exit(130); // a second Ctrl-C: leave now (the store is still consistent)
      progress?.clear();
      process.stderr.write(
        '\nsoundvae: stopping after the file under way (a long one can take minutes); Ctrl-C again quits at once, ' +
          'keeping the files already done (the one under way is redone when you re-run)\n',
      );
      stop.abort();
    };
    process.on('SIGINT', onInterrupt);
    const outExisted = existsSync(args.out);
    const showProgress = !args.quiet && !args.json;
    let byBytes = false;
    let summary: PreprocessSummary;
    try {
      summary = await preprocess(args.inputs, args.out, {
        preset: args.preset,
        overrides: overridesFrom(args),
        labels: { from: args.labels, field: args.labelField },
        groupBy: args.groupBy,
        split: { validation: args.validation, seed: args.seed, holdout },
        dtype: args.dtype,
        workers: args.workers,
        overwrite: Boolean(args.overwrite),
        signal: stop.signal,
        // The files to read are known once inputs are listed and finished ones skipped: start the bar then.
        // A long file shared among the workers moves the bar share by share, in MB of input, not only when it ends.
        onStart: (p) => {
          byBytes = p.sharedFiles > 0;
          const total = byBytes ? Math.max(1, Math.round(p.bytesTotal / 1e6)) : p.filesTotal - p.alreadyDone;
          if (showProgress) progress = createProgress({ total, label: 'preprocess', unit: byBytes ? 'MB' : 'files' });
        },
        onProgress: (p) =>
          progress?.update(byBytes ? Math.round(p.bytesDone / 1e6) : p.filesDone - p.alreadyDone, {
            ...(byBytes ? { files: `${p.filesDone - p.alreadyDone}/${p.filesTotal - p.alreadyDone}` } : {}),
            clips: p.clips,
            ...(p.failed ? { failed: p.failed } : {}),
          }),
      });
    } catch (err) {
      progress?.clear();
      if (err instanceof RangeError) throw new UserError(describeError(err));
      throw err;
    } finally {
      process.off('SIGINT', onInterrupt);
    }
    progress?.finish();
    if (args.json) console.log(JSON.stringify(summary, null, 2));
    else printSummary(summary);
    if (!summary.interrupted && summary.items === 0) {
      // Nothing to train on: an error now rather than at `train`, and no empty dataset left behind.
      if (!outExisted) await fsp.rm(args.out, { recursive: true, force: true });
      throw new UserError(noItemsMessage(args.inputs, summary, await otherFiles(args.inputs)));
    }
    if (summary.interrupted) {
      console.error(`interrupted: ${summary.items} items saved; run the same command again to resume`);
      process.exitCode = 130;
    } else if (args.strict && summary.failed.length) process.exitCode = 1;
  },
};
