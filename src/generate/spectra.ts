/**
 * Between the dataset's normalised spectrograms and audio, for one checkpoint's settings: invert a batch of
 * items to sound, and score rebuilt sound against an item.
 *
 * Scores compare the rebuilt audio's |STFT| with the item's spectrogram as the dataset stores it (the clip's
 * magnitude in dB, floored topDb below the peak, over the model's bins and frames): the very target the model was
 * trained to reproduce. The oracle's score is then the cost of the phase alone and the reconstruction's adds the
 * model's error, on the same footing, and evaluation needs no audio files. The rebuilt magnitudes are floored at
 * the item's own floor (its min dB) like the stored target, so inaudible detail below it does not count.
 */
import { frameCount, logSpectralDistance, magnitude, spectralConvergence, stft, type Spectrogram, type StftOptions } from '../dsp/index.ts';
import type { Hertz, Samples } from '../units.ts';
import type { Scores } from '../report/html.ts';
import { dbToMagnitude, denormalise, invertMagnitudes, type DbRange, type InvertOptions } from './invert.ts';

/** What generation needs to know about the spectrograms a checkpoint was trained on. */
export interface ClipSettings {
  sampleRate: Hertz;
  /** Samples in one clip. */
  clipSamples: Samples;
  stft: StftOptions;
  /** The model's [height, width]. */
  bins: number;
  frames: number;
}

/** Output length of Griffin-Lim: the clip, when the clip's STFT has the model's frames; else what the frames span. */
export function outputLength(s: ClipSettings): Samples {
  return frameCount(s.clipSamples, s.stft) === s.frames ? s.clipSamples : s.stft.hop * (s.frames - 1);
}

/** An item's normalised spectrogram as magnitudes (Nyquist bin restored if the model drops it). */
export function itemMagnitude(x01: Float32Array, range: DbRange, s: ClipSettings): Spectrogram {
  return dbToMagnitude(denormalise(x01, range), s.bins, s.frames, s.stft.nFft);
}

/**
 * Normalised spectrograms (with their dB ranges) to audio, in one Griffin-Lim batch.
 * @example const audio = itemsToAudio(decoded, decoded.map(() => priorRange(stats)), settings);
 */
export function itemsToAudio(x01s: Float32Array[], ranges: DbRange[], s: ClipSettings, options: Partial<InvertOptions> = {}): Float32Array[] {
  const mags = x01s.map((x, i) => itemMagnitude(x, ranges[i]!, s));
  return invertMagnitudes(mags, s.stft, outputLength(s), options);
}

/** The first `bins` x `frames` of a spectrogram (dropping a Nyquist row or trailing frames). */
export function cropSpectrogram(spec: Spectrogram, bins: number, frames: number): Spectrogram {
  const b = Math.min(bins, spec.bins);
  const f = Math.min(frames, spec.frames);
  const data = new Float32Array(b * f);
  for (let k = 0; k < b; k++) data.set(spec.data.subarray(k * spec.frames, k * spec.frames + f), k * f);
  return { bins: b, frames: f, data };
}

/**
 * Spectral convergence and log-spectral distance of audio against an item's stored spectrogram (see the file
 * comment). Audio shorter than the clip is zero-padded.
 */
export function scoreAgainstItem(audio: Float32Array, x01: Float32Array, range: DbRange, s: ClipSettings): Scores {
  const target = cropSpectrogram(itemMagnitude(x01, range, s), s.bins, s.frames);
  const length = Math.max(audio.length, outputLength(s));
  const padded = audio.length === length ? audio : Float32Array.from({ length }, (_, i) => audio[i] ?? 0);
  const estimate = cropSpectrogram(magnitude(stft(padded, s.stft)), s.bins, s.frames);
  const floor = Math.pow(10, range.min / 20);
  for (let i = 0; i < estimate.data.length; i++) if (estimate.data[i]! < floor) estimate.data[i] = floor;
  const fit = cropSpectrogram(target, estimate.bins, estimate.frames);
  return { spectralConvergence: spectralConvergence(estimate, fit), logSpectralDistance: logSpectralDistance(estimate, fit) };
}
