/**
 * Amplitude <-> decibels, exactly as librosa.amplitude_to_db / librosa.db_to_amplitude:
 *
 *   dB = 20 log10(max(amin, |a|)) - 20 log10(max(amin, ref)),   then, if topDb is not null,
 *   dB = max(dB, max(dB) - topDb)
 *
 *   a = ref * 10^(dB / 20)                                        (the inverse, up to the floor and clipping)
 *
 * (librosa squares amplitudes and calls power_to_db with amin^2 and ref^2; the result is the same.)
 */
import type { Decibels } from '../units.ts';
import type { DbOptions, Spectrogram } from './types.ts';

/** librosa's defaults: ref 1, amin 1e-5 (-100 dB), topDb 80. */
export const DEFAULT_DB: Required<DbOptions> & { ref: number; topDb: Decibels } = { ref: 1, amin: 1e-5, topDb: 80 };

/**
 * dB options with librosa's defaults filled in and checked.
 * @throws RangeError when amin is not positive or topDb is negative.
 */
export function resolveDbOptions(options: DbOptions = {}): Required<DbOptions> {
  const o = { ...DEFAULT_DB, ...options };
  if (!(o.amin > 0)) throw new RangeError(`amin must be > 0, got ${o.amin}`);
  if (o.topDb !== null && !(o.topDb >= 0)) throw new RangeError(`topDb must be >= 0 or null, got ${o.topDb}`);
  return o;
}

function refValue(values: ArrayLike<number>, ref: number | 'max'): number {
  if (ref !== 'max') return Math.abs(ref);
  let peak = 0;
  for (let i = 0; i < values.length; i++) peak = Math.max(peak, Math.abs(values[i]!));
  return peak;
}

/**
 * Amplitude (e.g. STFT magnitude) to decibels, librosa's conventions.
 * @param amplitude values; their absolute value is used.
 * @param options ref (1, or 'max'), amin (1e-5), topDb (80; null for no clipping): see DEFAULT_DB.
 * @example amplitudeToDb(Float32Array.of(1, 0.1, 0)) // [0, -20, -80] (0 floors to -100, clipped to 80 below the peak)
 */
export function amplitudeToDb(amplitude: ArrayLike<number>, options?: DbOptions): Float32Array;
export function amplitudeToDb(amplitude: Spectrogram, options?: DbOptions): Spectrogram;
export function amplitudeToDb(input: ArrayLike<number> | Spectrogram, options: DbOptions = {}): Float32Array | Spectrogram {
  if (isSpectrogram(input)) return { ...input, data: amplitudeToDb(input.data, options) };
  const { ref, amin, topDb } = resolveDbOptions(options);
  const offset = 20 * Math.log10(Math.max(amin, refValue(input, ref)));
  const out = new Float32Array(input.length);
  let peak = -Infinity;
  for (let i = 0; i < out.length; i++) {
    const db = 20 * Math.log10(Math.max(amin, Math.abs(input[i]!))) - offset;
    out[i] = db;
    if (db > peak) peak = db;
  }
  if (topDb !== null) {
    const floor = peak - topDb;
    for (let i = 0; i < out.length; i++) if (out[i]! < floor) out[i] = floor;
  }
  return out;
}

/**
 * Decibels back to amplitude: `ref * 10^(dB / 20)` (librosa.db_to_amplitude).
 * @param db values in dB.
 * @param ref the reference amplitude used by amplitudeToDb (a number; default 1).
 * @example dbToAmplitude(Float32Array.of(0, -20)) // [1, 0.1]
 */
export function dbToAmplitude(db: ArrayLike<Decibels>, ref?: number): Float32Array;
export function dbToAmplitude(db: Spectrogram, ref?: number): Spectrogram;
export function dbToAmplitude(input: ArrayLike<Decibels> | Spectrogram, ref = 1): Float32Array | Spectrogram {
  if (isSpectrogram(input)) return { ...input, data: dbToAmplitude(input.data, ref) };
  const out = new Float32Array(input.length);
  for (let i = 0; i < out.length; i++) out[i] = ref * 10 ** (input[i]! / 20);
  return out;
}

function isSpectrogram(x: unknown): x is Spectrogram {
  return typeof x === 'object' && x !== null && 'data' in x && 'bins' in x && 'frames' in x;
}
