/**
 * From the model's output back to sound, without tfjs: undo the min-max normalisation, dB -> amplitude,
 * restore a dropped Nyquist bin, and run Griffin-Lim with the PGHI initial phase over a batch of items.
 *
 * De-normalising needs a dB range. A reconstruction uses its own item's min and max (stored with the item).
 * A sample from the prior has no item, so it uses the dataset-level statistics kept in the checkpoint: the MEAN of
 * the per-item minima and maxima. That places a typical sample at a typical level and dynamic range; the global
 * extremes (lowest min, highest max) would stretch every sample over the widest range any item had, which sounds
 * loud and noisy. See `priorRange`.
 */
import { peak } from '../audio/cleanup.ts';
import { dbToAmplitude, GriffinLim, type Spectrogram, type StftOptions } from '../dsp/index.ts';
import { UserError } from '../errors.ts';
import type { DatasetStats } from '../dataset/store.ts';
import { DEFAULT_INVERT, type InvertOptions } from './defaults.ts';
import type { Decibels, Hertz, Samples, Seconds } from '../units.ts';

/** A dB range that maps [0, 1] model values back to decibels. */
export interface DbRange {
  min: Decibels;
  max: Decibels;
}

export { DEFAULT_INVERT, type InvertOptions } from './defaults.ts';

/**
 * The range for samples from the prior: the mean per-item min and max of the training set (see the file comment).
 * @param stats the dataset statistics stored in the checkpoint (`dataset.normalization`).
 * @throws UserError when the checkpoint has none.
 */
export function priorRange(stats: Pick<DatasetStats, 'minMean' | 'maxMean'> | undefined, where = 'checkpoint'): DbRange {
  const s = stats;
  // A dataset with no items has no range (its means are not numbers): nothing to de-normalise with.
  if (!s || typeof s.minMean !== 'number' || typeof s.maxMean !== 'number' || !(s.maxMean > s.minMean)) {
    throw new UserError(`${where}: no dataset statistics (mean per-item min/max) to de-normalise generated spectrograms`);
  }
  return { min: s.minMean, max: s.maxMean };
}

/** Model values in [0, 1] back to dB: x * (max - min) + min. */
export function denormalise(x: ArrayLike<number>, range: DbRange): Float32Array {
  const out = new Float32Array(x.length);
  const span = range.max - range.min;
  for (let i = 0; i < out.length; i++) out[i] = x[i]! * span + range.min;
  return out;
}

/**
 * dB values (bins x frames, bin-major) to a magnitude spectrogram Griffin-Lim can invert with `nFft`: the model
 * may drop the Nyquist bin (256 bins of a 512-point FFT, like the reference), which comes back as zeros.
 */
export function dbToMagnitude(db: Float32Array, bins: number, frames: number, nFft: Samples): Spectrogram {
  const full = nFft / 2 + 1;
  if (bins !== full && bins !== full - 1) {
    throw new UserError(`spectrograms of ${bins} bins do not fit an FFT of ${nFft} (expected ${full} or ${full - 1})`);
  }
  if (db.length !== bins * frames) throw new RangeError(`expected ${bins * frames} values, got ${db.length}`);
  const data = new Float32Array(full * frames);
  data.set(dbToAmplitude(db));
  return { bins: full, frames, data };
}

/**
 * Inverts many magnitude spectrograms of one shape with a single Griffin-Lim engine (buffers reused).
 * @param length output samples per clip (the clip length of the dataset).
 */
export function invertMagnitudes(mags: Spectrogram[], stft: StftOptions, length: Samples, options: Partial<InvertOptions> = {}): Float32Array[] {
  const o = { ...DEFAULT_INVERT, ...options };
  const engine = new GriffinLim({ ...stft, iterations: o.iterations, momentum: o.momentum, init: o.init, seed: o.seed, measure: false });
  return mags.map((m) => engine.run(m, { length }).audio);
}

/** How `limitPeaks` brings overshoots down: the ceiling, and how fast the gain may fall before and rise after. */
export const DEFAULT_LIMITER = { ceiling: 0.99, attack: 0.005 as Seconds, release: 0.05 as Seconds };

/**
 * Brings peaks above `ceiling` down with a gain that ramps down over at most `attack` before each one and back up
 * over at most `release` after it, leaving the rest at its level: on a long file one Griffin-Lim overshoot no
 * longer turns everything down, as `preventClipping`'s single gain would. The gain is piecewise linear (no clicks).
 */
export function limitPeaks(audio: Float32Array, sampleRate: Hertz, options: Partial<typeof DEFAULT_LIMITER> = {}): Float32Array {
  const { ceiling, attack, release } = { ...DEFAULT_LIMITER, ...options };
  if (peak(audio) <= ceiling) return audio;
  const n = audio.length;
  const gain = Float32Array.from(audio, (v) => (Math.abs(v) > ceiling ? ceiling / Math.abs(v) : 1));
  // the gain may rise by at most 1 per `release` after a dip, and fall by at most 1 per `attack` before one
  const up = 1 / Math.max(1, release * sampleRate);
  const down = 1 / Math.max(1, attack * sampleRate);
  for (let i = 1; i < n; i++) gain[i] = Math.min(gain[i]!, gain[i - 1]! + up);
  for (let i = n - 2; i >= 0; i--) gain[i] = Math.min(gain[i]!, gain[i + 1]! + down);
  return audio.map((v, i) => v * gain[i]!);
}

/** Scales audio down to a peak of `ceiling` when it would clip; quieter audio is left as it is. */
export function preventClipping(audio: Float32Array, ceiling = 0.99): Float32Array {
  const top = peak(audio);
  if (top <= ceiling) return audio;
  const g = ceiling / top;
  return audio.map((v) => v * g);
}
