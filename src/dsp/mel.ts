/**
 * Mel spectrograms and MFCCs, exactly as librosa computes them (`librosa.filters.mel`,
 * `librosa.feature.melspectrogram`, `librosa.power_to_db`, `librosa.feature.mfcc`):
 *
 *   mel  = W · |STFT|^power               W: triangular filters on the Slaney or HTK mel scale
 *   dB   = 10 log10(max(amin, mel)) - 10 log10(max(amin, ref)), floored at max - topDb
 *   mfcc = first nMfcc rows of the orthonormal DCT-II of dB along the band axis
 *
 * Checked against librosa 0.11 (scripts/librosa_reference.py wrote src/dsp/mel.fixture.json).
 * Spectrograms are bins x frames, bin-major, as everywhere in soundvae.
 */
import type { Decibels, Hertz, Samples } from '../units.ts';
import { DEFAULT_DB } from './db.ts';
import type { Spectrogram } from './types.ts';

/** Which mel scale: Slaney's (linear below 1 kHz, logarithmic above; librosa's default) or HTK's (2595 log10(1 + f/700)). */
export type MelScale = 'slaney' | 'htk';

export interface MelOptions {
  sampleRate: Hertz;
  nFft: Samples;
  /** Mel bands (librosa: 128). */
  nMels: number;
  /** Lowest edge, Hz (librosa: 0). */
  fmin: Hertz;
  /** Highest edge, Hz; null for the Nyquist frequency (librosa's default). */
  fmax: Hertz | null;
  scale: MelScale;
  /** 'slaney': each filter scaled to unit area (librosa's default); null: peak 1. */
  norm: 'slaney' | null;
}

/** librosa's defaults (sampleRate and nFft have none: they come from the data). */
export const DEFAULT_MEL: Omit<MelOptions, 'sampleRate' | 'nFft'> = { nMels: 128, fmin: 0, fmax: null, scale: 'slaney', norm: 'slaney' };

// Slaney's scale: 3 mels per 200 Hz up to 1 kHz, then 27 steps per factor 6.4.
const SLANEY_STEP_HZ = 200 / 3;
const SLANEY_LOG_HZ = 1000;
const SLANEY_LOG_MEL = SLANEY_LOG_HZ / SLANEY_STEP_HZ;
const SLANEY_LOG_STEP = Math.log(6.4) / 27;

/**
 * Hertz to mels.
 * @example hzToMel(60) // 0.9 (Slaney); hzToMel(1000, 'htk') // 999.99
 */
export function hzToMel(hz: Hertz, scale: MelScale = 'slaney'): number {
  if (scale === 'htk') return 2595 * Math.log10(1 + hz / 700);
  return hz >= SLANEY_LOG_HZ ? SLANEY_LOG_MEL + Math.log(hz / SLANEY_LOG_HZ) / SLANEY_LOG_STEP : hz / SLANEY_STEP_HZ;
}

/** Mels to hertz, the inverse of `hzToMel`. */
export function melToHz(mel: number, scale: MelScale = 'slaney'): Hertz {
  if (scale === 'htk') return 700 * (10 ** (mel / 2595) - 1);
  return mel >= SLANEY_LOG_MEL ? SLANEY_LOG_HZ * Math.exp(SLANEY_LOG_STEP * (mel - SLANEY_LOG_MEL)) : SLANEY_STEP_HZ * mel;
}

/** `n` frequencies evenly spaced in mels from fmin to fmax (librosa.mel_frequencies). */
export function melFrequencies(n: number, fmin: Hertz, fmax: Hertz, scale: MelScale = 'slaney'): Float64Array {
  const lo = hzToMel(fmin, scale);
  const hi = hzToMel(fmax, scale);
  // np.linspace: start + i * step, with the last point exactly the end.
  const step = n > 1 ? (hi - lo) / (n - 1) : 0;
  return Float64Array.from({ length: n }, (_, i) => melToHz(i === n - 1 ? hi : lo + i * step, scale));
}

/**
 * The mel filterbank: `nMels` rows of `nFft / 2 + 1` weights (row-major), triangles between neighbouring mel
 * frequencies; computed in float64 like librosa, returned as float32 (librosa's default dtype).
 * @throws RangeError on a bad size or band edge
 * @example melFilterbank({ sampleRate: 8000, nFft: 512, nMels: 40 }) // 40 x 257
 */
export function melFilterbank(options: Pick<MelOptions, 'sampleRate' | 'nFft'> & Partial<MelOptions>): Float32Array {
  const o = { ...DEFAULT_MEL, ...options };
  const fmax = o.fmax ?? o.sampleRate / 2;
  if (!(Number.isInteger(o.nMels) && o.nMels > 0)) throw new RangeError(`nMels must be a positive integer, got ${o.nMels}`);
  if (!(o.fmin >= 0 && fmax > o.fmin)) throw new RangeError(`mel bands need 0 <= fmin < fmax, got ${o.fmin} and ${fmax} Hz`);
  const bins = Math.floor(o.nFft / 2) + 1;
  const melF = melFrequencies(o.nMels + 2, o.fmin, fmax, o.scale);
  const weights = new Float32Array(o.nMels * bins);
  for (let m = 0; m < o.nMels; m++) {
    const [left, centre, right] = [melF[m]!, melF[m + 1]!, melF[m + 2]!];
    const scale = o.norm === 'slaney' ? 2 / (right - left) : 1;
    for (let k = 0; k < bins; k++) {
      const f = (k * o.sampleRate) / o.nFft;
      const lower = (f - left) / (centre - left);
      const upper = (right - f) / (right - centre);
      weights[m * bins + k] = Math.max(0, Math.min(lower, upper)) * scale;
    }
  }
  return weights;
}

/**
 * Mel spectrogram: the filterbank applied to each frame of a (power) spectrogram with all `nFft / 2 + 1` bins.
 * @param spectrum bins x frames, bin-major (e.g. squared STFT magnitudes)
 * @param filterbank from `melFilterbank`, `nMels x bins`
 */
export function applyFilterbank(spectrum: Spectrogram, filterbank: Float32Array): Spectrogram {
  const { bins, frames, data } = spectrum;
  if (filterbank.length % bins !== 0) throw new RangeError(`filterbank of ${filterbank.length} weights does not fit ${bins} bins`);
  const bands = filterbank.length / bins;
  const out = new Float32Array(bands * frames);
  const acc = new Float64Array(frames);
  for (let m = 0; m < bands; m++) {
    acc.fill(0);
    for (let k = 0; k < bins; k++) {
      const w = filterbank[m * bins + k]!;
      if (w === 0) continue; // triangles are sparse
      const row = k * frames;
      for (let t = 0; t < frames; t++) acc[t]! += w * data[row + t]!;
    }
    out.set(acc, m * frames);
  }
  return { bins: bands, frames, data: out };
}

/** librosa.power_to_db's defaults: ref 1, amin 1e-10, topDb 80 (amplitude_to_db's, squared). */
export const DEFAULT_POWER_DB = { ref: DEFAULT_DB.ref ** 2, amin: DEFAULT_DB.amin ** 2, topDb: DEFAULT_DB.topDb as Decibels | null };

/**
 * Power to decibels (librosa.power_to_db): 10 log10(max(amin, p)) - 10 log10(max(amin, ref)), then floored at
 * the peak minus topDb (null: no floor).
 * @example powerToDb(Float32Array.of(1, 0.01, 0)) // [0, -20, -80]
 */
export function powerToDb(power: ArrayLike<number>, options: Partial<typeof DEFAULT_POWER_DB> = {}): Float32Array {
  const { ref, amin, topDb } = { ...DEFAULT_POWER_DB, ...options };
  const offset = 10 * Math.log10(Math.max(amin, ref));
  const out = new Float32Array(power.length);
  let peak = -Infinity;
  for (let i = 0; i < out.length; i++) {
    out[i] = 10 * Math.log10(Math.max(amin, power[i]!)) - offset;
    peak = Math.max(peak, out[i]!);
  }
  if (topDb !== null) for (let i = 0; i < out.length; i++) out[i] = Math.max(out[i]!, peak - topDb);
  return out;
}

/**
 * The orthonormal DCT-II along the band axis of a bins x frames array, keeping the first `n` coefficients
 * (scipy.fft.dct(type=2, norm='ortho'), as librosa.feature.mfcc).
 */
export function dctOrtho(x: Spectrogram, n: number): Spectrogram {
  const { bins: N, frames, data } = x;
  if (!(Number.isInteger(n) && n > 0 && n <= N)) throw new RangeError(`DCT coefficients must be in 1..${N}, got ${n}`);
  const out = new Float32Array(n * frames);
  const acc = new Float64Array(frames);
  for (let k = 0; k < n; k++) {
    acc.fill(0);
    const scale = k === 0 ? Math.sqrt(1 / N) : Math.sqrt(2 / N);
    for (let b = 0; b < N; b++) {
      const c = scale * Math.cos((Math.PI * k * (2 * b + 1)) / (2 * N));
      const row = b * frames;
      for (let t = 0; t < frames; t++) acc[t]! += c * data[row + t]!;
    }
    out.set(acc, k * frames);
  }
  return { bins: n, frames, data: out };
}

/**
 * MFCCs of a dB mel spectrogram (librosa.feature.mfcc with dct_type 2, norm 'ortho', lifter 0).
 * @param melDb nMels x frames, from `powerToDb(applyFilterbank(...))`
 * @param nMfcc coefficients to keep (librosa: 20)
 */
export function mfcc(melDb: Spectrogram, nMfcc = 20): Spectrogram {
  return dctOrtho(melDb, nMfcc);
}
