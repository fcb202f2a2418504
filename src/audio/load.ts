/** One call from a file to the samples a pipeline wants: decode, mix to mono, resample. */
import type { Hertz } from '../units.ts';
import { decodeAudio, type DecodeOptions } from './decode.ts';
import { toMono } from './mono.ts';
import { resample, type ResampleOptions } from './resample.ts';
import type { AudioFileInfo } from './types.ts';

export interface LoadOptions {
  /** Target sample rate; undefined keeps the file's own rate. Default undefined. */
  sampleRate?: Hertz;
  /** Mix all channels down to one. Default true. */
  mono: boolean;
  /** Resampling filter quality. Default 'default' (see RESAMPLE_QUALITIES). */
  resample: Partial<ResampleOptions>;
  /** Decoder limits (time-out, largest file). */
  decode: Partial<DecodeOptions>;
}

export const DEFAULT_LOAD: LoadOptions = { sampleRate: undefined, mono: true, resample: {}, decode: {} };

export interface LoadedAudio {
  /** Mono samples (or the first channel's, when mono is false use `channels`). */
  samples: Float32Array;
  /** Every channel (one when mono). */
  channels: Float32Array[];
  sampleRate: Hertz;
  /** What the file held before conversion. */
  info: AudioFileInfo;
}

/**
 * Loads an audio file as Float32 samples in [-1, 1], mixed to mono and resampled on request
 * (like `librosa.load(path, sr=..., mono=True)`).
 *
 * @param file any format `decodeAudio` reads
 * @param options `sampleRate` (default: the file's), `mono` (default true)
 * @throws UserError "FILE: cause" when the file cannot be read
 * @example
 * const { samples, sampleRate } = await loadAudio('0_jackson_0.wav', { sampleRate: 22050 });
 */
export async function loadAudio(file: string, options: Partial<LoadOptions> = {}): Promise<LoadedAudio> {
  const opts = { ...DEFAULT_LOAD, ...options };
  const { info, channels: decoded } = await decodeAudio(file, opts.decode);
  let channels = opts.mono ? [toMono(decoded)] : decoded;
  const sampleRate = opts.sampleRate ?? info.sampleRate;
  if (sampleRate !== info.sampleRate) channels = channels.map((c) => resample(c, info.sampleRate, sampleRate, opts.resample));
  return { samples: channels[0]!, channels, sampleRate, info };
}
