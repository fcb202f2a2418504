import type { Decibels, Samples } from '../units.ts';

/** A real-valued time-frequency image, bins x frames, bin-major: `data[bin * frames + frame]`. */
export interface Spectrogram {
  bins: number;
  frames: number;
  data: Float32Array;
}

/** A complex STFT, bins x frames, bin-major like `Spectrogram`. */
export interface ComplexSpectrogram {
  bins: number;
  frames: number;
  re: Float32Array;
  im: Float32Array;
}

export type WindowName = 'hann';

/** Short-time Fourier transform settings (librosa's names, camel-cased). */
export interface StftOptions {
  /** FFT size; bins = nFft / 2 + 1. */
  nFft: Samples;
  /** Hop between frame starts. */
  hop: Samples;
  /** Window length, <= nFft, zero-padded to nFft in the centre. Default nFft. */
  winLength?: Samples;
  /** Window shape. Default 'hann' (periodic). */
  window?: WindowName;
  /** Pad nFft/2 on both sides so frame t is centred on sample t*hop. Default true. */
  center?: boolean;
  /** How centre padding is filled. Default 'reflect' (torch.stft, librosa < 0.10). */
  padMode?: 'reflect' | 'constant';
}

/** Settings for magnitude <-> dB, as librosa.amplitude_to_db. */
export interface DbOptions {
  /** Reference amplitude that maps to 0 dB, or 'max' for the largest amplitude of the input. Default 1. */
  ref?: number | 'max';
  /** Floor on amplitudes before the log. Default 1e-5. */
  amin?: number;
  /** Clip to at most this far below the peak; null for no clipping. Default 80. */
  topDb?: Decibels | null;
}

/** How Griffin-Lim starts: a named method or a phase spectrogram (radians, bins x frames, bin-major). */
export type PhaseInit = 'random' | 'uniform' | 'zero' | 'pghi' | Float32Array;
