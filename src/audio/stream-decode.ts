/**
 * Streaming decode of compressed files: mp3 (frame by frame), FLAC, Ogg Vorbis and Ogg Opus are read a chunk of
 * the file at a time and fed to the same decoders `decodeAudio` uses, so the samples are the whole-file decode's,
 * bit for bit, while memory stays a block and a look-back whatever the file's length (a whole-file decode holds
 * about 2 GB per hour of 44.1 kHz stereo).
 *
 * The length is known up front without decoding: mp3 from a scan of its frame headers (with the LAME tag's
 * gapless trimming), FLAC from STREAMINFO (checked against the last frame), Ogg from the last page's granule
 * position. Where those do not settle it (a damaged or cut file, chained Ogg streams) the file is decoded once,
 * counting only.
 *
 * Decoding runs forward: a read may step back `lookBack` frames behind the latest read's start (more than any
 * resampling filter reaches). An mp3 also seeks: a read further back, or far ahead, starts a fresh decoder on a
 * seek point a little before it (`mp3SeekPoint`), whose samples after the pre-roll are the whole decode's, bit
 * for bit. FLAC and Ogg restart from the start of the file instead, which is correct but costs a decode of
 * everything before the read. Reading blocks in order (`readBlocks`, preprocessing) never does either.
 *
 * Known differences from `decodeAudio`, both on damaged or odd files only:
 * - a stereo mp3 whose two channels are equal at every 37th sample decodes whole to one channel (audio-decode
 *   drops a duplicated channel); streamed it keeps two equal channels, which mix to the same mono signal;
 * - a damaged FLAC frame (failing its CRC) makes the whole-file decoder silently drop the rest of the file; the
 *   stream fails with an error naming the file when it reaches the missing part (or the byte, past 4 MiB of it).
 */
import { promises as fs } from 'node:fs';
import { fileError, UserError } from '../errors.ts';
import type { Samples } from '../units.ts';
import { codecOf, decoderError, sanitise, sniffContainer } from './decode.ts';
import { FileWindow } from './file-window.ts';
import { endsAtTotal, FlacFrameSplitter, maxPendingBytes, readFlacInfo } from './flac-frames.ts';
import { firstMp3Header, MP3_PREROLL_FRAMES, mp3SeekPoint, mp3Seekable, scanMp3 } from './mp3-frames.ts';
import { oggLength, readOggStreamInfo } from './ogg-pages.ts';
import type { AudioFileInfo, AudioReader } from './types.ts';

export interface StreamOptions {
  /** File bytes fed to the decoder at once. Default 64 KiB. */
  chunkBytes: number;
  /** Decoded frames kept before the latest read's start, so a read may step back this far without restarting. Default 65536. */
  lookBack: Samples;
  /** Files smaller than this are decoded whole, as before (they are small anyway). Default 1 MiB; 0 streams every file. */
  minBytes: number;
}

export const DEFAULT_STREAM: StreamOptions = { chunkBytes: 1 << 16, lookBack: 1 << 16, minBytes: 1 << 20 };

/** A decoder run over a file's bytes from where its audio starts. */
interface Codec {
  /** Decoded frames for the next bytes of the file: one array per channel (empty while the decoder waits for more). */
  decode(bytes: Uint8Array): Promise<Float32Array[]>;
  /** What the decoder still holds at the end of the file. */
  flush(): Promise<Float32Array[]>;
  free(): void;
}

/** What the decoder packages return. */
interface RawResult {
  channelData: Float32Array[];
  samplesDecoded?: number;
}

/** What a header probe finds. */
interface StreamPlan {
  container: string;
  sampleRate: number;
  channels: number;
  /** Samples per channel the whole-file decode gives; undefined when only decoding can tell. */
  length: Samples | undefined;
  /** Byte where the decoder's input starts. */
  startByte: number;
  codec(): Promise<Codec>;
  /** Where a decoder may start so that sample `at` comes out exact (see `mp3SeekPoint`); absent: only from the start. */
  seek?(at: Samples): SeekPoint | undefined;
  /** Reads at least this far ahead of the decoder seek rather than decode the samples between. */
  seekAhead?: Samples;
}

/** A decoder started at `byte` gives the whole decode's samples from `first` on, after `discard` samples of pre-roll. */
interface SeekPoint {
  byte: number;
  discard: Samples;
  first: Samples;
}

/**
 * The decoded frames of a result, `channels` arrays cut to `samplesDecoded` (as audio-decode does); a decoder that
 * gives one array for a mono file gives it once.
 */
function framesOf(result: RawResult | undefined, channels: number): Float32Array[] {
  const data = result?.channelData ?? [];
  const n = Math.min(result?.samplesDecoded ?? Infinity, data[0]?.length ?? 0);
  return n > 0 ? Array.from({ length: channels }, (_, k) => data[k]!.subarray(0, n)) : [];
}

/** mpg123 (`@audio/decode-mp3`), fed any pieces of the stream; it always gives two channels, the same two for mono. */
async function mp3Codec(channels: number): Promise<Codec> {
  const { decoder } = await import('@audio/decode-mp3');
  const dec = (await decoder()) as unknown as { decode(b: Uint8Array): RawResult; free(): void };
  return { decode: async (b) => framesOf(dec.decode(b), channels), flush: async () => [], free: () => dec.free() };
}

/** libFLAC (`@audio/decode-flac`), fed whole frames as the whole-file decode cuts them. */
async function flacCodec(channels: number, maxPending: number): Promise<Codec> {
  const { decoder } = await import('@audio/decode-flac');
  const dec = (await decoder()) as unknown as { decodeFrames(frames: Uint8Array[]): Promise<RawResult>; free(): void };
  const split = new FlacFrameSplitter(maxPending);
  const run = async (frames: Uint8Array[]) => (frames.length ? framesOf(await dec.decodeFrames(frames), channels) : []);
  return { decode: (b) => run(split.push(b)), flush: () => run(split.end()), free: () => dec.free() };
}

/** The Ogg Vorbis or Opus decoder, fed any pieces of the stream (it gathers whole pages itself). */
async function oggCodec(codec: 'vorbis' | 'opus', channels: number): Promise<Codec> {
  const { decoder } = codec === 'opus' ? await import('@audio/decode-opus') : await import('@audio/decode-vorbis');
  const dec = (await decoder()) as unknown as { decode(b: Uint8Array): RawResult; flush(): RawResult; free(): void };
  return { decode: async (b) => framesOf(dec.decode(b), channels), flush: async () => framesOf(dec.flush(), channels), free: () => dec.free() };
}

async function planMp3(window: FileWindow): Promise<StreamPlan | undefined> {
  const layout = await scanMp3(window);
  if (!layout) return undefined;
  const { sampleRate, channels } = layout.header;
  // Bytes skipped between frames: mpg123's resync may differ from ours, so count by decoding, and never seek.
  const codec = () => mp3Codec(channels);
  if (layout.skipped) return { container: 'mp3', sampleRate, channels, length: undefined, startByte: 0, codec };
  // Seeking pays for a pre-roll and a fresh decoder: worth it past a few pre-rolls of samples.
  const seekAhead = 4 * MP3_PREROLL_FRAMES * layout.header.samples;
  return { container: 'mp3', sampleRate, channels, length: layout.length, startByte: 0, codec, seek: (at) => mp3SeekPoint(layout, at), seekAhead };
}

async function planFlac(window: FileWindow): Promise<StreamPlan | undefined> {
  const info = await readFlacInfo(window);
  if (!info) return undefined; // Ogg FLAC: decoded whole
  const length = (await endsAtTotal(window, info)) ? info.total : undefined;
  const { sampleRate, channels, audioStart } = info;
  return { container: 'flac', sampleRate, channels, length, startByte: audioStart, codec: () => flacCodec(channels, maxPendingBytes(info)) };
}

async function planOgg(window: FileWindow): Promise<StreamPlan | undefined> {
  const stream = await readOggStreamInfo(window);
  if (!stream) return undefined;
  const { codec, sampleRate, channels } = stream;
  const length = await oggLength(window, stream);
  return { container: codec === 'opus' ? 'opus' : 'ogg', sampleRate, channels, length, startByte: 0, codec: () => oggCodec(codec, channels) };
}

/** The plan for a file that streams, or undefined (another format: the caller decodes it whole). */
async function planStream(window: FileWindow): Promise<StreamPlan | undefined> {
  const container = sniffContainer(new Uint8Array(await window.bytes(0, 512)));
  if (container === 'mp3') return planMp3(window);
  if (container === 'flac') return planFlac(window);
  if (container === 'ogg' || container === 'opus') return planOgg(window);
  return undefined;
}

/**
 * Whether a file is one `openStreamedAudio` decodes forward only (native FLAC, Ogg Vorbis or Opus, MPEG-2/2.5 mp3):
 * such a file cannot be cut into shares that each decode only their own range. An MPEG-1 mp3 seeks, so it can.
 */
export async function isForwardOnly(file: string): Promise<boolean> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    return false;
  }
  try {
    const window = new FileWindow(handle, (await handle.stat()).size, 1 << 16);
    const bytes = await window.bytes(0, 512);
    const container = sniffContainer(bytes);
    if (container === 'mp3') {
      const header = await firstMp3Header(window);
      return header !== undefined && !mp3Seekable(header);
    }
    return container === 'ogg' || container === 'opus' || (container === 'flac' && bytes[0] === 0x66);
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}

/**
 * Runs a plan's decoder over the file from its start, or from a seek point (throwing its pre-roll away), handing
 * out each decoded piece sanitised as `decodeAudio` does.
 */
class ForwardDecoder {
  private codec: Codec | undefined;
  private pos: number;
  /** Pre-roll samples still to throw away. */
  private discard: Samples;
  ended = false;

  constructor(
    private readonly handle: fs.FileHandle,
    private readonly size: number,
    private readonly plan: StreamPlan,
    private readonly file: string,
    private readonly chunkBytes: number,
    from?: SeekPoint,
  ) {
    this.pos = from?.byte ?? plan.startByte;
    this.discard = from?.discard ?? 0;
  }

  /** The next decoded piece (one array per channel, maybe empty); `ended` is set after the last. */
  async next(): Promise<Float32Array[]> {
    const frames = await this.decodeNext();
    if (this.discard === 0 || frames.length === 0) return frames;
    const drop = Math.min(this.discard, frames[0]!.length);
    this.discard -= drop;
    return frames.map((c) => c.subarray(drop));
  }

  private async decodeNext(): Promise<Float32Array[]> {
    this.codec ??= await this.plan.codec();
    let frames: Float32Array[];
    try {
      if (this.pos < this.size) {
        const bytes = new Uint8Array(Math.min(this.chunkBytes, this.size - this.pos));
        const { bytesRead } = await this.handle.read(bytes, 0, bytes.length, this.pos);
        if (bytesRead === 0) throw new Error(`file shrank while being read (at byte ${this.pos})`);
        this.pos += bytesRead;
        frames = await this.codec.decode(bytes.subarray(0, bytesRead));
      } else {
        frames = await this.codec.flush();
        this.ended = true;
      }
    } catch (err) {
      throw err instanceof UserError ? err : decoderError(this.file, this.plan.container, err);
    }
    sanitise(frames);
    return frames;
  }

  free(): void {
    this.codec?.free();
    this.codec = undefined;
  }
}

/** Samples per channel a file decodes to, by decoding it once and keeping nothing. */
async function countByDecoding(decoder: ForwardDecoder): Promise<Samples> {
  let frames = 0;
  try {
    while (!decoder.ended) frames += (await decoder.next())[0]?.length ?? 0;
  } finally {
    decoder.free();
  }
  return frames;
}

/** How a reader gets decoders: from the start of the file or a seek point, and where it may seek to. */
interface Decoding {
  make(from?: SeekPoint): ForwardDecoder;
  seek?(at: Samples): SeekPoint | undefined;
  /** Reads at least this far ahead of the decoder seek (when `seek` gives a point) rather than decode up to them. */
  seekAhead: Samples;
}

/**
 * An `AudioReader` over a forward decoder, keeping the decoded pieces from `lookBack` frames before the latest
 * read on. A read further back, or more than `seekAhead` frames ahead, starts a decoder at a seek point before it
 * (mp3, counted in `seeks`); without one, a read further back restarts decoding from the start of the file
 * (counted in `restarts`). A stream that decodes to fewer frames than its headers promised (a damaged frame)
 * fails the read that reaches past its end, with a UserError naming the file.
 */
export class StreamedReader implements AudioReader {
  readonly streaming = true;
  /** Times decoding started again from the start of the file. */
  restarts = 0;
  /** Times decoding started at a seek point. */
  seeks = 0;
  private decoder: ForwardDecoder;
  private pieces: { start: Samples; channels: Float32Array[] }[] = [];
  /** The frame the decoder gives next. */
  private decoded = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly info: AudioFileInfo,
    /** Where `info.frames` came from: the headers, or a counting decode (a damaged or cut file, chained Ogg streams). */
    readonly lengthFrom: 'headers' | 'decoding',
    private readonly decoding: Decoding,
    private readonly close_: () => Promise<void>,
    private readonly lookBack: Samples,
  ) {
    this.decoder = decoding.make();
  }

  /** Reads run one after another: the decoder is one state, and two readers of a shared file may ask at once. */
  read(start: Samples, count: Samples): Promise<Float32Array[]> {
    const result = this.queue.then(() => this.readNow(start, count));
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async readNow(start: Samples, count: Samples): Promise<Float32Array[]> {
    const from = Math.max(0, Math.min(start, this.info.frames));
    const to = Math.max(from, Math.min(start + count, this.info.frames));
    const out = Array.from({ length: this.info.channels }, () => new Float32Array(to - from));
    if (to === from) return out;
    if (from < (this.pieces[0]?.start ?? this.decoded) || from > this.decoded + this.decoding.seekAhead) this.jump(from);
    while (this.decoded < to && !this.decoder.ended) {
      const channels = await this.decoder.next();
      const length = channels[0]?.length ?? 0;
      if (length) this.pieces.push({ start: this.decoded, channels });
      this.decoded += length;
    }
    if (this.decoded < to) {
      const { file, container, frames } = this.info;
      throw new UserError(`${file}: corrupt ${container} stream: it decodes to ${this.decoded} frames, its headers say ${frames}`);
    }
    for (const { start: at, channels } of this.pieces) {
      const a = Math.max(from, at);
      const b = Math.min(to, at + channels[0]!.length);
      if (a < b) out.forEach((c, k) => c.set(channels[k]!.subarray(a - at, b - at), a - from));
    }
    this.forget(from - this.lookBack);
    return out;
  }

  async close(): Promise<void> {
    this.decoder.free();
    this.pieces = [];
    await this.close_();
  }

  /** Drops the pieces that end before `frame`. */
  private forget(frame: Samples): void {
    let n = 0;
    while (n < this.pieces.length && this.pieces[n]!.start + this.pieces[n]!.channels[0]!.length <= frame) n++;
    if (n) this.pieces.splice(0, n);
  }

  /** A fresh decoder for a read at `from`: at a seek point before it, or for a read behind, from the start. */
  private jump(from: Samples): void {
    const point = this.decoding.seek?.(from);
    if (!point && from >= this.decoded) return; // far ahead, but no seek point: decode on
    this.decoder.free();
    this.decoder = this.decoding.make(point);
    this.pieces = [];
    this.decoded = point?.first ?? 0;
    if (point) this.seeks++;
    else this.restarts++;
  }
}

/**
 * Opens an mp3, FLAC, Ogg Vorbis or Ogg Opus file for reading as it decodes, or gives undefined for anything else
 * (other formats, a file below `minBytes`, one whose headers make no sense, a missing file): the caller then
 * decodes it whole, which words any error. Reads give exactly `decodeAudio`'s samples.
 *
 * @throws UserError "FILE: cause" for a stream that cannot be decoded
 * @example
 * const reader = await openStreamedAudio('31-hour-mix.mp3');
 * if (reader) { const hour = await reader.read(3600 * reader.info.sampleRate, 60 * reader.info.sampleRate); await reader.close(); }
 */
export async function openStreamedAudio(file: string, options: Partial<StreamOptions> = {}): Promise<StreamedReader | undefined> {
  const opts = { ...DEFAULT_STREAM, ...options };
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    return undefined; // let decodeAudio word the error
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size === 0 || stat.size < opts.minBytes) return closed(handle);
    const plan = await planStream(new FileWindow(handle, stat.size));
    if (!plan) return closed(handle);
    const make = (from?: SeekPoint) => new ForwardDecoder(handle, stat.size, plan, file, opts.chunkBytes, from);
    const frames = plan.length ?? (await countByDecoding(make()));
    if (frames === 0) return closed(handle); // decodeAudio says why: no audio, truncated
    const { container, sampleRate, channels } = plan;
    const info: AudioFileInfo = { file, container, codec: codecOf(container), sampleRate, channels, frames, duration: frames / sampleRate };
    const decoding: Decoding = { make, seek: plan.seek, seekAhead: plan.seek ? (plan.seekAhead ?? 0) : Infinity };
    return new StreamedReader(info, plan.length === undefined ? 'decoding' : 'headers', decoding, () => handle.close(), opts.lookBack);
  } catch (err) {
    await handle.close().catch(() => {});
    throw fileError(file, err);
  }
}

async function closed(handle: fs.FileHandle): Promise<undefined> {
  await handle.close();
  return undefined;
}
