/**
 * Reading long recordings a block at a time, so memory stays bounded whatever the file's length
 * (an hour-long tape, a 31-hour mix). WAV files with frame-based codecs (PCM, float, A-law, mu-law)
 * are read by byte range; mp3, FLAC, Ogg Vorbis and Ogg Opus are decoded as they are read
 * (stream-decode.ts); anything else is decoded whole and served from memory.
 */
import { promises as fs } from 'node:fs';
import { fileError, UserError } from '../errors.ts';
import type { Hertz, Samples, Seconds } from '../units.ts';
import { decodeAudio, DEFAULT_DECODE, type DecodeOptions } from './decode.ts';
import { toMono } from './mono.ts';
import { resampledLength, resampleInputRange, resampleSegment, type ResampleOptions } from './resample.ts';
import { openStreamedAudio, type StreamOptions } from './stream-decode.ts';
import type { AudioFileInfo, AudioReader } from './types.ts';
import { checkWavFormat, decodeWavFrames, isWav, parseWavLayout, wavFrameBytes, wavInfo, type WavLayout } from './wav.ts';

export type { AudioReader } from './types.ts';

/** Bytes read to find a WAV header. */
const HEAD_BYTES = 1 << 20;

/**
 * Opens an audio file for reading by range.
 *
 * @param file any format `decodeAudio` reads
 * @param options decoder limits for files that are decoded whole; with `isolate`, compressed files are decoded
 * whole in the isolated worker rather than streamed in-process
 * @param stream how compressed files are streamed (`minBytes`: smaller ones are decoded whole)
 * @throws UserError "FILE: cause" as `decodeAudio` does
 * @example
 * const reader = await openAudio('tape.wav');
 * const firstMinute = await reader.read(0, 60 * reader.info.sampleRate);
 * await reader.close();
 */
export async function openAudio(file: string, options: Partial<DecodeOptions> = {}, stream: Partial<StreamOptions> = {}): Promise<AudioReader> {
  const opts = { ...DEFAULT_DECODE, ...options };
  const streamed = await openStreamingAudio(file, opts.isolate ? { minBytes: Infinity } : stream);
  if (streamed) return streamed;
  const { info, channels } = await decodeAudio(file, opts);
  return {
    info,
    streaming: false,
    read: async (start, count) => {
      const from = Math.max(0, Math.min(start, info.frames));
      const to = Math.max(from, Math.min(start + count, info.frames));
      return channels.map((c) => c.subarray(from, to));
    },
    close: async () => {},
  };
}

/**
 * A reader whose memory does not grow with the file: WAV read by byte range (`openRangedAudio`), or mp3, FLAC,
 * Ogg Vorbis or Ogg Opus decoded as it is read (`openStreamedAudio`, for files of `stream.minBytes` or more).
 * Undefined for anything else (the caller decodes it whole). Reads equal `decodeAudio`'s samples.
 * @throws UserError "FILE: cause" for a bad short WAV or a stream that cannot be decoded
 */
export async function openStreamingAudio(file: string, stream: Partial<StreamOptions> = {}): Promise<AudioReader | undefined> {
  return (await openRangedAudio(file)) ?? (await openStreamedAudio(file, stream));
}

/**
 * A reader that reads frames from disk by range, or undefined when the file's format has none (not WAV, a block
 * codec such as ADPCM, a header past the first megabyte): the caller then decodes the file whole. Reads give the
 * same samples as `decodeAudio`, so the whole-file and ranged paths are interchangeable.
 * @throws UserError "FILE: cause" for a bad short WAV, or a read that fails
 */
export async function openRangedAudio(file: string): Promise<AudioReader | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    return undefined; // let decodeAudio word the error
  }
  try {
    const size = (await handle.stat()).size;
    const head = new Uint8Array(Math.min(size, HEAD_BYTES));
    await handle.read(head, 0, head.length, 0);
    if (!isWav(head)) return close(handle);
    let layout;
    let info: AudioFileInfo;
    try {
      layout = parseWavLayout(head, size);
      checkWavFormat(layout);
      info = wavInfo(head, file, size);
    } catch (err) {
      // The header lies past the head (rare): decode whole. A short file's error is final.
      if (size > HEAD_BYTES) return close(handle);
      await handle.close();
      throw fileError(file, err);
    }
    const frameBytes = rangedFrameBytes(layout);
    // No frames: decodeAudio says whether that is an empty file or a truncated one.
    if (frameBytes === undefined || info.frames === 0) return close(handle);
    // A file no bigger than its head is already in memory (most short clips): serve it from there.
    const inHead = size <= head.length;
    if (inHead) await handle.close();
    const { dataOffset } = layout;
    const frameLayout = layout;
    return {
      info,
      streaming: true,
      read: async (start, count) => {
        const from = Math.max(0, Math.min(start, info.frames));
        const frames = Math.max(0, Math.min(start + count, info.frames) - from);
        const at = dataOffset + from * frameBytes;
        const bytes = inHead ? head.subarray(at, at + frames * frameBytes) : await readAt(handle, at, frames * frameBytes, file);
        const whole = Math.floor(bytes.length / frameBytes);
        return decodeWavFrames(frameLayout, new DataView(bytes.buffer, bytes.byteOffset, whole * frameBytes), whole);
      },
      close: async () => (inHead ? undefined : handle.close()),
    };
  } catch (err) {
    await handle.close().catch(() => {});
    if (err instanceof UserError) throw err;
    throw fileError(file, err);
  }
}

/**
 * Bytes per frame where any range of frames decodes as it does within the whole file; undefined otherwise:
 * block codecs, and integer PCM narrower than its container, whose justification is guessed from the data given.
 */
function rangedFrameBytes(layout: WavLayout): number | undefined {
  const frameBytes = wavFrameBytes(layout);
  if (frameBytes === undefined) return undefined;
  const { validBits, bitsPerSample, channels } = layout.format;
  const containerBits = (8 * frameBytes) / channels;
  return (validBits || bitsPerSample) < containerBits ? undefined : frameBytes;
}

/** `length` bytes from `position` (fewer at the end of the file). */
async function readAt(handle: fs.FileHandle, position: number, length: number, file: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  try {
    const { bytesRead } = await handle.read(bytes, 0, length, position);
    return bytes.subarray(0, bytesRead);
  } catch (err) {
    throw fileError(file, err);
  }
}

async function close(handle: fs.FileHandle): Promise<undefined> {
  await handle.close();
  return undefined;
}

export interface BlockOptions {
  /** Target rate; undefined keeps the file's. */
  sampleRate?: Hertz;
  /** Mix to mono. Default true (false yields every channel). */
  mono: boolean;
  /** Output samples per block, in seconds. Default 60. */
  blockSeconds: Seconds;
  /** Resampling quality. */
  resample: Partial<ResampleOptions>;
  /** Decoder limits for files decoded whole. */
  decode: Partial<DecodeOptions>;
  /** How compressed files are streamed. */
  stream: Partial<StreamOptions>;
}

export const DEFAULT_BLOCKS: BlockOptions = { sampleRate: undefined, mono: true, blockSeconds: 60, resample: {}, decode: {}, stream: {} };

/** One block of a long recording: consecutive blocks concatenate to the whole, resampled as one piece. */
export interface AudioBlock {
  /** One array per channel (one when mono), at the output rate. */
  channels: Float32Array[];
  /** Start of the block in output samples. */
  offset: Samples;
  sampleRate: Hertz;
  info: AudioFileInfo;
}

/**
 * Output samples `[offset, offset + count)` of a recording at `sampleRate`, one array per channel or one mixed
 * to mono. Only the input they need is read, with the resampling filter's reach on both sides, so any read
 * equals the same stretch of resampling the whole file: blocks join seamlessly and clips can be read on demand.
 * @example const [mono] = await readRange(reader, 22050 * 60, 22050, { sampleRate: 22050, mono: true, resample: {} });
 */
export async function readRange(
  reader: AudioReader,
  offset: Samples,
  count: Samples,
  options: Pick<BlockOptions, 'sampleRate' | 'mono' | 'resample'>,
): Promise<Float32Array[]> {
  const from = reader.info.sampleRate;
  const to = options.sampleRate ?? from;
  const mix = (input: Float32Array[]) => (options.mono ? [toMono(input)] : input);
  if (from === to) return mix(await reader.read(offset, count));
  const range = resampleInputRange(offset, count, from, to, options.resample);
  const start = Math.max(0, range.start);
  const input = mix(await reader.read(start, Math.max(0, range.end - start)));
  return input.map((c) => resampleSegment(c, start, from, to, offset, count, options.resample));
}

/**
 * Reads a recording block by block at the target rate, mixed to mono by default. Each block is
 * resampled with enough context on both sides that the blocks join into exactly what resampling
 * the whole file would give, with memory bounded by the block length.
 *
 * @example
 * for await (const block of readBlocks('31-hour-mix.wav', { sampleRate: 22050 })) {
 *   for (const clip of splitIntoClips(block.channels[0], 16317)) ...
 * }
 */
export async function* readBlocks(file: string, options: Partial<BlockOptions> = {}): AsyncGenerator<AudioBlock> {
  const opts = { ...DEFAULT_BLOCKS, ...options };
  const reader = await openAudio(file, opts.decode, opts.stream);
  try {
    const { info } = reader;
    const from = info.sampleRate;
    const to = opts.sampleRate ?? from;
    const total = from === to ? info.frames : resampledLength(info.frames, from, to);
    const block = Math.max(1, Math.round(opts.blockSeconds * to));
    for (let offset = 0; offset < total; offset += block) {
      const channels = await readRange(reader, offset, Math.min(block, total - offset), { ...opts, sampleRate: to });
      yield { channels, offset, sampleRate: to, info };
    }
  } finally {
    await reader.close();
  }
}
