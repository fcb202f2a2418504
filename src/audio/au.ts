/**
 * Sun/NeXT .au (.snd) files: a 24-byte big-endian header (".snd", data offset, data size,
 * encoding, rate, channels) then interleaved samples. Decoded by the AIFF reader's sample code.
 */
import { decodeAiffFrames, layoutInfo, type AiffCodec, type AiffLayout } from './aiff.ts';
import type { AudioFileInfo, DecodedAudio } from './types.ts';
import { WAV_LIMITS } from './wav.ts';

/** .au encodings we decode: codec and bytes per sample. */
const ENCODINGS: Record<number, [AiffCodec, number, string]> = {
  1: ['mulaw', 1, 'mulaw'],
  2: ['pcm-be', 1, 'pcm'],
  3: ['pcm-be', 2, 'pcm'],
  4: ['pcm-be', 3, 'pcm'],
  5: ['pcm-be', 4, 'pcm'],
  6: ['float-be', 4, 'float'],
  7: ['float-be', 8, 'float'],
  27: ['alaw', 1, 'alaw'],
};

function fail(cause: string): never {
  throw new Error(cause);
}

/** True when the bytes start a .au file. */
export function isAu(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x2e && bytes[1] === 0x73 && bytes[2] === 0x6e && bytes[3] === 0x64;
}

/** Reads the header; `fileSize` may exceed `bytes.length` when only the head was read. */
export function parseAuLayout(bytes: Uint8Array, fileSize = bytes.length): AiffLayout {
  if (bytes.length < 24) fail('truncated: shorter than an .au header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = view.getUint32(4);
  const declared = view.getUint32(8); // 0xffffffff: unknown, read to the end
  const encoding = view.getUint32(12);
  const sampleRate = view.getUint32(16);
  const channels = view.getUint32(20);
  const known = ENCODINGS[encoding];
  if (!known) fail(`unsupported codec: .au encoding ${encoding}`);
  if (channels < 1 || channels > WAV_LIMITS.maxChannels) fail(`bad channel count ${channels} in .au header`);
  if (sampleRate < 1 || sampleRate > WAV_LIMITS.maxSampleRate) fail(`bad sample rate ${sampleRate} in .au header`);
  if (dataOffset < 24) fail(`bad data offset ${dataOffset} in .au header`);
  const [codec, width] = known;
  const available = Math.max(0, fileSize - dataOffset);
  const dataBytes = declared === 0xffffffff ? available : Math.min(declared, available);
  const frames = Math.floor(dataBytes / (width * channels));
  if (frames === 0 && declared > 0 && declared !== 0xffffffff) fail(`truncated: the header declares ${declared} bytes of samples but none are present`);
  return { compression: String(encoding), codec, channels, sampleRate, bitsPerSample: width * 8, width, frames, dataOffset };
}

/** Header facts of a .au file (no sample decoding). */
export function auInfo(bytes: Uint8Array, file = '', fileSize = bytes.length): AudioFileInfo {
  const layout = parseAuLayout(bytes, fileSize);
  return { ...layoutInfo(layout, file, 'au'), codec: ENCODINGS[Number(layout.compression)]![2] };
}

/** Decodes a .au file held in memory to Float32 channels in [-1, 1]. Throws an Error with a one-line cause. */
export function decodeAu(bytes: Uint8Array, file = ''): DecodedAudio {
  const layout = parseAuLayout(bytes);
  if (layout.frames * layout.channels > WAV_LIMITS.maxSamples) fail(`too large to decode at once (${layout.frames} frames)`);
  return { info: auInfo(bytes, file), channels: decodeAiffFrames(bytes, layout) };
}
