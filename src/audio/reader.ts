/**
 * Reading long recordings a block at a time, so memory stays bounded whatever the file's length
 * (an hour-long tape, a 31-hour mix). WAV files with frame-based codecs (PCM, float, A-law, mu-law)
 * are read by byte range; anything else is decoded whole and served from memory.
 */
import { promises as fs } from 'node:fs';
import { fileError, UserError } from '../errors.ts';
import type { Hertz, Samples, Seconds } from '../units.ts';
import { decodeAudio, DEFAULT_DECODE, type DecodeOptions } from './decode.ts';
import { toMono } from './mono.ts';
import { resampledLength, resampleInputRange, resampleSegment, type ResampleOptions } from './resample.ts';
import type { AudioFileInfo } from './types.ts';
import { checkWavFormat, decodeWavFrames, isWav, parseWavLayout, wavFrameBytes, wavInfo } from './wav.ts';

/** An open audio file that reads frames on demand. */
export interface AudioReader {
  info: AudioFileInfo;
  /** True when frames are read from disk by range (memory independent of the file's length). */
  streaming: boolean;
  /** Frames `[start, start + count)` (clamped to the file), one array per channel. */
  read(start: Samples, count: Samples): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** Bytes read to find a WAV header. */
const HEAD_BYTES = 1 << 20;

/**
 * Opens an audio file for reading by range.
 *
 * @param file any format `decodeAudio` reads
 * @param options decoder limits for files that are decoded whole
 * @throws UserError "FILE: cause" as `decodeAudio` does
 * @example
 * const reader = await openAudio('tape.wav');
 * const firstMinute = await reader.read(0, 60 * reader.info.sampleRate);
 * await reader.close();
 */
export async function openAudio(file: string, options: Partial<DecodeOptions> = {}): Promise<AudioReader> {
  const ranged = await openWavRanged(file);
  if (ranged) return ranged;
  const { info, channels } = await decodeAudio(file, { ...DEFAULT_DECODE, ...options });
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

/** A ranged reader for WAV files with a frame-based codec, or undefined when that does not apply. */
async function openWavRanged(file: string): Promise<AudioReader | undefined> {
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
    const frameBytes = wavFrameBytes(layout);
    if (frameBytes === undefined) return close(handle);
    const { dataOffset } = layout;
    const frameLayout = layout;
    return {
      info,
      streaming: true,
      read: async (start, count) => {
        const from = Math.max(0, Math.min(start, info.frames));
        const frames = Math.max(0, Math.min(start + count, info.frames) - from);
        const bytes = new Uint8Array(frames * frameBytes);
        const { bytesRead } = await handle.read(bytes, 0, bytes.length, dataOffset + from * frameBytes);
        const whole = Math.floor(bytesRead / frameBytes);
        return decodeWavFrames(frameLayout, new DataView(bytes.buffer, 0, whole * frameBytes), whole);
      },
      close: () => handle.close(),
    };
  } catch (err) {
    await handle.close().catch(() => {});
    if (err instanceof UserError) throw err;
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
  /** Decoder limits for non-streamable files. */
  decode: Partial<DecodeOptions>;
}

export const DEFAULT_BLOCKS: BlockOptions = { sampleRate: undefined, mono: true, blockSeconds: 60, resample: {}, decode: {} };

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
  const reader = await openAudio(file, opts.decode);
  try {
    const { info } = reader;
    const from = info.sampleRate;
    const to = opts.sampleRate ?? from;
    const total = from === to ? info.frames : resampledLength(info.frames, from, to);
    const block = Math.max(1, Math.round(opts.blockSeconds * to));
    for (let offset = 0; offset < total; offset += block) {
      const count = Math.min(block, total - offset);
      let channels: Float32Array[];
      if (from === to) {
        const input = await reader.read(offset, count);
        channels = opts.mono ? [toMono(input)] : input;
      } else {
        // Read the block's input plus the filter's reach on both sides, so the joins are seamless.
        const range = resampleInputRange(offset, count, from, to, opts.resample);
        const start = Math.max(0, range.start);
        const input = await reader.read(start, Math.max(0, range.end - start));
        const mixed = opts.mono ? [toMono(input)] : input;
        channels = mixed.map((c) => resampleSegment(c, start, from, to, offset, count, opts.resample));
      }
      yield { channels, offset, sampleRate: to, info };
    }
  } finally {
    await reader.close();
  }
}
