import type { Hertz, Samples, Seconds } from '../units.ts';

/** What a file is, as `soundvae info FILE` prints it. */
export interface AudioFileInfo {
  file: string;
  /** Container: 'wav', 'rifx', 'rf64', 'mp3', 'flac', 'ogg', 'opus', 'aiff', ... */
  container: string;
  /** Codec inside: 'pcm', 'float', 'alaw', 'mulaw', 'ima-adpcm', 'mp3', 'vorbis', ... */
  codec: string;
  sampleRate: Hertz;
  channels: number;
  /** Bits per sample where the format has one (PCM, float, companded). */
  bitDepth?: number;
  frames: Samples;
  duration: Seconds;
}

/** A decoded file: one Float32Array per channel, samples in [-1, 1]. */
export interface DecodedAudio {
  info: AudioFileInfo;
  channels: Float32Array[];
  /** Samples that were NaN or infinite in the file and were set to 0 (absent when none). */
  repaired?: number;
}
