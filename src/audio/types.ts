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
  /** Something the file's header claims that the file does not hold, e.g. "truncated: header declares 1.000 s, file holds 0.122 s". */
  warning?: string;
}

/** A decoded file: one Float32Array per channel, samples in [-1, 1]. */
export interface DecodedAudio {
  info: AudioFileInfo;
  channels: Float32Array[];
  /** Samples that were NaN or infinite in the file and were set to 0 (absent when none). */
  repaired?: number;
}

/** An open audio file that reads frames on demand. */
export interface AudioReader {
  info: AudioFileInfo;
  /** True when frames are read from disk as needed (memory independent of the file's length). */
  streaming: boolean;
  /** Frames `[start, start + count)` (clamped to the file), one array per channel. */
  read(start: Samples, count: Samples): Promise<Float32Array[]>;
  close(): Promise<void>;
}
