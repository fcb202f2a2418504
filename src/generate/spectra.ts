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
import { audioLevels } from '../audio/cleanup.ts';
import { mulberry32 } from '../dsp/random.ts';
import type { Decibels, Hertz, Samples } from '../units.ts';
import type { Scores } from '../dsp/metrics.ts';
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

/** Energy of an item's magnitude spectrogram: the sum of squared magnitudes (Parseval: proportional to the clip's). */
export function itemEnergy(x01: Float32Array, range: DbRange, s: ClipSettings): number {
  const m = itemMagnitude(x01, range, s).data;
  let e = 0;
  for (let i = 0; i < m.length; i++) e += m[i]! * m[i]!;
  return e;
}

const energyPerPower = new Map<string, number>();

/**
 * A clip's RMS level (dBFS) from its spectrogram energy. The factor between the two (window, hop, framing) is
 * measured once per setting on seeded noise of the clip's length, so it holds for any window.
 */
export function energyToRmsDb(energy: number, s: ClipSettings): Decibels {
  const key = JSON.stringify([s.stft, s.clipSamples, s.bins, s.frames]);
  let factor = energyPerPower.get(key);
  if (factor === undefined) {
    const rand = mulberry32(12345);
    const length = outputLength(s);
    const noise = Float32Array.from({ length }, () => rand() * 2 - 1);
    const spec = cropSpectrogram(magnitude(stft(noise, s.stft)), s.bins, s.frames);
    const e = spec.data.reduce((sum, v) => sum + v * v, 0);
    const power = noise.reduce((sum, v) => sum + v * v, 0) / length;
    factor = e / power;
    energyPerPower.set(key, factor);
  }
  return 10 * Math.log10(Math.max(energy / factor, 1e-20));
}

/** RMS and peak level of audio in dBFS (audio/cleanup.ts), re-exported for the generation modules. */
export { audioLevels };

/** Audio scaled so its RMS level is `target` dBFS (silence stays silent). */
export function levelTo(audio: Float32Array, target: Decibels): Float32Array {
  const { rms } = audioLevels(audio);
  if (rms <= -190) return audio;
  const gain = 10 ** ((target - rms) / 20);
  return audio.map((v) => v * gain);
}

/**
 * Model-only scores of a decoded spectrogram against the item's own: both de-normalised with the item's range,
 * compared as magnitudes (no Griffin-Lim), and the energy difference in dB (positive: decoded louder).
 */
export function scoreModelOnly(decoded: Float32Array, x01: Float32Array, range: DbRange, s: ClipSettings): Scores & { levelDifference: Decibels } {
  const est = cropSpectrogram(itemMagnitude(decoded, range, s), s.bins, s.frames);
  const ref = cropSpectrogram(itemMagnitude(x01, range, s), s.bins, s.frames);
  const energy = (m: Spectrogram) => m.data.reduce((sum, v) => sum + v * v, 0);
  return {
    spectralConvergence: spectralConvergence(est, ref),
    logSpectralDistance: logSpectralDistance(est, ref),
    levelDifference: 10 * Math.log10(Math.max(energy(est), 1e-30) / Math.max(energy(ref), 1e-30)),
  };
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
  const floor = 10 ** (range.min / 20);
  for (let i = 0; i < estimate.data.length; i++) if (estimate.data[i]! < floor) estimate.data[i] = floor;
  const fit = cropSpectrogram(target, estimate.bins, estimate.frames);
  return { spectralConvergence: spectralConvergence(estimate, fit), logSpectralDistance: logSpectralDistance(estimate, fit) };
}
