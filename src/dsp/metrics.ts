/**
 * How close a rebuilt sound is to a target, measured on STFT magnitudes.
 *
 * Spectral convergence (Sturmel & Daudet 2011), in dB; lower is better, -inf is perfect:
 *
 *   SC = 20 log10( ||S_hat - S||_F / ||S||_F )
 *
 * Log-spectral distance, in dB; 0 is perfect:
 *
 *   LSD = (1/T) sum_t sqrt( (1/K) sum_k ( 10 log10( (S[k,t]^2 + eps) / (S_hat[k,t]^2 + eps) ) )^2 )
 *
 * with T frames, K bins and the power floor `eps` (default 1e-10, i.e. -100 dB) keeping silence finite.
 */
import type { Decibels } from '../units.ts';
import { magnitude, stft } from './stft.ts';
import type { Spectrogram, StftOptions } from './types.ts';

/** Default power floor of the log-spectral distance. */
export const DEFAULT_LSD_FLOOR = 1e-10;

function checkShapes(estimate: Spectrogram, reference: Spectrogram): void {
  if (estimate.bins !== reference.bins || estimate.frames !== reference.frames) {
    throw new RangeError(`spectrogram shapes differ: ${estimate.bins}x${estimate.frames} vs ${reference.bins}x${reference.frames}`);
  }
}

/**
 * Spectral convergence in dB from the summed squared error and the summed squared target: a silent target gives
 * -inf when matched exactly and +inf otherwise (rather than NaN).
 */
export function spectralConvergenceFromSums(err2: number, norm2: number): Decibels {
  if (norm2 === 0) return err2 === 0 ? -Infinity : Infinity;
  return 10 * Math.log10(err2 / norm2);
}

/**
 * Spectral convergence `20 log10(||S_hat - S|| / ||S||)` of two magnitude spectrograms (Frobenius norms).
 * @param estimate magnitudes of the rebuilt sound, S_hat.
 * @param reference target magnitudes, S.
 * @example spectralConvergence(est, ref) // -20 means the error has a tenth of the target's energy norm
 */
export function spectralConvergence(estimate: Spectrogram, reference: Spectrogram): Decibels {
  checkShapes(estimate, reference);
  let err = 0,
    norm = 0;
  const a = estimate.data,
    b = reference.data;
  for (let i = 0; i < b.length; i++) {
    const d = a[i]! - b[i]!;
    err += d * d;
    norm += b[i]! * b[i]!;
  }
  return spectralConvergenceFromSums(err, norm);
}

/**
 * Log-spectral distance in dB: the mean over frames of the RMS over bins of the power-ratio in dB (see above).
 * @param estimate magnitudes of the rebuilt sound.
 * @param reference target magnitudes.
 * @param floor power floor `eps` added to both powers (default 1e-10).
 */
export function logSpectralDistance(estimate: Spectrogram, reference: Spectrogram, floor = DEFAULT_LSD_FLOOR): Decibels {
  checkShapes(estimate, reference);
  const { bins, frames } = reference;
  const a = estimate.data,
    b = reference.data;
  let total = 0;
  for (let t = 0; t < frames; t++) {
    let sum = 0;
    for (let k = 0; k < bins; k++) {
      const i = k * frames + t;
      const d = 10 * Math.log10((b[i]! * b[i]! + floor) / (a[i]! * a[i]! + floor));
      sum += d * d;
    }
    total += Math.sqrt(sum / bins);
  }
  return total / frames;
}

/**
 * Spectral convergence of a rebuilt signal against the original, both through the same STFT (as the reference
 * script sc.py does): the estimate is cut or zero-padded to the original's length first.
 * @example signalSpectralConvergence(rebuilt, original, { nFft: 512, hop: 128 })
 */
export function signalSpectralConvergence(estimate: ArrayLike<number>, original: ArrayLike<number>, options: StftOptions): Decibels {
  const y = new Float32Array(original.length);
  for (let i = 0; i < Math.min(y.length, estimate.length); i++) y[i] = estimate[i]!;
  return spectralConvergence(magnitude(stft(y, options)), magnitude(stft(original, options)));
}

/** Spectral convergence and log-spectral distance of one reconstruction. */
export interface Scores {
  /** 20 log10(||S_hat - S|| / ||S||). */
  spectralConvergence: Decibels;
  /** Root-mean-square difference of the log power spectra. */
  logSpectralDistance: Decibels;
}

/** The mean of each score over the reconstructions whose scores are finite; undefined when none are. */
export function meanScores(scores: Scores[]): Scores | undefined {
  const ok = scores.filter((s) => Number.isFinite(s.spectralConvergence) && Number.isFinite(s.logSpectralDistance));
  if (ok.length === 0) return undefined;
  return {
    spectralConvergence: ok.reduce((a, s) => a + s.spectralConvergence, 0) / ok.length,
    logSpectralDistance: ok.reduce((a, s) => a + s.logSpectralDistance, 0) / ok.length,
  };
}
