/** The audio layer's public API: read any audio file, mix, resample, write WAV, clean up. */
export type { AudioFileInfo, DecodedAudio } from './types.ts';
export {
  decodeAudio,
  decodeAudioBytes,
  readAudioInfo,
  sniffContainer,
  hasAudioExtension,
  AUDIO_EXTENSIONS,
  DEFAULT_DECODE,
  type DecodeOptions,
} from './decode.ts';
export { decodeWav, wavInfo, isWav, parseWavLayout, WAV_LIMITS } from './wav.ts';
export { decodeAiff, aiffInfo, isAiff } from './aiff.ts';
export { decodeAu, auInfo, isAu } from './au.ts';
export { IsolatedDecoder } from './isolate.ts';
export { loadAudio, DEFAULT_LOAD, type LoadOptions, type LoadedAudio } from './load.ts';
export { toMono } from './mono.ts';
export { openAudio, openStreamingAudio, readBlocks, DEFAULT_BLOCKS, type AudioReader, type AudioBlock, type BlockOptions } from './reader.ts';
export { openStreamedAudio, isForwardOnly, DEFAULT_STREAM, type StreamOptions } from './stream-decode.ts';
export {
  resample,
  resampleChannels,
  resampledLength,
  resampleSegment,
  resampleInputRange,
  resampleReach,
  RESAMPLE_QUALITIES,
  DEFAULT_RESAMPLE,
  type ResampleOptions,
  type ResampleQuality,
  type ResampleFilter,
} from './resample.ts';
export { encodeWav, writeWav, DEFAULT_WAV_WRITE, type WavEncoding, type WavWriteOptions } from './wav-write.ts';
export {
  trimSilence,
  removeSilences,
  removeEdgeClicks,
  normalizePeak,
  normalizeLoudness,
  loudnessLufs,
  splitIntoClips,
  clipOffsets,
  frameLevels,
  peak,
  rms,
  DEFAULT_CLEANUP,
  type SilenceOptions,
  type TrimOptions,
  type InternalSilenceOptions,
  type ClickOptions,
  type LoudnessOptions,
  type SplitOptions,
} from './cleanup.ts';
