/**
 * A tolerant WAV reader: RIFF (little-endian), RIFX (big-endian), RF64/BW64 (64-bit sizes).
 *
 * Codecs: PCM of any bit depth (8-bit unsigned; 12/16/20/24/32/48/64-bit signed, in byte
 * containers, left- or right-justified as the data shows), IEEE float 32/64, A-law, mu-law,
 * IMA-ADPCM, MS ADPCM and GSM 06.10 (gsm.ts), each also inside WAVE_FORMAT_EXTENSIBLE. Real files lie: the data size
 * may run past the end of the file (we read what is there), chunks may skip their pad byte, junk
 * may trail the data. We walk the chunks ourselves because general-purpose readers (wavefile
 * included) reject many such files; tests use wavefile as an independent writer.
 */
import { decodeGsmWav, GSM_WAV } from './gsm.ts';
import type { AudioFileInfo, DecodedAudio } from './types.ts';

/** Reading limits, in one place. */
export const WAV_LIMITS = {
  /** Channel counts above this are taken as a corrupt header. */
  maxChannels: 256,
  /** Sample rates outside [1, maxSampleRate] are taken as a corrupt header. */
  maxSampleRate: 10_000_000,
  /** Decoded samples (all channels) above this are refused rather than exhausting memory (~4 GB of Float32). */
  maxSamples: 1_000_000_000,
};

/** WAVE format tags we decode. */
const FORMAT = { pcm: 0x0001, msAdpcm: 0x0002, float: 0x0003, alaw: 0x0006, mulaw: 0x0007, imaAdpcm: 0x0011, gsm: 0x0031, extensible: 0xfffe };

/** Names of codecs we do not decode, for a clearer "unsupported codec" error. */
const FORMAT_NAMES: Record<number, string> = {
  64: 'G.721 ADPCM',
  80: 'MPEG',
  85: 'MPEG layer 3',
  353: 'WMA',
  8192: 'AC-3',
};

/** The parsed `fmt ` chunk, with the extensible sub-format resolved. */
export interface WavFormat {
  formatTag: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
  /** Valid bits from WAVE_FORMAT_EXTENSIBLE, when present. */
  validBits?: number;
  /** Samples per block for IMA-ADPCM. */
  samplesPerBlock?: number;
  /** MS ADPCM predictor coefficient pairs (the standard seven unless the file gives its own). */
  coefficients?: [number, number][];
}

/** Where things are in a WAV file, without decoding the samples. */
export interface WavLayout {
  container: 'wav' | 'rifx' | 'rf64' | 'w64';
  littleEndian: boolean;
  format: WavFormat;
  /** Byte offset and length of the sample data actually present in the file. */
  dataOffset: number;
  dataBytes: number;
  /** What the data chunk's header claimed (may exceed what is present). */
  declaredDataBytes: number;
  /** Sample frames from a `fact` chunk, if any (compressed formats). */
  factFrames?: number;
}

/** True when the first bytes look like a WAV file of any flavour (RIFF, RIFX, RF64, BW64, Sony Wave64). */
export function isWav(bytes: Uint8Array): boolean {
  const id = ascii(bytes, 0);
  return ((id === 'RIFF' || id === 'RIFX' || id === 'RF64' || id === 'BW64') && ascii(bytes, 8) === 'WAVE') || isW64(bytes);
}

/** The tail shared by Wave64's chunk GUIDs ('fmt ', 'data', ... then this); 'riff' has its own. */
const W64_GUID_TAIL = [0xf3, 0xac, 0xd3, 0x11, 0x8c, 0xd1, 0x00, 0xc0, 0x4f, 0x8e, 0xdb, 0x8a];
const W64_RIFF_TAIL = [0x2e, 0x91, 0xcf, 0x11, 0xa5, 0xd6, 0x28, 0xdb, 0x04, 0xc1, 0x00, 0x00];

function hasTail(bytes: Uint8Array, at: number, tail: number[]): boolean {
  return bytes.length >= at + 16 && tail.every((b, i) => bytes[at + 4 + i] === b);
}

/** Sony Wave64: RIFF with 16-byte GUID chunk ids, 64-bit sizes that count the 24-byte header, 8-byte alignment. */
function isW64(bytes: Uint8Array): boolean {
  return bytes.length >= 40 && ascii(bytes, 0) === 'riff' && hasTail(bytes, 0, W64_RIFF_TAIL) && ascii(bytes, 24) === 'wave';
}

function parseW64Layout(bytes: Uint8Array, fileSize: number): WavLayout {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format: WavFormat | undefined;
  let dataOffset = -1;
  let dataBytes = 0;
  let declaredDataBytes = 0;
  let factFrames: number | undefined;
  for (let pos = 40; pos + 24 <= bytes.length; ) {
    const id = hasTail(bytes, pos, W64_GUID_TAIL) ? ascii(bytes, pos) : '';
    const size = Number(view.getBigUint64(pos + 16, true));
    const body = pos + 24;
    if (size < 24) break; // a size that does not even cover its own header: stop here
    if (id === 'fmt ' && !format) format = parseFmt(view, body, Math.min(size - 24, bytes.length - body), true);
    else if (id === 'fact' && body + 4 <= bytes.length) factFrames = Number(view.getBigUint64(body, true));
    else if (id === 'data' && dataOffset < 0) {
      dataOffset = body;
      declaredDataBytes = size - 24;
      dataBytes = Math.max(0, Math.min(declaredDataBytes, fileSize - body));
      if (format) break;
    }
    pos += Math.ceil(size / 8) * 8;
  }
  if (!format) fail('no fmt chunk (not a complete Wave64 file)');
  if (dataOffset < 0) fail('no data chunk (header only)');
  return { container: 'w64', littleEndian: true, format, dataOffset, dataBytes, declaredDataBytes, factFrames };
}

function ascii(bytes: Uint8Array, offset: number, length = 4): string {
  let s = '';
  for (let i = offset; i < offset + length && i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** A plausible chunk id: four printable ASCII characters. */
function looksLikeChunkId(bytes: Uint8Array, offset: number): boolean {
  if (offset + 8 > bytes.length) return false;
  for (let i = offset; i < offset + 4; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** Chunk ids we expect to meet; an exact match is the strongest evidence of a chunk boundary. */
const KNOWN_CHUNKS = new Set([
  'data',
  'fmt ',
  'fact',
  'LIST',
  'bext',
  'cue ',
  'smpl',
  'inst',
  'JUNK',
  'junk',
  'PAD ',
  'id3 ',
  'ID3 ',
  'iXML',
  'axml',
  'umid',
  'ds64',
  'labl',
  'plst',
  'regn',
  'PEAK',
  'minf',
  'elm1',
  'chna',
  'chrp',
  'acid',
  'strc',
  'cart',
  'afsp',
  'DISP',
  'FLLR',
  'filr',
]);

/** How much a position looks like the start of a chunk: 2 known id, 1 printable id, 0 neither. */
function chunkScore(bytes: Uint8Array, offset: number): number {
  if (!looksLikeChunkId(bytes, offset)) return 0;
  return KNOWN_CHUNKS.has(ascii(bytes, offset)) ? 2 : 1;
}

/** Error helper: every failure is a plain Error with a short cause; callers add the file name. */
function fail(cause: string): never {
  throw new Error(cause);
}

/**
 * Finds the format and the data of a WAV file held in memory.
 * Throws an Error with a one-line cause ("no fmt chunk", "unsupported codec ...") when it cannot.
 */
export function parseWavLayout(bytes: Uint8Array, fileSize = bytes.length): WavLayout {
  if (bytes.length < 12) fail(bytes.length === 0 ? 'empty file' : 'truncated: shorter than a WAV header');
  if (!isWav(bytes)) fail('not a WAV file');
  if (isW64(bytes)) return parseW64Layout(bytes, fileSize);
  const id = ascii(bytes, 0);
  const littleEndian = id !== 'RIFX';
  const container = id === 'RIFX' ? 'rifx' : id === 'RIFF' ? 'wav' : 'rf64';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (o: number) => view.getUint32(o, littleEndian);

  let format: WavFormat | undefined;
  let dataOffset = -1;
  let dataBytes = 0;
  let declaredDataBytes = 0;
  let factFrames: number | undefined;
  let ds64DataBytes: number | undefined;
  let ds64Frames: number | undefined;
  let overrun: string | undefined; // the first chunk that claims to run past the end of the file

  let pos = 12;
  while (pos + 8 <= bytes.length) {
    const chunkId = ascii(bytes, pos);
    let size = u32(pos + 4);
    const body = pos + 8;
    if (!overrun && chunkId !== 'data' && body + size > fileSize) {
      overrun = `truncated: the ${JSON.stringify(chunkId)} chunk declares ${size} bytes but only ${Math.max(0, fileSize - body)} remain`;
    }
    if (chunkId === 'ds64' && size >= 24 && body + 24 <= bytes.length) {
      ds64DataBytes = Number(view.getBigUint64(body + 8, true));
      ds64Frames = Number(view.getBigUint64(body + 16, true));
    } else if (chunkId === 'fmt ' && !format) {
      const available = Math.min(size, bytes.length - body);
      if (available < 16 && available < size) fail(overrun ?? 'truncated inside the fmt chunk');
      format = parseFmt(view, body, available, littleEndian);
    } else if (chunkId === 'fact' && size >= 4 && body + 4 <= bytes.length) {
      factFrames = u32(body);
    } else if (chunkId === 'data' && dataOffset < 0) {
      // 0xFFFFFFFF: an RF64 size held in ds64, or a streamed file that never came back to fill it in.
      if (size === 0xffffffff) size = ds64DataBytes ?? fileSize - body;
      dataOffset = body;
      declaredDataBytes = size;
      // A data size past the end of the file: read what is there.
      dataBytes = Math.max(0, Math.min(size, fileSize - body));
      if (format) break; // everything we need; anything after the data is ignored
    }
    // Next chunk: sizes are word-aligned, but some writers skip the pad byte; trust whichever lands on a chunk id.
    let next = body + size;
    if (size % 2 === 1) next += chunkScore(bytes, next) > chunkScore(bytes, next + 1) ? 0 : 1;
    if (next <= pos) break;
    pos = next;
  }

  if (!format) fail(overrun ?? 'no fmt chunk (not a complete WAV file)');
  if (dataOffset < 0) fail(overrun ?? 'no data chunk (header only)');
  if (factFrames === undefined && ds64Frames !== undefined && ds64Frames > 0) factFrames = ds64Frames;
  return { container, littleEndian, format, dataOffset, dataBytes, declaredDataBytes, factFrames };
}

function parseFmt(view: DataView, at: number, size: number, le: boolean): WavFormat {
  if (size < 14) fail(`fmt chunk too short (${size} bytes)`);
  let formatTag = view.getUint16(at, le);
  const channels = view.getUint16(at + 2, le);
  const sampleRate = view.getUint32(at + 4, le);
  const blockAlign = view.getUint16(at + 12, le);
  const bitsPerSample = size >= 16 ? view.getUint16(at + 14, le) : 8 * Math.floor(blockAlign / Math.max(1, channels));
  const cbSize = size >= 18 ? view.getUint16(at + 16, le) : 0;
  const fmt: WavFormat = { formatTag, channels, sampleRate, blockAlign, bitsPerSample };
  if (formatTag === FORMAT.extensible) {
    if (size < 40 || cbSize < 22) fail('WAVE_FORMAT_EXTENSIBLE fmt chunk too short');
    fmt.validBits = view.getUint16(at + 18, le);
    // The sub-format GUID begins with the ordinary format tag, as a 32-bit field in the file's byte order.
    formatTag = view.getUint32(at + 24, le) & 0xffff;
    fmt.formatTag = formatTag;
  }
  if (formatTag === FORMAT.imaAdpcm && size >= 20) fmt.samplesPerBlock = view.getUint16(at + 18, le);
  if (formatTag === FORMAT.msAdpcm) {
    const count = size >= 22 ? view.getUint16(at + 20, le) : 0;
    fmt.coefficients =
      count > 0 && size >= 22 + 4 * count
        ? Array.from({ length: count }, (_, i) => [view.getInt16(at + 22 + 4 * i, le), view.getInt16(at + 24 + 4 * i, le)])
        : MS_ADPCM_COEFFICIENTS.map(([a, b]) => [a, b]);
  }
  return fmt;
}

/** Codec name and bit depth for `info`. */
export function describeFormat(format: WavFormat): { codec: string; bitDepth?: number } {
  switch (format.formatTag) {
    case FORMAT.pcm:
      return { codec: 'pcm', bitDepth: format.validBits || format.bitsPerSample };
    case FORMAT.float:
      return { codec: 'float', bitDepth: format.bitsPerSample };
    case FORMAT.alaw:
      return { codec: 'alaw', bitDepth: 8 };
    case FORMAT.mulaw:
      return { codec: 'mulaw', bitDepth: 8 };
    case FORMAT.imaAdpcm:
      return { codec: 'ima-adpcm', bitDepth: 4 };
    case FORMAT.msAdpcm:
      return { codec: 'ms-adpcm', bitDepth: 4 };
    case FORMAT.gsm:
      return { codec: 'gsm' };
    default:
      return { codec: `0x${format.formatTag.toString(16).padStart(4, '0')}` };
  }
}

/** Bytes per sample of one channel, trusting blockAlign when it is consistent, else the bit depth. */
function containerBytes(format: WavFormat): number {
  const fromBits = Math.ceil(format.bitsPerSample / 8);
  const fromAlign = format.blockAlign / format.channels;
  if (Number.isInteger(fromAlign) && fromAlign >= fromBits && fromAlign <= 8 && fromAlign > 0) return fromAlign;
  return fromBits;
}

function checkFormat(format: WavFormat): void {
  const { formatTag, channels, sampleRate, bitsPerSample } = format;
  if (channels < 1 || channels > WAV_LIMITS.maxChannels) fail(`bad channel count ${channels} in fmt chunk`);
  if (sampleRate < 1 || sampleRate > WAV_LIMITS.maxSampleRate) fail(`bad sample rate ${sampleRate} in fmt chunk`);
  switch (formatTag) {
    case FORMAT.pcm:
      if (bitsPerSample < 1 || bitsPerSample > 64) fail(`unsupported PCM bit depth ${bitsPerSample}`);
      break;
    case FORMAT.float:
      if (containerBytes(format) !== 4 && containerBytes(format) !== 8) fail(`unsupported float bit depth ${bitsPerSample}`);
      break;
    case FORMAT.alaw:
    case FORMAT.mulaw:
      if (containerBytes(format) !== 1) fail(`unsupported ${formatTag === FORMAT.alaw ? 'A' : 'mu'}-law bit depth ${bitsPerSample}`);
      break;
    case FORMAT.imaAdpcm:
      if (bitsPerSample !== 4) fail(`unsupported IMA-ADPCM bit depth ${bitsPerSample}`);
      if (format.blockAlign < 4 * channels + 4 * channels) fail(`bad IMA-ADPCM block size ${format.blockAlign}`);
      break;
    case FORMAT.msAdpcm:
      if (bitsPerSample !== 4) fail(`unsupported MS ADPCM bit depth ${bitsPerSample}`);
      if (format.blockAlign < 7 * channels + channels) fail(`bad MS ADPCM block size ${format.blockAlign}`);
      if (channels > 2) fail(`unsupported MS ADPCM channel count ${channels}`);
      break;
    case FORMAT.gsm:
      if (channels !== 1) fail(`unsupported GSM 6.10 channel count ${channels}`);
      if (format.blockAlign !== GSM_WAV.blockBytes) fail(`unsupported GSM 6.10 block size ${format.blockAlign} (only ${GSM_WAV.blockBytes}-byte WAV49 blocks)`);
      break;
    default: {
      const name = FORMAT_NAMES[formatTag];
      fail(`unsupported codec: WAVE format 0x${formatTag.toString(16).padStart(4, '0')}${name ? ` (${name})` : ''}`);
    }
  }
}

/** Number of sample frames the data holds (what is present, not what the header promised). */
export function wavFrames(layout: WavLayout): number {
  const { format, dataBytes, factFrames } = layout;
  if (format.formatTag === FORMAT.imaAdpcm) {
    const perBlock = imaSamplesPerBlock(format);
    const blocks = Math.floor(dataBytes / format.blockAlign);
    const partial = dataBytes % format.blockAlign;
    let frames = blocks * perBlock;
    if (partial >= 4 * format.channels) frames += 1 + Math.floor((partial - 4 * format.channels) / (4 * format.channels)) * 8;
    return factFrames !== undefined && factFrames > 0 ? Math.min(frames, factFrames) : frames;
  }
  if (format.formatTag === FORMAT.msAdpcm) {
    const perBlock = msAdpcmSamplesPerBlock(format);
    const header = 7 * format.channels;
    const partial = dataBytes % format.blockAlign;
    let frames = Math.floor(dataBytes / format.blockAlign) * perBlock;
    if (partial >= header) frames += 2 + Math.floor(((partial - header) * 2) / format.channels);
    return factFrames !== undefined && factFrames > 0 ? Math.min(frames, factFrames) : frames;
  }
  if (format.formatTag === FORMAT.gsm) {
    const frames = Math.floor(dataBytes / GSM_WAV.blockBytes) * GSM_WAV.samplesPerBlock;
    return factFrames !== undefined && factFrames > 0 ? Math.min(frames, factFrames) : frames;
  }
  const frameBytes = containerBytes(format) * format.channels;
  return Math.floor(dataBytes / frameBytes);
}

function msAdpcmSamplesPerBlock(format: WavFormat): number {
  return ((format.blockAlign - 7 * format.channels) * 2) / format.channels + 2;
}

function imaSamplesPerBlock(format: WavFormat): number {
  const computed = ((format.blockAlign - 4 * format.channels) * 8) / (4 * format.channels) + 1;
  return computed;
}

/**
 * Header facts of a WAV file (no sample decoding). `bytes` may be only the head of the file when
 * `fileSize` gives the full size (the header must then lie within the head).
 */
export function wavInfo(bytes: Uint8Array, file = '', fileSize = bytes.length): AudioFileInfo {
  const layout = parseWavLayout(bytes, fileSize);
  checkFormat(layout.format);
  return layoutInfo(layout, file);
}

function layoutInfo(layout: WavLayout, file: string): AudioFileInfo {
  const frames = wavFrames(layout);
  const { codec, bitDepth } = describeFormat(layout.format);
  return {
    file,
    container: layout.container,
    codec,
    sampleRate: layout.format.sampleRate,
    channels: layout.format.channels,
    ...(bitDepth !== undefined ? { bitDepth } : {}),
    frames,
    duration: frames / layout.format.sampleRate,
    ...(layout.declaredDataBytes > layout.dataBytes && layout.dataBytes > 0 ? { warning: truncationWarning(layout, frames) } : {}),
  };
}

/** "truncated: header declares 10:00:00, file holds 1.000 s": the data chunk's claimed length against what is there. */
function truncationWarning(layout: WavLayout, frames: number): string {
  const seconds = frames / layout.format.sampleRate;
  const declared = (seconds * layout.declaredDataBytes) / layout.dataBytes;
  return `truncated: header declares ${formatLength(declared)}, file holds ${formatLength(seconds)}`;
}

/** Seconds as "0.122 s" below a minute, "1:02:03" (h:mm:ss) or "2:03" (m:ss) above. */
export function formatLength(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(3)} s`;
  const s = Math.round(seconds);
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  const two = (v: number) => String(v).padStart(2, '0');
  return h ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

/**
 * Decodes a WAV file held in memory to Float32 channels in [-1, 1].
 * Throws an Error whose message is a one-line cause; callers prefix the file name.
 *
 * @example
 * const { info, channels } = decodeWav(await fs.readFile('clip.wav'), 'clip.wav');
 */
export function decodeWav(bytes: Uint8Array, file = ''): DecodedAudio {
  const layout = parseWavLayout(bytes);
  const { format } = layout;
  checkFormat(format);
  const info = layoutInfo(layout, file);
  // A zero-length data chunk is a valid, empty file; a non-empty one with nothing present is truncated.
  if (info.frames === 0 && layout.declaredDataBytes > 0) {
    fail(
      `truncated: the data chunk declares ${layout.declaredDataBytes} bytes but ${layout.dataBytes ? `only ${layout.dataBytes} (less than one frame) are` : 'none are'} present`,
    );
  }
  if (info.frames * format.channels > WAV_LIMITS.maxSamples) {
    fail(`too large to decode at once (${info.frames} frames x ${format.channels} channels)`);
  }
  const data = new DataView(bytes.buffer, bytes.byteOffset + layout.dataOffset, layout.dataBytes);
  const channels: RepairedChannels = decodeWavFrames(layout, data, info.frames);
  return { info, channels, ...(channels.repaired ? { repaired: channels.repaired } : {}) };
}

/**
 * Decodes `frames` frames from sample data laid out as `layout` says (a whole data chunk, or for
 * frame-based codecs any run of whole frames: see `wavFrameBytes`).
 */
export function decodeWavFrames(layout: WavLayout, data: DataView, frames: number): Float32Array[] {
  const { format } = layout;
  switch (format.formatTag) {
    case FORMAT.pcm:
      return decodePcm(data, format, frames, layout.littleEndian);
    case FORMAT.float:
      return decodeFloat(data, format, frames, layout.littleEndian);
    case FORMAT.alaw:
    case FORMAT.mulaw:
      return decodeCompanded(data, format, frames, format.formatTag === FORMAT.alaw ? ALAW : MULAW);
    case FORMAT.msAdpcm:
      return decodeMsAdpcm(data, format, frames, layout.littleEndian);
    case FORMAT.gsm:
      return [decodeGsmWav(data, frames)];
    default:
      return decodeImaAdpcm(data, format, frames, layout.littleEndian);
  }
}

/**
 * Bytes per frame when the codec stores frames independently (PCM, float, A-law, mu-law), so any
 * range of frames can be read on its own; undefined for block codecs (IMA-ADPCM, MS ADPCM, GSM).
 * Note: PCM narrower than its container is justified by looking at the data it is given.
 */
export function wavFrameBytes(layout: WavLayout): number | undefined {
  const tag = layout.format.formatTag;
  if (tag === FORMAT.imaAdpcm || tag === FORMAT.msAdpcm || tag === FORMAT.gsm) return undefined;
  return containerBytes(layout.format) * layout.format.channels;
}

/** Checks that the format is one we decode (throws the same one-line causes as decodeWav). */
export function checkWavFormat(layout: WavLayout): void {
  checkFormat(layout.format);
}

function allocate(channels: number, frames: number): Float32Array[] {
  return Array.from({ length: channels }, () => new Float32Array(frames));
}

/**
 * Integer PCM: 8-bit is unsigned, wider is signed. A sample narrower than its byte container
 * (20 bits in 3 bytes) should be left-justified (low bits zero), but some writers (wavefile among
 * them) right-justify it; we look at the data to tell which.
 */
function decodePcm(data: DataView, format: WavFormat, frames: number, le: boolean): Float32Array[] {
  const nc = format.channels;
  const width = containerBytes(format);
  const out = allocate(nc, frames);
  const count = frames * nc;
  const validBits = Math.min(format.validBits || format.bitsPerSample, 8 * width);
  if (width === 1) {
    for (let f = 0, o = 0; f < frames; f++) for (let c = 0; c < nc; c++, o++) out[c]![f] = (data.getUint8(o) - 128) / 128;
    return out;
  }
  if (le && validBits === 8 * width && (width === 2 || width === 3 || width === 4)) return decodePcmFast(data, width, nc, frames, out);
  let read: (o: number) => number;
  if (width === 2) read = (o) => data.getInt16(o, le);
  else if (width === 4) read = (o) => data.getInt32(o, le);
  else {
    // 3, 5, 6, 7, 8 bytes: assemble from the most significant (signed) byte down; doubles keep
    // 53 bits, plenty for Float32, and starting from the sign keeps 2^63 - 1 from wrapping round.
    const msb = le ? width - 1 : 0;
    const dir = le ? -1 : 1;
    read = (o) => {
      let v = data.getInt8(o + msb);
      for (let b = 1; b < width; b++) v = v * 256 + data.getUint8(o + msb + dir * b);
      return v;
    };
  }
  const containerBits = 8 * width;
  if (validBits < containerBits && justification(read, count, width, validBits) === 'right') {
    // Keep the low `validBits` bits as a signed number; the padding above may be zeros or sign bits.
    const span = 2 ** validBits;
    const wrap = 2 ** containerBits;
    const scale = 2 ** (validBits - 1);
    for (let f = 0, o = 0; f < frames; f++) {
      for (let c = 0; c < nc; c++, o += width) {
        const v = read(o);
        let low = (v < 0 ? v + wrap : v) % span;
        if (low >= scale) low -= span;
        out[c]![f] = low / scale;
      }
    }
    return out;
  }
  const scale = 2 ** (containerBits - 1);
  for (let f = 0, o = 0; f < frames; f++) {
    for (let c = 0; c < nc; c++, o += width) out[c]![f] = read(o) / scale;
  }
  return out;
}

/** A typed-array view on the data when aligned, else on an aligned copy. */
function aligned<T extends Int16Array | Int32Array | Float32Array | Float64Array>(
  Type: { new (buffer: ArrayBufferLike, offset: number, length: number): T; BYTES_PER_ELEMENT: number },
  data: DataView,
  count: number,
): T {
  const bytes = count * Type.BYTES_PER_ELEMENT;
  if (data.byteOffset % Type.BYTES_PER_ELEMENT === 0) return new Type(data.buffer, data.byteOffset, count);
  const copy = new Uint8Array(bytes);
  copy.set(new Uint8Array(data.buffer, data.byteOffset, bytes));
  return new Type(copy.buffer, 0, count);
}

/** Little-endian 16/24/32-bit PCM, the common case: typed arrays instead of DataView calls (about 10x faster). */
function decodePcmFast(data: DataView, width: number, nc: number, frames: number, out: Float32Array[]): Float32Array[] {
  const count = frames * nc;
  if (width === 2 || width === 4) {
    const src = width === 2 ? aligned(Int16Array, data, count) : aligned(Int32Array, data, count);
    const scale = width === 2 ? 1 / 32768 : 1 / 2147483648;
    for (let c = 0; c < nc; c++) {
      const ch = out[c]!;
      for (let f = 0, i = c; f < frames; f++, i += nc) ch[f] = src[i]! * scale;
    }
    return out;
  }
  const bytes = new Uint8Array(data.buffer, data.byteOffset, count * 3);
  for (let c = 0; c < nc; c++) {
    const ch = out[c]!;
    for (let f = 0, o = 3 * c; f < frames; f++, o += 3 * nc) {
      // Assemble in the top 24 bits of an int32 so the sign comes for free.
      ch[f] = ((bytes[o]! << 8) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 24)) / 2147483648;
    }
  }
  return out;
}

/**
 * Where samples narrower than their container sit. Left-justified (the standard) leaves the low
 * padding bits zero; right-justified leaves the high padding bits all zero or all sign. When the
 * data fits both (silence) or neither, the standard wins.
 */
function justification(read: (o: number) => number, count: number, width: number, validBits: number): 'left' | 'right' {
  const padUnit = 2 ** (8 * width - validBits);
  const high = 2 ** (validBits - 1);
  let leftOk = true;
  let rightOk = true;
  for (let i = 0, o = 0; i < count && (leftOk || rightOk); i++, o += width) {
    const v = read(o);
    if (leftOk && v % padUnit !== 0) leftOk = false;
    // Right-justified with sign extension fits in validBits; with zero padding it is a non-negative value below 2 * high.
    if (rightOk && !(v >= -high && v < 2 * high)) rightOk = false;
  }
  return rightOk && !leftOk ? 'right' : 'left';
}

/**
 * IEEE float 32/64; NaN and infinities become 0 (not a full-scale click) and values are clipped to [-1, 1]. How
 * many samples were NaN or infinite is left in the result's `repaired` (see decodeWav).
 */
function decodeFloat(data: DataView, format: WavFormat, frames: number, le: boolean): RepairedChannels {
  const nc = format.channels;
  const width = containerBytes(format);
  const out: RepairedChannels = allocate(nc, frames);
  let repaired = 0;
  if (le) {
    const src = width === 4 ? aligned(Float32Array, data, frames * nc) : aligned(Float64Array, data, frames * nc);
    for (let c = 0; c < nc; c++) {
      const ch = out[c]!;
      for (let f = 0, i = c; f < frames; f++, i += nc) {
        const v = src[i]!;
        if (v >= -1 && v <= 1) ch[f] = v;
        else if (Number.isFinite(v)) ch[f] = v > 1 ? 1 : -1;
        else {
          ch[f] = 0;
          repaired++;
        }
      }
    }
  } else {
    for (let f = 0, o = 0; f < frames; f++) {
      for (let c = 0; c < nc; c++, o += width) {
        const v = width === 4 ? data.getFloat32(o, le) : data.getFloat64(o, le);
        if (!Number.isFinite(v)) repaired++;
        out[c]![f] = Number.isFinite(v) ? (v > 1 ? 1 : v < -1 ? -1 : v) : 0;
      }
    }
  }
  if (repaired) out.repaired = repaired;
  return out;
}

/** Decoded channels, with the count of NaN/infinite samples set to 0 when there were any. */
export type RepairedChannels = Float32Array[] & { repaired?: number };

/** G.711 A-law byte -> linear sample in [-1, 1] (13-bit magnitude). */
function alawToLinear(byte: number): number {
  const a = byte ^ 0x55;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  let magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  if (!(a & 0x80)) magnitude = -magnitude;
  return magnitude / 32768;
}

/** G.711 mu-law byte -> linear sample in [-1, 1] (14-bit magnitude). */
function mulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return (u & 0x80 ? -magnitude : magnitude) / 32768;
}

/** G.711 decoding tables: byte -> sample in [-1, 1] (shared with the AIFF reader). */
export const ALAW = Float32Array.from({ length: 256 }, (_, i) => alawToLinear(i));
export const MULAW = Float32Array.from({ length: 256 }, (_, i) => mulawToLinear(i));

function decodeCompanded(data: DataView, format: WavFormat, frames: number, table: Float32Array): Float32Array[] {
  const nc = format.channels;
  const out = allocate(nc, frames);
  for (let f = 0, o = 0; f < frames; f++) for (let c = 0; c < nc; c++, o++) out[c]![f] = table[data.getUint8(o)]!;
  return out;
}

const IMA_INDEX = [-1, -1, -1, -1, 2, 4, 6, 8, -1, -1, -1, -1, 2, 4, 6, 8];
const IMA_STEP = [
  7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25, 28, 31, 34, 37, 41, 45, 50, 55, 60, 66, 73, 80, 88, 97, 107, 118, 130, 143, 157, 173, 190, 209, 230, 253,
  279, 307, 337, 371, 408, 449, 494, 544, 598, 658, 724, 796, 876, 963, 1060, 1166, 1282, 1411, 1552, 1707, 1878, 2066, 2272, 2499, 2749, 3024, 3327, 3660,
  4026, 4428, 4871, 5358, 5894, 6484, 7132, 7845, 8630, 9493, 10442, 11487, 12635, 13899, 15289, 16818, 18500, 20350, 22385, 24623, 27086, 29794, 32767,
];

/**
 * IMA-ADPCM (Microsoft/DVI flavour): per block and channel a 4-byte header (first sample, step
 * index), then 4-byte words per channel in turn, each holding 8 nibbles low nibble first.
 */
function decodeImaAdpcm(data: DataView, format: WavFormat, frames: number, le: boolean): Float32Array[] {
  const nc = format.channels;
  const block = format.blockAlign;
  const perBlock = imaSamplesPerBlock(format);
  const out = allocate(nc, frames);
  for (let blockStart = 0, frame0 = 0; frame0 < frames && blockStart + 4 * nc <= data.byteLength; blockStart += block, frame0 += perBlock) {
    const blockEnd = Math.min(blockStart + block, data.byteLength);
    for (let c = 0; c < nc; c++) {
      const h = blockStart + 4 * c;
      let predictor = data.getInt16(h, le);
      let index = Math.min(88, data.getUint8(h + 2));
      const ch = out[c]!;
      ch[frame0] = predictor / 32768;
      let f = frame0 + 1;
      for (let word = blockStart + 4 * nc + 4 * c; word + 4 <= blockEnd && f < frames; word += 4 * nc) {
        for (let b = 0; b < 4; b++) {
          const byte = data.getUint8(word + b);
          for (const nibble of [byte & 0x0f, byte >> 4]) {
            if (f >= frames || f >= frame0 + perBlock) break;
            const step = IMA_STEP[index]!;
            let diff = step >> 3;
            if (nibble & 1) diff += step >> 2;
            if (nibble & 2) diff += step >> 1;
            if (nibble & 4) diff += step;
            predictor += nibble & 8 ? -diff : diff;
            predictor = predictor > 32767 ? 32767 : predictor < -32768 ? -32768 : predictor;
            index = Math.min(88, Math.max(0, index + IMA_INDEX[nibble]!));
            ch[f++] = predictor / 32768;
          }
        }
      }
    }
  }
  return out;
}

/** The seven standard MS ADPCM predictor coefficient pairs (x 256). */
const MS_ADPCM_COEFFICIENTS: readonly (readonly [number, number])[] = [
  [256, 0],
  [512, -256],
  [0, 0],
  [192, 64],
  [240, 0],
  [460, -208],
  [392, -232],
];
const MS_ADPCM_ADAPT = [230, 230, 230, 230, 307, 409, 512, 614, 768, 614, 512, 409, 307, 230, 230, 230];

/**
 * Microsoft ADPCM (WAVE format 0x0002), mono or stereo: per block and channel a header (predictor
 * index, step, the two previous samples, which are the block's first two samples, older first), then
 * nibbles high first, alternating channels in stereo.
 */
function decodeMsAdpcm(data: DataView, format: WavFormat, frames: number, le: boolean): Float32Array[] {
  const nc = format.channels;
  const block = format.blockAlign;
  const perBlock = msAdpcmSamplesPerBlock(format);
  const coefficients = format.coefficients ?? MS_ADPCM_COEFFICIENTS;
  const out = allocate(nc, frames);
  const c1 = new Array<number>(nc),
    c2 = new Array<number>(nc),
    delta = new Array<number>(nc);
  const s1 = new Array<number>(nc),
    s2 = new Array<number>(nc);
  for (let start = 0, frame0 = 0; frame0 < frames && start + 7 * nc <= data.byteLength; start += block, frame0 += perBlock) {
    for (let c = 0; c < nc; c++) {
      const pair = coefficients[Math.min(data.getUint8(start + c), coefficients.length - 1)]!;
      c1[c] = pair[0];
      c2[c] = pair[1];
      delta[c] = data.getInt16(start + nc + 2 * c, le);
      s1[c] = data.getInt16(start + 3 * nc + 2 * c, le);
      s2[c] = data.getInt16(start + 5 * nc + 2 * c, le);
      out[c]![frame0] = s2[c]! / 32768;
      if (frame0 + 1 < frames) out[c]![frame0 + 1] = s1[c]! / 32768;
    }
    const end = Math.min(start + block, data.byteLength);
    let f = frame0 + 2;
    let c = 0;
    for (let o = start + 7 * nc; o < end && f < frames && f < frame0 + perBlock; o++) {
      const byte = data.getUint8(o);
      for (const nibble of [byte >> 4, byte & 0x0f]) {
        const signed = nibble >= 8 ? nibble - 16 : nibble;
        const predicted = Math.floor((s1[c]! * c1[c]! + s2[c]! * c2[c]!) / 256);
        const sample = Math.max(-32768, Math.min(32767, predicted + signed * delta[c]!));
        s2[c] = s1[c]!;
        s1[c] = sample;
        delta[c] = Math.max(16, Math.floor((MS_ADPCM_ADAPT[nibble]! * delta[c]!) / 256));
        out[c]![f] = sample / 32768;
        if (++c === nc) {
          c = 0;
          if (++f >= frames || f >= frame0 + perBlock) break;
        }
      }
    }
  }
  return out;
}
