/**
 * MPEG audio (mp3) frame headers, read without decoding: how many samples the whole-file decoder (mpg123, through
 * `@audio/decode-mp3`) gives for a file, so a streamed mp3 knows its length up front. mpg123 does not output the
 * Xing/Info frame, and with a LAME tag it cuts the encoder delay and padding (gapless playback); without one,
 * every frame is output whole. Only complete frames decode: a truncated last frame gives nothing.
 */
import type { Samples } from '../units.ts';
import type { FileWindow } from './file-window.ts';

/** One frame header. */
export interface MpegHeader {
  /** 1, 2 or 2.5 (MPEG-2.5). */
  version: number;
  layer: 1 | 2 | 3;
  sampleRate: number;
  /** 1 for mono, 2 for the stereo modes. */
  channels: 1 | 2;
  /** Frame length in bytes, header included. */
  bytes: number;
  /** Samples per channel the frame decodes to. */
  samples: Samples;
  /** A 16-bit CRC follows the header. */
  protected: boolean;
}

/** Kilobits per second by bitrate index: MPEG-1 layers I-III, then MPEG-2/2.5 layer I and layers II-III. */
const BITRATES = {
  v1: [
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  ],
  v2: [
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  ],
};
const SAMPLE_RATES: Record<number, number[]> = { 1: [44100, 48000, 32000], 2: [22050, 24000, 16000], 2.5: [11025, 12000, 8000] };

/** mpg123's decoder delay, which gapless trimming adds to the LAME tag's encoder delay and padding. */
const GAPLESS_DELAY = 529;

/**
 * Audio frames between seek points. mpg123's synthesis filter keeps a ring of 16 positions that advances once per
 * 32 output samples, and its rounding depends on where the ring stands; a decoder started on a frame whose index
 * is a multiple of 16 stands where the whole-file decoder stood there, so after its pre-roll its samples are the
 * whole decode's, bit for bit. Measured on MPEG-1 layer III (32-48 kHz; mono and stereo, CBR 32-320 kbit/s and
 * VBR, with and without an Info tag: ~900 random seeks, all exact). MPEG-2/2.5 mono files came out a rounding off
 * (1e-7) after most seeks, whatever the start frame, so those are only decoded forward (`mp3Seekable`).
 */
export const MP3_SEEK_STEP = 16;
/**
 * Frames decoded and thrown away after a seek before samples count: the bit reservoir reaches back at most 511
 * bytes (up to ~20 frames at 8 kbit/s) and the overlap-add one frame; measured exact after 3 frames at 128 kbit/s.
 */
export const MP3_PREROLL_FRAMES = 32;

/**
 * The frame header at `at`, or undefined when there is none: no sync, a reserved field, or free format (no
 * bitrate, so no frame length), which the scan does not follow.
 */
export function parseMpegHeader(b: Uint8Array, at: number): MpegHeader | undefined {
  if (at + 4 > b.length || b[at] !== 0xff || (b[at + 1]! & 0xe0) !== 0xe0) return undefined;
  const versionBits = (b[at + 1]! >> 3) & 3;
  const layerBits = (b[at + 1]! >> 1) & 3;
  const bitrateIndex = b[at + 2]! >> 4;
  const rateIndex = (b[at + 2]! >> 2) & 3;
  if (versionBits === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3 || (b[at + 3]! & 3) === 2) return undefined;
  const version = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 2.5;
  const layer = (4 - layerBits) as 1 | 2 | 3;
  const kbps = (version === 1 ? BITRATES.v1 : BITRATES.v2)[layer - 1]![bitrateIndex]!;
  const sampleRate = SAMPLE_RATES[version]![rateIndex]!;
  const padding = (b[at + 2]! >> 1) & 1;
  const samples = layer === 1 ? 384 : layer === 3 && version !== 1 ? 576 : 1152;
  const bytes = layer === 1 ? (Math.floor((12_000 * kbps) / sampleRate) + padding) * 4 : Math.floor((samples * 125 * kbps) / sampleRate) + padding;
  return { version, layer, sampleRate, channels: b[at + 3]! >> 6 === 3 ? 1 : 2, bytes, samples, protected: (b[at + 1]! & 1) === 0 };
}

/** What an Xing/Info frame says: the audio frames after it and, from a LAME tag, the samples to cut. */
export interface XingTag {
  frames?: number;
  /** Encoder delay and padding (samples), from a LAME tag. */
  gapless?: { delay: Samples; padding: Samples };
}

/** Whether a decoder may start at a seek point of a file whose first audio frame has this header: MPEG-1 layer III. */
export function mp3Seekable(h: MpegHeader): boolean {
  return h.version === 1 && h.layer === 3;
}

/** Bytes of side information after a layer III header, before an Xing tag. */
function sideInfoBytes(h: MpegHeader): number {
  return h.version === 1 ? (h.channels === 2 ? 32 : 17) : h.channels === 2 ? 17 : 9;
}

/** The Xing/Info tag of a layer III frame `frame` (its bytes, header first), or undefined for an audio frame. */
export function parseXingTag(frame: Uint8Array, h: MpegHeader): XingTag | undefined {
  if (h.layer !== 3) return undefined;
  let p = 4 + (h.protected ? 2 : 0) + sideInfoBytes(h);
  const id = String.fromCharCode(...frame.subarray(p, p + 4));
  if ((id !== 'Xing' && id !== 'Info') || p + 8 > frame.length) return undefined;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const flags = view.getUint32(p + 4);
  p += 8;
  const tag: XingTag = {};
  if (flags & 1) {
    tag.frames = view.getUint32(p);
    p += 4;
  }
  p += (flags & 2 ? 4 : 0) + (flags & 4 ? 100 : 0) + (flags & 8 ? 4 : 0);
  // The LAME tag: 9 bytes of encoder name, then 12 bits of delay and 12 of padding 21 bytes in.
  if (tag.frames !== undefined && p + 24 <= frame.length && frame[p] !== 0) {
    tag.gapless = { delay: (frame[p + 21]! << 4) | (frame[p + 22]! >> 4), padding: ((frame[p + 22]! & 15) << 8) | frame[p + 23]! };
  }
  return tag;
}

/** An mp3 file's layout: the first frame's format and the length of its decode. */
export interface Mp3Layout {
  /** The first audio frame's header (rate, channels). */
  header: MpegHeader;
  /** Complete audio frames (the Xing/Info frame not counted). */
  frames: number;
  /** Samples per channel the whole-file decoder gives. */
  length: Samples;
  /** Bytes skipped between frames that held no frame header (junk, a damaged frame): the length is then a guess. */
  skipped: number;
  /** Byte offset of audio frame `k * MP3_SEEK_STEP`, for k = 0, 1, ... (8 bytes per 16 frames: 0.2 MB per hour). */
  seekTable: Float64Array;
  /** Samples the whole-file decoder cuts from the start (gapless: encoder delay + decoder delay), else 0. */
  begin: Samples;
}

/** Bytes of ID3v2 tags at `at` (several may follow one another), 0 when none. */
async function id3v2Bytes(window: FileWindow, at: number): Promise<number> {
  let pos = at;
  for (;;) {
    const b = await window.bytes(pos, 10);
    if (b.length < 10 || b[0] !== 0x49 || b[1] !== 0x44 || b[2] !== 0x33) return pos - at;
    pos += 10 + ((b[6]! & 0x7f) << 21) + ((b[7]! & 0x7f) << 14) + ((b[8]! & 0x7f) << 7) + (b[9]! & 0x7f) + (b[5]! & 0x10 ? 10 : 0);
  }
}

/** Bytes from `at` at which a frame follows one more of the same kind (not a stray sync pattern), scanning up to `limit` bytes. */
async function resync(window: FileWindow, at: number, like: MpegHeader | undefined, limit: number): Promise<number | undefined> {
  for (let pos = at; pos < Math.min(window.size, at + limit); pos++) {
    const h = parseMpegHeader(await window.bytes(pos, 4), 0);
    if (!h || (like && (h.sampleRate !== like.sampleRate || h.layer !== like.layer))) continue;
    if (pos + h.bytes >= window.size) return pos; // the last frame
    const next = parseMpegHeader(await window.bytes(pos + h.bytes, 4), 0);
    if (next && next.sampleRate === h.sampleRate && next.layer === h.layer) return pos;
  }
  return undefined;
}

/** Bytes scanned for the first frame past any ID3v2 tag, and for the next after a damaged one. */
const RESYNC_BYTES = 1 << 16;

/**
 * Walks an mp3 file frame header to frame header (reading a few bytes per frame, no decoding) and works out the
 * length of its whole-file decode. Undefined when no frame is found near the start (the caller decodes whole and
 * reports what that finds).
 *
 * @example
 * const layout = await scanMp3(new FileWindow(handle, size)); // layout.length: samples per channel
 */
export async function scanMp3(window: FileWindow): Promise<Mp3Layout | undefined> {
  const start = await firstFrame(window);
  if (start === undefined) return undefined;
  const first = parseMpegHeader(await window.bytes(start, 4), 0)!;
  const xing = parseXingTag(new Uint8Array(await window.bytes(start, first.bytes)), first);
  let pos = xing ? start + first.bytes : start;
  let frames = 0;
  let skipped = 0;
  let header: MpegHeader | undefined;
  const seeks = new SeekTable();
  while (pos < window.size) {
    let h = parseMpegHeader(await window.bytes(pos, 4), 0);
    if (!h) {
      if (isTrailingTag(await window.bytes(pos, 8))) break;
      const next = await resync(window, pos + 1, header ?? first, RESYNC_BYTES);
      if (next === undefined) break;
      skipped += next - pos;
      pos = next;
      h = parseMpegHeader(await window.bytes(pos, 4), 0)!;
    }
    if (pos + h.bytes > window.size) break; // a truncated last frame decodes to nothing
    header ??= h;
    if (frames % MP3_SEEK_STEP === 0) seeks.add(pos);
    frames++;
    pos += h.bytes;
  }
  if (!header) return undefined;
  const { begin, end } = gaplessSpan(frames, header.samples, xing);
  return { header, frames, length: Math.max(0, end - begin), skipped, seekTable: seeks.done(), begin };
}

/** A growing list of byte offsets. */
class SeekTable {
  private offsets = new Float64Array(1024);
  private count = 0;

  add(offset: number): void {
    if (this.count === this.offsets.length) {
      const grown = new Float64Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.offsets[this.count++] = offset;
  }

  done(): Float64Array {
    return this.offsets.slice(0, this.count);
  }
}

/** Byte of the first frame past any ID3v2 tags, or undefined when none lies near. */
async function firstFrame(window: FileWindow): Promise<number | undefined> {
  return resync(window, await id3v2Bytes(window, 0), undefined, RESYNC_BYTES);
}

/** The header of an mp3 file's first frame (without scanning the rest), or undefined when none is found. */
export async function firstMp3Header(window: FileWindow): Promise<MpegHeader | undefined> {
  const start = await firstFrame(window);
  return start === undefined ? undefined : parseMpegHeader(await window.bytes(start, 4), 0);
}

/** ID3v1, APE or Lyrics3 tags after the last frame. */
function isTrailingTag(b: Uint8Array): boolean {
  const text = String.fromCharCode(...b);
  return text.startsWith('TAG') || text.startsWith('APETAGEX') || text.startsWith('LYRICS');
}

/**
 * The span [begin, end) of the frames' samples that mpg123 outputs: all of them, or with a LAME tag the span from
 * the encoder delay to the padding (both shifted by the decoder's delay), cut short where the file holds fewer frames.
 */
function gaplessSpan(frames: number, samplesPerFrame: Samples, xing: XingTag | undefined): { begin: Samples; end: Samples } {
  const total = frames * samplesPerFrame;
  if (!xing?.gapless || !xing.frames) return { begin: 0, end: total };
  const begin = xing.gapless.delay + GAPLESS_DELAY;
  const end = xing.frames * samplesPerFrame - xing.gapless.padding + GAPLESS_DELAY;
  return { begin, end: Math.min(end, total) };
}

/**
 * Where to start decoding so that sample `at` of the whole-file decode comes out exact: the byte of a seek point
 * at least `MP3_PREROLL_FRAMES` frames before it, the decoded samples to throw away there, and the whole-decode
 * index of the first sample kept. Undefined when no seek point lies far enough in (decode from the start).
 */
export function mp3SeekPoint(layout: Mp3Layout, at: Samples): { byte: number; discard: Samples; first: Samples } | undefined {
  const spf = layout.header.samples;
  const frame = Math.floor((at + layout.begin) / spf);
  const k = Math.floor((frame - MP3_PREROLL_FRAMES) / MP3_SEEK_STEP);
  if (!mp3Seekable(layout.header) || layout.skipped || k < 1 || k >= layout.seekTable.length) return undefined;
  const discard = MP3_PREROLL_FRAMES * spf;
  return { byte: layout.seekTable[k]!, discard, first: k * MP3_SEEK_STEP * spf + discard - layout.begin };
}
