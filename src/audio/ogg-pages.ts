/**
 * Ogg pages read without decoding: the codec and format of the first logical stream (Vorbis or Opus), and the
 * last page's granule position, which gives the decoded length up front (Vorbis: the granule; Opus: the granule
 * less the pre-skip, at 48 kHz), as the whole-file decoders trim to it.
 */
import type { Samples } from '../units.ts';
import type { FileWindow } from './file-window.ts';

/** The first logical stream's identification header. */
export interface OggStreamInfo {
  codec: 'vorbis' | 'opus';
  /** Output rate: the Vorbis stream's rate, always 48000 for Opus. */
  sampleRate: number;
  channels: number;
  /** Opus pre-skip (samples at 48 kHz cut from the start); 0 for Vorbis. */
  preSkip: Samples;
  serial: number;
}

/** The longest Ogg page: 27 header bytes, 255 lacing values, 255 x 255 bytes of data. */
const MAX_PAGE_BYTES = 27 + 255 + 255 * 255;

/** Ogg's CRC-32 (polynomial 0x04c11db7, not reflected, initial 0). */
const CRC32 = Uint32Array.from({ length: 256 }, (_, i) => {
  let c = i << 24;
  for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
  return c >>> 0;
});

/** Length of a complete, CRC-checked page at `p` of `b`, or -1. */
export function pageLength(b: Uint8Array, p: number): number {
  if (p + 27 > b.length || b[p] !== 0x4f || b[p + 1] !== 0x67 || b[p + 2] !== 0x67 || b[p + 3] !== 0x53 || b[p + 4] !== 0) return -1;
  const segments = b[p + 26]!;
  let length = 27 + segments;
  if (p + length > b.length) return -1;
  for (let i = 0; i < segments; i++) length += b[p + 27 + i]!;
  if (p + length > b.length) return -1;
  let crc = 0;
  for (let i = 0; i < length; i++) {
    const byte = i >= 22 && i < 26 ? 0 : b[p + i]!; // the CRC field counts as zeros
    crc = (CRC32[((crc >>> 24) ^ byte) & 0xff]! ^ (crc << 8)) >>> 0;
  }
  const stored = (b[p + 22]! | (b[p + 23]! << 8) | (b[p + 24]! << 16) | (b[p + 25]! << 24)) >>> 0;
  return crc === stored ? length : -1;
}

/** The page's granule position (a 64-bit count, exact below 2^53), serial number and end-of-stream flag. */
function pageFields(b: Uint8Array, p: number): { granule: number; serial: number; last: boolean } {
  const v = new DataView(b.buffer, b.byteOffset + p, 27);
  return { granule: v.getUint32(6, true) + v.getInt32(10, true) * 2 ** 32, serial: v.getUint32(14, true), last: (b[p + 5]! & 4) !== 0 };
}

/** The identification header of the stream whose first page opens the file, or undefined when not Vorbis or Opus. */
export async function readOggStreamInfo(window: FileWindow): Promise<OggStreamInfo | undefined> {
  const head = new Uint8Array(await window.bytes(0, MAX_PAGE_BYTES));
  const length = pageLength(head, 0);
  if (length < 0 || !(head[5]! & 2)) return undefined;
  const packet = head.subarray(27 + head[26]!, length);
  const v = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const { serial } = pageFields(head, 0);
  const id = String.fromCharCode(...packet.subarray(0, 8));
  if (id === 'OpusHead' && packet.length >= 19) return { codec: 'opus', sampleRate: 48000, channels: packet[9]!, preSkip: v.getUint16(10, true), serial };
  if (id.startsWith('\x01vorbis') && packet.length >= 30)
    return { codec: 'vorbis', sampleRate: v.getUint32(12, true), channels: packet[11]!, preSkip: 0, serial };
  return undefined;
}

/**
 * Samples per channel the whole-file decoder gives, from the last page's granule position, or undefined when the
 * file does not end with the first stream's end-of-stream page (cut short, chained streams, trailing junk): the
 * caller then counts by decoding.
 */
export async function oggLength(window: FileWindow, stream: OggStreamInfo): Promise<Samples | undefined> {
  const span = Math.min(window.size, MAX_PAGE_BYTES);
  const tail = new Uint8Array(await window.bytes(window.size - span, span));
  for (let p = tail.length - 27; p >= 0; p--) {
    const length = pageLength(tail, p);
    if (length < 0) continue;
    if (p + length !== tail.length) return undefined; // bytes after the last page
    const { granule, serial, last } = pageFields(tail, p);
    return last && serial === stream.serial && granule >= stream.preSkip ? granule - stream.preSkip : undefined;
  }
  return undefined;
}
