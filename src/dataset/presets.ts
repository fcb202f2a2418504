/**
 * Preprocessing settings and their presets, in one place.
 *
 * A setting list says everything that decides the bytes of the dataset: rate, clip length and splitting,
 * clean-up, STFT, dB and normalisation. It is recorded in the manifest, and resuming requires the same.
 *
 * The model's strides need height (bins) and width (frames) to be multiples of `shapeMultiple()` (model/vae-config.ts;
 * 32 and 16 today): every preset drops the Nyquist bin (nFft/2 bins) and chooses the clip length so that
 * `frames = 1 + floor(clip / hop)` is a multiple of the width's.
 *
 * How `digits` and `music` were chosen (`npm run bench -- preprocess --presets-only`): oracle magnitudes of 24
 * real clips each (FSDD; the music folder), Nyquist bin zeroed, inverted by Griffin-Lim (32 iterations, momentum
 * 0.99, random phase); spectral convergence of the result measured on a dense STFT (hop nFft/8), because a
 * hop of nFft/2 is easy to match on its own STFT (-25.5 dB) while the audio is poor:
 *
 *   FSDD   8 kHz  512/256 (n/2) -12.7 dB | 8 kHz 512/128 (n/4) -23.5 dB | 8 kHz 256/64 -22.4 dB
 *          22.05 kHz 512/256 (reference) -11.5 dB | 22.05 kHz 512/128 -20.3 dB
 *   music  22.05 kHz 1024/512 (n/2) -13.3 dB | 1024/256 -21.0 dB | 512/128 -19.9 dB | 2048/512 -22.1 dB
 *
 * digits: 8 kHz 512/128 inverts best and keeps the reference's 256 x 64 (over 1 s instead of 0.74 s, at the
 * files' own rate). music: 1024/256 is within 1.1 dB of 2048/512 at half the height (512 bins, not 1024).
 */
import type { ResampleQuality } from '../audio/resample.ts';
import { DEFAULT_DB } from '../dsp/db.ts';
import { DEFAULT_MEL, type MelScale } from '../dsp/mel.ts';
import { shapeMultiple } from '../model/vae-config.ts';
import type { Decibels, Hertz, Ratio, Samples, Seconds } from '../units.ts';

/** Optional clean-up before splitting (each off unless the preset or the user turns it on). */
export interface CleanupSettings {
  /** Mute a tape click at the very start or end. */
  clicks: boolean;
  /** Trim leading and trailing silence quieter than this many dB below the peak; null keeps it. */
  trimDb: Decibels | null;
  /** Shorten internal silences longer than this (s) to a quarter second; null keeps them (short pauses are musical). */
  maxSilence: Seconds | null;
  /** Threshold for internal silences, dB below the peak. */
  silenceDb: Decibels;
  /** Level normalisation of the whole file before splitting. */
  normalise: 'none' | 'peak' | 'rms' | 'lufs';
  /** Target of the normalisation: dBFS peak, dBFS RMS or LUFS. */
  level: Decibels;
}

export interface PreprocessSettings {
  /** Target sample rate; files are resampled to it. */
  sampleRate: Hertz;
  /** Resampling filter. */
  resampleQuality: ResampleQuality;
  /** Samples per clip. */
  clip: Samples;
  /**
   * 'first': one clip per file, its first `clip` samples (the reference: `librosa.load(duration=0.74)`);
   * 'clips': the whole file cut into clips (long recordings).
   */
  split: 'first' | 'clips';
  /** Fraction of a clip shared with the next when splitting, in [0, 1). */
  overlap: Ratio;
  /** A clip shorter than `clip` is zero-padded ('pad') or dropped ('drop'). */
  keepShort: 'pad' | 'drop';
  /** Where padding goes: 'right' (the reference) or split evenly ('center'). */
  pad: 'right' | 'center';
  /** Clips with less sound than this (s, before padding) are dropped. */
  minDuration: Seconds;
  cleanup: CleanupSettings;
  /** STFT size and hop; the window is a periodic Hann of nFft samples, centred frames, reflect padding. */
  nFft: Samples;
  hop: Samples;
  /** Drop the Nyquist bin so the height is nFft/2 (a power of two). */
  dropNyquist: boolean;
  /** librosa.amplitude_to_db settings. */
  db: { ref: number; amin: number; topDb: Decibels | null };
  /** 'item': each spectrogram min-max scaled to [0, 1] with its own range (stored with it). */
  normalise: 'item';
  /**
   * What each item holds; absent: the log-magnitude STFT, the only one the VAE can invert to audio. Mel bands
   * and MFCCs (librosa's definitions, src/dsp/mel.ts) are for the classifiers.
   */
  features?: FeatureSettings;
}

/** Mel or MFCC features instead of the STFT (absent from the settings for the STFT, so older manifests match). */
export interface FeatureSettings {
  /** 'mel': mel bands in dB (librosa.power_to_db of the power mel spectrogram); 'mfcc': their first nMfcc DCT-II coefficients. */
  kind: 'mel' | 'mfcc';
  nMels: number;
  fmin: Hertz;
  /** null: the Nyquist frequency. */
  fmax: Hertz | null;
  scale: MelScale;
  /** Coefficients kept by 'mfcc'. */
  nMfcc: number;
}

/** What `--features mel|mfcc` starts from: librosa's defaults (128 bands, Slaney scale and norm, 20 MFCCs). */
export const DEFAULT_FEATURES: Omit<FeatureSettings, 'kind'> = {
  nMels: DEFAULT_MEL.nMels,
  fmin: DEFAULT_MEL.fmin,
  fmax: DEFAULT_MEL.fmax,
  scale: DEFAULT_MEL.scale,
  nMfcc: 20,
};

const NO_CLEANUP: CleanupSettings = {
  clicks: false,
  trimDb: null,
  maxSilence: null,
  silenceDb: -50,
  normalise: 'none',
  level: -1,
};

/** The presets. Edit here, nowhere else. */
export const PRESETS = {
  /**
   * The original Keras tutorial exactly: 22050 Hz, 0.74 s (16317 samples), right zero padding, frame 512,
   * hop 256, Nyquist dropped -> 256 x 64, dB with ref 1, amin 1e-5, top_db 80, per-file min-max.
   */
  reference: {
    sampleRate: 22050,
    resampleQuality: 'default',
    clip: 16317,
    split: 'first',
    overlap: 0,
    keepShort: 'pad',
    pad: 'right',
    minDuration: 0,
    cleanup: NO_CLEANUP,
    nFft: 512,
    hop: 256,
    dropNyquist: true,
    db: { ...DEFAULT_DB },
    normalise: 'item',
  },
  /**
   * Spoken digits (FSDD, 8 kHz): kept at their own rate (no empty upper band), one second per file so whole
   * words fit, hop nFft/4 for a better Griffin-Lim inversion -> 256 x 64 like the reference. Silence trimmed.
   */
  digits: {
    sampleRate: 8000,
    resampleQuality: 'default',
    clip: 8064,
    split: 'first',
    overlap: 0,
    keepShort: 'pad',
    pad: 'right',
    minDuration: 0,
    cleanup: { ...NO_CLEANUP, trimDb: -50 },
    nFft: 512,
    hop: 128,
    dropNyquist: true,
    db: { ...DEFAULT_DB },
    normalise: 'item',
  },
  /**
   * Music and long recordings: 22050 Hz, cut into 1.47 s clips with 50 % overlap, nFft 1024 hop 256 (nFft/4)
   * -> 512 x 128; tape clicks muted, ends trimmed, silences over 2 s shortened, peak-normalised.
   */
  music: {
    sampleRate: 22050,
    resampleQuality: 'default',
    clip: 32512,
    split: 'clips',
    overlap: 0.5,
    keepShort: 'drop',
    pad: 'right',
    minDuration: 0.5,
    cleanup: { clicks: true, trimDb: -60, maxSilence: 2, silenceDb: -50, normalise: 'peak', level: -1 },
    nFft: 1024,
    hop: 256,
    dropNyquist: true,
    db: { ...DEFAULT_DB },
    normalise: 'item',
  },
} as const satisfies Record<string, PreprocessSettings>;

export type PresetName = keyof typeof PRESETS;
export const DEFAULT_PRESET: PresetName = 'digits';

/** A deep-ish partial of the settings, for overrides. */
export type SettingsOverrides = Partial<Omit<PreprocessSettings, 'cleanup' | 'db'>> & {
  cleanup?: Partial<CleanupSettings>;
  db?: Partial<PreprocessSettings['db']>;
};

/**
 * A preset with overrides applied, checked.
 * @throws RangeError naming the first bad value.
 * @example resolveSettings('reference', { hop: 128 }) // 256 x 128
 */
export function resolveSettings(preset: PresetName = DEFAULT_PRESET, overrides: SettingsOverrides = {}): PreprocessSettings {
  const base = PRESETS[preset];
  if (!base) throw new RangeError(`unknown preset "${preset}" (known: ${Object.keys(PRESETS).join(', ')})`);
  const s: PreprocessSettings = {
    ...base,
    ...overrides,
    cleanup: { ...base.cleanup, ...overrides.cleanup },
    db: { ...base.db, ...overrides.db },
  };
  const positiveInt = (name: string, v: number) => {
    if (!(Number.isInteger(v) && v > 0)) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  };
  positiveInt('sample rate', s.sampleRate);
  positiveInt('clip length', s.clip);
  positiveInt('nFft', s.nFft);
  positiveInt('hop', s.hop);
  if (!(s.overlap >= 0 && s.overlap < 1)) throw new RangeError(`overlap must be in [0, 1), got ${s.overlap}`);
  if (!(s.db.amin > 0)) throw new RangeError(`amin must be > 0, got ${s.db.amin}`);
  if (s.features) checkFeatures(s.features, s.sampleRate);
  return s;
}

function checkFeatures(f: FeatureSettings, sampleRate: Hertz): void {
  if (!(Number.isInteger(f.nMels) && f.nMels > 0)) throw new RangeError(`mel bands must be a positive integer, got ${f.nMels}`);
  const fmax = f.fmax ?? sampleRate / 2;
  if (!(f.fmin >= 0 && fmax > f.fmin && fmax <= sampleRate / 2)) {
    throw new RangeError(`mel bands need 0 <= fmin < fmax <= ${sampleRate / 2} Hz (half the sample rate), got ${f.fmin} and ${fmax}`);
  }
  if (f.kind === 'mfcc' && !(Number.isInteger(f.nMfcc) && f.nMfcc > 0 && f.nMfcc <= f.nMels)) {
    throw new RangeError(`MFCCs must be a positive integer up to the ${f.nMels} mel bands, got ${f.nMfcc}`);
  }
}

/**
 * The [bins, frames] a setting list produces (centred STFT: `frames = 1 + floor(clip / hop)`).
 * @example spectrogramShape(PRESETS.reference) // [256, 64]
 */
export function spectrogramShape(s: Pick<PreprocessSettings, 'nFft' | 'hop' | 'clip' | 'dropNyquist' | 'features'>): [number, number] {
  const frames = 1 + Math.floor(s.clip / s.hop);
  if (s.features) return [s.features.kind === 'mel' ? s.features.nMels : s.features.nMfcc, frames];
  return [Math.floor(s.nFft / 2) + (s.dropNyquist ? 0 : 1), frames];
}

/**
 * The clip length that gives `frames` frames at `hop` (the shortest such length).
 * @example clipForFrames(64, 256) // 16128
 */
export function clipForFrames(frames: number, hop: Samples): Samples {
  return (frames - 1) * hop;
}

/** Why a shape does not suit every model preset's strides (height % 32, width % 16 today), or undefined when it does. */
export function shapeWarning([bins, frames]: [number, number]): string | undefined {
  const [h, w] = shapeMultiple();
  const bad: string[] = [];
  if (bins % h) bad.push(`height ${bins} is not a multiple of ${h}`);
  if (frames % w) bad.push(`width ${frames} is not a multiple of ${w}`);
  return bad.length ? `${bad.join(' and ')}: the model's strides need both` : undefined;
}
