/**
 * FLAC frames read without decoding: the STREAMINFO block, and a frame splitter that cuts the stream exactly where
 * the whole-file decoder (`@audio/decode-flac`) cuts it (a frame ends where its CRC-16 checks and a valid frame
 * header follows), so frames fed one batch at a time decode to the same samples as the whole file.
 */
import type { Samples } from '../units.ts';
import type { FileWindow } from './file-window.ts';

/** What STREAMINFO says, and where the audio frames start. */
export interface FlacInfo {
  sampleRate: number;
  channels: number;
  bitDepth: number;
  /** Samples per channel; 0 when the encoder did not know. */
  total: Samples;
  /** Fixed block size (frame numbers count blocks of it), or 0 for a variable-block-size stream. */
  fixedBlock: Samples;
  /** Largest frame in bytes; 0 when unknown. */
  maxFrameBytes: number;
  /** Byte offset of the first frame (after the metadata blocks). */
  audioStart: number;
}

/** Longest frame header: sync, codes, a 7-byte coded number, explicit block size and rate, CRC-8. */
const MAX_HEADER_BYTES = 16;

/** CRC-16 (polynomial 0x8005) table, as FLAC frame footers use. */
const CRC16 = Uint16Array.from({ length: 256 }, (_, i) => {
  let c = i << 8;
  for (let k = 0; k < 8; k++) c = c & 0x8000 ? (c << 1) ^ 0x8005 : c << 1;
  return c & 0xffff;
});

/** Updates a CRC-16 with bytes `[from, to)` of `b`. */
export function crc16(b: Uint8Array, from: number, to: number, crc = 0): number {
  for (let i = from; i < to; i++) crc = CRC16[(crc >> 8) ^ b[i]!]! ^ ((crc << 8) & 0xffff);
  return crc;
}

/** Bytes of the coded frame/sample number after its first byte `c`. */
function codedNumberExtra(c: number): number {
  return c < 0x80 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : c < 0xf8 ? 3 : c < 0xfc ? 4 : c < 0xfe ? 5 : 6;
}

/**
 * Length of a valid frame header at `p` (CRC-8 checked), or -1: the test the whole-file decoder's splitter makes.
 * Needs `MAX_HEADER_BYTES` bytes from `p` to answer for certain.
 */
export function frameHeaderLength(b: Uint8Array, p: number): number {
  if (p + 5 > b.length || b[p] !== 0xff || (b[p + 1]! & 0xfe) !== 0xf8) return -1;
  const bs = b[p + 2]! >> 4;
  const sr = b[p + 2]! & 15;
  if (!bs || sr === 15 || b[p + 3]! >> 4 > 10 || b[p + 3]! & 1) return -1;
  const q = p + 5 + codedNumberExtra(b[p + 4]!) + (bs === 6 ? 1 : bs === 7 ? 2 : 0) + (sr === 12 ? 1 : sr === 13 || sr === 14 ? 2 : 0);
  if (q >= b.length) return -1;
  let crc = 0;
  for (let i = p; i < q; i++) {
    crc ^= b[i]!;
    for (let k = 0; k < 8; k++) crc = crc & 0x80 ? ((crc << 1) ^ 7) & 0xff : (crc << 1) & 0xff;
  }
  return crc === b[q] ? q - p + 1 : -1;
}

/** Samples per channel in the frame whose header starts `b`. */
export function frameSamples(b: Uint8Array): Samples {
  const bs = b[2]! >> 4;
  const q = 5 + codedNumberExtra(b[4]!);
  if (bs === 1) return 192;
  if (bs <= 5) return 576 << (bs - 2);
  if (bs === 6) return b[q]! + 1;
  if (bs === 7) return ((b[q]! << 8) | b[q + 1]!) + 1;
  return 256 << (bs - 8);
}

/** The frame's coded number: its frame index (fixed block size) or first sample (variable). */
function codedNumber(b: Uint8Array): number {
  const extra = codedNumberExtra(b[4]!);
  let value = extra ? b[4]! & (0x3f >> extra) : b[4]!;
  for (let i = 0; i < extra; i++) value = value * 64 + (b[5 + i]! & 0x3f);
  return value;
}

/** STREAMINFO and the metadata's length, or undefined when `window` does not hold a native FLAC stream. */
export async function readFlacInfo(window: FileWindow): Promise<FlacInfo | undefined> {
  const head = await window.bytes(0, 42);
  if (head.length < 42 || String.fromCharCode(...head.subarray(0, 4)) !== 'fLaC' || (head[4]! & 0x7f) !== 0) return undefined;
  const s = new DataView(head.buffer, head.byteOffset + 8, 34);
  const info = {
    fixedBlock: s.getUint16(0) === s.getUint16(2) ? s.getUint16(0) : 0,
    maxFrameBytes: (s.getUint8(7) << 16) | s.getUint16(8),
    sampleRate: (s.getUint16(10) << 4) | (s.getUint8(12) >> 4),
    channels: ((s.getUint8(12) >> 1) & 7) + 1,
    bitDepth: (((s.getUint8(12) & 1) << 4) | (s.getUint8(13) >> 4)) + 1,
    total: (s.getUint8(13) & 15) * 2 ** 32 + s.getUint32(14),
  };
  let at = 4;
  for (;;) {
    const block = await window.bytes(at, 4);
    if (block.length < 4) return undefined;
    at += 4 + ((block[1]! << 16) | (block[2]! << 8) | block[3]!);
    if (block[0]! & 0x80) break;
  }
  return at > window.size ? undefined : { ...info, audioStart: at };
}

/**
 * Whether the file ends with a complete frame that ends at sample `info.total`: then STREAMINFO's total is what
 * decoding gives (a file cut short, or grown, fails this).
 */
export async function endsAtTotal(window: FileWindow, info: FlacInfo): Promise<boolean> {
  if (!info.total) return false;
  const span = Math.min(window.size - info.audioStart, Math.max(1 << 16, 2 * info.maxFrameBytes + MAX_HEADER_BYTES));
  const tail = new Uint8Array(await window.bytes(window.size - span, span));
  for (let p = tail.length - MAX_HEADER_BYTES; p >= 0; p--) {
    if (frameHeaderLength(tail, p) < 0 || crc16(tail, p, tail.length) !== 0) continue;
    const frame = tail.subarray(p);
    const variable = (frame[1]! & 1) === 1;
    if (!variable && !info.fixedBlock) return false;
    return (variable ? codedNumber(frame) : codedNumber(frame) * info.fixedBlock) + frameSamples(frame) === info.total;
  }
  return false;
}

/** A stream whose frame never ends (no checked boundary in this many bytes) is corrupt. */
export function maxPendingBytes(info: FlacInfo): number {
  return Math.max(4 << 20, 2 * info.maxFrameBytes);
}

/**
 * Cuts FLAC audio bytes (from `FlacInfo.audioStart` on, fed in any pieces) into frames as the whole-file decoder
 * does: from the first valid header, a frame ends where the bytes so far pass their CRC-16 and a valid header
 * follows; the last frame counts only if its CRC-16 passes. A boundary is decided only once the header bytes
 * after it are all in, so the cut does not depend on how the input was split.
 *
 * @example
 * const split = new FlacFrameSplitter(4 << 20);
 * for (const chunk of chunks) decode(split.push(chunk));
 * decode(split.end());
 */
export class FlacFrameSplitter {
  private buf: Uint8Array = new Uint8Array(0);
  private start = -1;
  private scan = 0;
  private crc = 0;
  /** Bytes dropped before `buf` (for error positions). */
  private consumed = 0;

  /** @param maxPending bytes a frame may reach before `push` throws (a corrupt stream). */
  constructor(private readonly maxPending: number) {}

  /** The frames completed by `chunk`. @throws Error when a frame grows past `maxPending` bytes. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.buf = this.buf.length ? concat(this.buf, chunk) : chunk;
    const frames = this.frames(false);
    if (this.buf.length - Math.max(0, this.start) > this.maxPending) {
      throw new Error(`corrupt stream: no valid frame boundary in ${this.maxPending} bytes from byte ${this.consumed + Math.max(0, this.start)}`);
    }
    return frames;
  }

  /** The last frame, if its CRC passes. */
  end(): Uint8Array[] {
    return this.frames(true);
  }

  private frames(end: boolean): Uint8Array[] {
    const out: Uint8Array[] = [];
    const b = this.buf;
    const limit = end ? b.length : b.length - MAX_HEADER_BYTES;
    if (this.start < 0) {
      let p = 0;
      while (p < limit && p + 1 < b.length && frameHeaderLength(b, p) < 0) p++;
      if (frameHeaderLength(b, p) < 0 || (!end && p >= limit)) return this.keep(p, out);
      this.start = this.scan = p;
      this.crc = 0;
    }
    for (;;) {
      let next = -1;
      let { scan, crc } = this;
      for (; scan < limit; scan++) {
        if (scan > this.start + 3 && crc === 0 && b[scan] === 0xff && (b[scan + 1]! & 0xfe) === 0xf8 && frameHeaderLength(b, scan) > 0) {
          next = scan;
          break;
        }
        crc = CRC16[(crc >> 8) ^ b[scan]!]! ^ ((crc << 8) & 0xffff);
      }
      this.scan = scan;
      this.crc = crc;
      if (next < 0) {
        if (end && this.start < b.length && crc === 0) out.push(b.subarray(this.start));
        if (end) this.start = this.scan = b.length;
        break;
      }
      out.push(b.subarray(this.start, next));
      this.start = next;
      this.crc = 0;
    }
    return this.keep(this.start, out);
  }

  /** Drops the bytes before `from` (frames handed out keep their own views). */
  private keep(from: number, out: Uint8Array[]): Uint8Array[] {
    const at = Math.max(0, Math.min(from, this.buf.length));
    this.buf = this.buf.subarray(at);
    this.consumed += at;
    if (this.start >= 0) {
      this.start -= at;
      this.scan -= at;
    }
    return out;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
