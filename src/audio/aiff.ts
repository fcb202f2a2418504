/**
 * A small AIFF / AIFF-C reader (Apple's big-endian cousin of WAV). We parse it ourselves because
 * the general decoders get some variants wrong (8-bit AIFF is signed, unlike 8-bit WAV).
 *
 * Codecs: PCM of any bit depth ('NONE'/'twos' big-endian, 'sowt' little-endian, 'raw ' unsigned
 * 8-bit, 'in24'/'in32'), float ('fl32'/'fl64'), A-law and mu-law. Sizes that run past the end of
 * the file are clamped to what is there, as for WAV.
 */
import type { AudioFileInfo, DecodedAudio } from './types.ts';
import { ALAW, MULAW, WAV_LIMITS } from './wav.ts';

export type AiffCodec = 'pcm-be' | 'pcm-le' | 'pcm-unsigned' | 'float-be' | 'alaw' | 'mulaw';

/** AIFF-C compression types we decode, by four-character code. */
const COMPRESSIONS: Record<string, AiffCodec> = {
  NONE: 'pcm-be',
  twos: 'pcm-be',
  in24: 'pcm-be',
  in32: 'pcm-be',
  sowt: 'pcm-le',
  'raw ': 'pcm-unsigned',
  fl32: 'float-be',
  FL32: 'float-be',
  fl64: 'float-be',
  FL64: 'float-be',
  ulaw: 'mulaw',
  ULAW: 'mulaw',
  alaw: 'alaw',
  ALAW: 'alaw',
};

/** Where things are in an AIFF file, without decoding the samples. */
export interface AiffLayout {
  compression: string;
  codec: AiffCodec;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** Bytes per sample of one channel. */
  width: number;
  /** Frames present (the header's count, or fewer when the file is cut short). */
  frames: number;
  dataOffset: number;
}

function fail(cause: string): never {
  throw new Error(cause);
}

function ascii(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + 4));
}

/** True when the bytes start an AIFF or AIFF-C file. */
export function isAiff(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && ascii(bytes, 0) === 'FORM' && (ascii(bytes, 8) === 'AIFF' || ascii(bytes, 8) === 'AIFC');
}

/** The 80-bit IEEE 754 extended float AIFF uses for its sample rate. */
function readExtended(view: DataView, at: number): number {
  const signExp = view.getUint16(at);
  const hi = view.getUint32(at + 2);
  const lo = view.getUint32(at + 6);
  const exponent = signExp & 0x7fff;
  if (exponent === 0 && hi === 0 && lo === 0) return 0;
  if (exponent === 0x7fff) return NaN;
  const value = (hi * 2 ** 32 + lo) * 2 ** (exponent - 16383 - 63);
  return signExp & 0x8000 ? -value : value;
}

/**
 * Finds the format and sample data of an AIFF file. `fileSize` may exceed `bytes.length` when only
 * the head of the file was read. Throws an Error with a one-line cause.
 */
export function parseAiffLayout(bytes: Uint8Array, fileSize = bytes.length): AiffLayout {
  if (!isAiff(bytes)) fail('not an AIFF file');
  const aifc = ascii(bytes, 8) === 'AIFC';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let comm: (Omit<AiffLayout, 'frames' | 'dataOffset' | 'width'> & { declaredFrames: number }) | undefined;
  let dataOffset = -1;
  let dataBytes = 0;
  for (let pos = 12; pos + 8 <= bytes.length; ) {
    const id = ascii(bytes, pos);
    const size = view.getUint32(pos + 4);
    const body = pos + 8;
    if (id === 'COMM') {
      if (size < 18 || body + 18 > bytes.length) fail('truncated inside the COMM chunk');
      let compression = 'NONE';
      if (aifc) {
        if (size < 22 || body + 22 > bytes.length) fail('AIFF-C COMM chunk too short');
        compression = ascii(bytes, body + 18);
      }
      const codec = COMPRESSIONS[compression];
      if (!codec) fail(`unsupported codec: AIFF-C compression ${JSON.stringify(compression)}`);
      comm = {
        compression,
        codec,
        channels: view.getUint16(body),
        declaredFrames: view.getUint32(body + 2),
        bitsPerSample: view.getUint16(body + 6),
        sampleRate: readExtended(view, body + 8),
      };
    } else if (id === 'SSND' && dataOffset < 0) {
      if (body + 8 > bytes.length) fail('truncated inside the SSND chunk');
      const offset = view.getUint32(body);
      dataOffset = body + 8 + offset;
      dataBytes = Math.max(0, Math.min(size - 8 - offset, fileSize - dataOffset));
    }
    pos = body + size + (size % 2);
  }
  if (!comm) fail('no COMM chunk (not a complete AIFF file)');
  if (dataOffset < 0) {
    if (comm.declaredFrames === 0)
      dataOffset = bytes.length; // a valid empty file
    else fail('no SSND chunk (header only)');
  }
  const { channels, sampleRate, bitsPerSample, codec } = comm;
  if (channels < 1 || channels > WAV_LIMITS.maxChannels) fail(`bad channel count ${channels} in COMM chunk`);
  if (!(sampleRate >= 1 && sampleRate <= WAV_LIMITS.maxSampleRate)) fail(`bad sample rate ${sampleRate} in COMM chunk`);
  let width: number;
  if (codec === 'alaw' || codec === 'mulaw') width = 1;
  else if (codec === 'float-be') width = comm.compression.toLowerCase() === 'fl64' ? 8 : 4;
  else {
    if (bitsPerSample < 1 || bitsPerSample > 32) fail(`unsupported AIFF bit depth ${bitsPerSample}`);
    width = Math.ceil(bitsPerSample / 8);
  }
  const present = Math.floor(dataBytes / (width * channels));
  if (comm.declaredFrames > 0 && present === 0) fail(`truncated: the COMM chunk declares ${comm.declaredFrames} frames but none are present`);
  const { declaredFrames: _, ...rest } = comm;
  return { ...rest, width, frames: Math.min(comm.declaredFrames, present), dataOffset };
}

/** AudioFileInfo for a layout (`container` 'aiff', or 'au' for the .au reader). */
export function layoutInfo(layout: AiffLayout, file: string, container = 'aiff'): AudioFileInfo {
  const isFloat = layout.codec === 'float-be';
  const companded = layout.codec === 'alaw' || layout.codec === 'mulaw';
  return {
    file,
    container,
    codec: isFloat ? 'float' : companded ? layout.codec : 'pcm',
    sampleRate: Math.round(layout.sampleRate),
    channels: layout.channels,
    bitDepth: isFloat ? layout.width * 8 : companded ? 8 : layout.bitsPerSample,
    frames: layout.frames,
    duration: layout.frames / layout.sampleRate,
  };
}

/** Header facts of an AIFF file (no sample decoding); `bytes` may be only its head. */
export function aiffInfo(bytes: Uint8Array, file = '', fileSize = bytes.length): AudioFileInfo {
  return layoutInfo(parseAiffLayout(bytes, fileSize), file);
}

/**
 * Decodes an AIFF / AIFF-C file held in memory to Float32 channels in [-1, 1].
 * Throws an Error whose message is a one-line cause; callers prefix the file name.
 */
export function decodeAiff(bytes: Uint8Array, file = ''): DecodedAudio {
  const layout = parseAiffLayout(bytes);
  return { info: layoutInfo(layout, file), channels: decodeAiffFrames(bytes, layout) };
}

/** Decodes the interleaved frames a layout describes (shared with the Sun/NeXT .au reader). */
export function decodeAiffFrames(bytes: Uint8Array, layout: AiffLayout): Float32Array[] {
  const { channels: nc, frames, width, codec, dataOffset } = layout;
  if (frames * nc > WAV_LIMITS.maxSamples) fail(`too large to decode at once (${frames} frames x ${nc} channels)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataOffset, frames * nc * width);
  const le = codec === 'pcm-le';
  // Samples are left-justified in `width` bytes: scale by the container, not the bit depth.
  const scale = 2 ** (8 * width - 1);
  const read: (o: number) => number =
    codec === 'alaw'
      ? (o) => ALAW[view.getUint8(o)]!
      : codec === 'mulaw'
        ? (o) => MULAW[view.getUint8(o)]!
        : codec === 'float-be'
          ? width === 4
            ? (o) => view.getFloat32(o)
            : (o) => view.getFloat64(o)
          : codec === 'pcm-unsigned'
            ? (o) => (view.getUint8(o) - 128) / 128
            : width === 1
              ? (o) => view.getInt8(o) / scale
              : width === 2
                ? (o) => view.getInt16(o, le) / scale
                : width === 3
                  ? (o) => (le ? (view.getInt8(o + 2) << 16) | view.getUint16(o, true) : (view.getInt16(o) << 8) | view.getUint8(o + 2)) / scale
                  : (o) => view.getInt32(o, le) / scale;
  const out = Array.from({ length: nc }, () => new Float32Array(frames));
  for (let f = 0, o = 0; f < frames; f++) {
    for (let c = 0; c < nc; c++, o += width) {
      const v = read(o);
      out[c]![f] = v >= -1 && v <= 1 ? v : v > 1 ? 1 : v < -1 ? -1 : 0;
    }
  }
  return out;
}
