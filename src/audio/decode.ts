/**
 * Decoding any audio file to Float32 channels. The format is sniffed from the content (magic
 * bytes), never taken from the extension. WAV (RIFF, RIFX, RF64, Wave64), AIFF/AIFF-C and Sun .au
 * go through our own tolerant readers (wav.ts, aiff.ts, au.ts); everything else (mp3, flac, ogg
 * vorbis, opus, m4a/aac, wma, amr, qoa, webm, caf, ...) through the pure JS/WASM decoders of the
 * `audio-decode` package. Every failure becomes a one-line `UserError` "FILE: cause".
 */
import { promises as fs } from 'node:fs';
import { fileError, UserError } from '../errors.ts';
import type { AudioFileInfo, DecodedAudio } from './types.ts';
import { aiffInfo, decodeAiff, isAiff } from './aiff.ts';
import { auInfo, decodeAu, isAu } from './au.ts';
import { IsolatedDecodeError, isolatedAudioDecode } from './isolate.ts';
import { decodeWav, isWav, wavInfo } from './wav.ts';

export interface DecodeOptions {
  /** Give up on a decoder that has not finished after this many milliseconds. Default 60000. */
  timeoutMs: number;
  /**
   * Run third-party decoders (mp3, flac, ogg, ...) in a worker thread, so that even a synchronous
   * endless loop or a WebAssembly crash is cut off by `timeoutMs`. Our own WAV/AIFF/.au readers
   * always run in-process (their loops are bounded by the file size). Default false.
   */
  isolate: boolean;
  /** Refuse files larger than this many bytes (a whole file is held in memory). Default 2 GiB. */
  maxFileBytes: number;
}

export const DEFAULT_DECODE: DecodeOptions = { timeoutMs: 60_000, isolate: false, maxFileBytes: 2 ** 31 };

/**
 * File extensions taken as audio when walking a folder (files named explicitly are always tried,
 * and decoding goes by content, not by name).
 */
export const AUDIO_EXTENSIONS: ReadonlySet<string> = new Set([
  'wav',
  'wave',
  'bwf',
  'rf64',
  'w64',
  'aif',
  'aiff',
  'aifc',
  'flac',
  'mp3',
  'mp2',
  'ogg',
  'oga',
  'opus',
  'm4a',
  'mp4',
  'aac',
  'wma',
  'asf',
  'amr',
  'qoa',
  'webm',
  'mka',
  'caf',
  'au',
  'snd',
]);

/** True when a path's extension is one of AUDIO_EXTENSIONS (case-insensitive). */
export function hasAudioExtension(file: string): boolean {
  const dot = file.lastIndexOf('.');
  return dot >= 0 && AUDIO_EXTENSIONS.has(file.slice(dot + 1).toLowerCase());
}

/** Bytes `readAudioInfo` reads for a WAV/AIFF/.au header; a header not within them means decoding the whole file. */
const HEADER_BYTES = 1 << 20;

function startsWith(bytes: Uint8Array, text: string, at = 0): boolean {
  if (bytes.length < at + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/**
 * Names the container from the first bytes of a file, or undefined when it is not a known audio
 * format. Covers what we can decode plus a few common non-audio files, to give a clear error.
 */
export function sniffContainer(bytes: Uint8Array): string | undefined {
  if (isWav(bytes)) return startsWith(bytes, 'RIFX') ? 'rifx' : startsWith(bytes, 'RIFF') ? 'wav' : startsWith(bytes, 'riff') ? 'w64' : 'rf64';
  if (isAiff(bytes)) return 'aiff';
  if (isAu(bytes)) return 'au';
  if (startsWith(bytes, 'fLaC')) return 'flac';
  if (startsWith(bytes, 'OggS')) {
    const head = new TextDecoder('latin1').decode(bytes.subarray(0, 128));
    if (head.includes('OpusHead')) return 'opus';
    if (head.includes('\x7fFLAC')) return 'flac';
    return 'ogg';
  }
  if (startsWith(bytes, 'ID3')) return 'mp3';
  if (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1]! & 0xf6) === 0xf0) return 'aac';
  if (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1]! & 0xe0) === 0xe0) return 'mp3';
  if (startsWith(bytes, 'ftyp', 4)) return 'mp4';
  if (startsWith(bytes, '#!AMR')) return 'amr';
  if (startsWith(bytes, 'qoaf')) return 'qoa';
  if (startsWith(bytes, 'caff')) return 'caf';
  if (bytes.length >= 4 && bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) return 'webm';
  if (bytes.length >= 4 && bytes[0] === 0x30 && bytes[1] === 0x26 && bytes[2] === 0xb2 && bytes[3] === 0x75) return 'wma';
  return undefined;
}

/** A guess at what a non-audio file is, for the error message. */
function describeNonAudio(bytes: Uint8Array): string {
  if (startsWith(bytes, '%PDF')) return 'a PDF document';
  if (startsWith(bytes, '\x89PNG')) return 'a PNG image';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'a JPEG image';
  if (startsWith(bytes, 'PK\x03\x04')) return 'a zip archive';
  if (startsWith(bytes, 'RIFF')) return `a RIFF ${JSON.stringify(new TextDecoder('latin1').decode(bytes.subarray(8, 12)))} file, not WAVE`;
  const sample = bytes.subarray(0, 512);
  if (sample.length && sample.every((b) => b === 9 || b === 10 || b === 13 || (b >= 0x20 && b < 0x7f))) return 'a text file';
  return 'unrecognised content';
}

/** Reads a whole file, with clear errors for missing, empty, folder and oversized files. */
async function readBytes(file: string, maxFileBytes: number): Promise<Uint8Array> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code ?? err)}`);
  }
  if (stat.isDirectory()) throw new UserError(`${file}: is a folder, not an audio file`);
  if (stat.size === 0) throw new UserError(`${file}: empty file`);
  if (stat.size > maxFileBytes) {
    const gib = (n: number) => (n / 2 ** 30).toFixed(1);
    throw new UserError(`${file}: too large to load at once (${gib(stat.size)} GiB, limit ${gib(maxFileBytes)} GiB): split it, or read a WAV in blocks`);
  }
  const buf = await fs.readFile(file);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Rejects after `ms` unless `promise` settles first (a decoder that never resolves cannot hang us). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Replaces NaN/infinities by 0 and clips finite values to [-1, 1], in place; returns how many were NaN/infinite. */
export function sanitise(channels: Float32Array[]): number {
  let repaired = 0;
  for (const c of channels) {
    for (let i = 0; i < c.length; i++) {
      const v = c[i]!;
      if (v >= -1 && v <= 1) continue;
      if (Number.isFinite(v)) c[i] = v > 1 ? 1 : -1;
      else {
        c[i] = 0;
        repaired++;
      }
    }
  }
  return repaired;
}

async function decodeWithAudioDecode(bytes: Uint8Array, file: string, container: string, opts: DecodeOptions): Promise<DecodedAudio> {
  let result;
  const what = `${container === 'unknown' ? 'audio' : container} decoder`;
  try {
    result = opts.isolate
      ? await isolatedAudioDecode().decode(bytes, opts.timeoutMs, what)
      : await withTimeout(
          import('audio-decode').then((m) => m.default(bytes)),
          opts.timeoutMs,
          what,
        ); // loaded on first use (slow to load)
  } catch (err) {
    const cause = err instanceof Error ? err.message : String(err);
    if (/unknown audio format/i.test(cause)) throw new UserError(`${file}: not an audio file (${describeNonAudio(bytes)})`);
    if (/no decoder for/i.test(cause)) throw new UserError(`${file}: unsupported format (${cause.replace(/^no decoder for /i, '')})`);
    throw decoderError(file, container === 'unknown' ? describeNonAudio(bytes) : container, err);
  }
  const channels = (result?.channelData ?? []).filter((c) => c && c.length >= 0);
  const sampleRate = result?.sampleRate ?? 0;
  const frames = channels.length ? Math.max(...channels.map((c) => c.length)) : 0;
  if (!channels.length || frames === 0 || !(sampleRate > 0)) {
    throw new UserError(`${file}: no audio decoded from ${container} (truncated or corrupt)`);
  }
  // Decoders may hand back views on a shared buffer or ragged channels: copy to equal lengths.
  const copies = channels.map((c) => {
    const out = new Float32Array(frames);
    out.set(c.subarray(0, frames));
    return out;
  });
  const info: AudioFileInfo = {
    file,
    container,
    codec: codecOf(container),
    sampleRate,
    channels: copies.length,
    frames,
    duration: frames / sampleRate,
  };
  const repaired = sanitise(copies);
  return { info, channels: copies, ...(repaired ? { repaired } : {}) };
}

/**
 * The one-line error for a third-party decoder's failure on `file`: "FILE: cannot decode LABEL: cause", where a
 * decoder tripping over its own state (TypeError and the like) is said to mean a corrupt or truncated stream.
 */
export function decoderError(file: string, label: string, err: unknown): UserError {
  const cause = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  const kind = err instanceof IsolatedDecodeError ? err.kind : err instanceof Error ? err.constructor.name : '';
  const internal = kind === 'TypeError' || kind === 'ReferenceError' || kind === 'RangeError';
  return new UserError(`${file}: cannot decode ${label}: ${internal ? `corrupt or truncated stream (decoder error: ${cause})` : cause}`, { cause: err });
}

/** The codec a container holds, as `AudioFileInfo.codec` names it. */
export function codecOf(container: string): string {
  const codecs: Record<string, string> = { ogg: 'vorbis', webm: 'vorbis/opus', mp4: 'aac', caf: 'pcm' };
  return codecs[container] ?? container;
}

/**
 * Decodes an audio file of any supported format to Float32 channels in [-1, 1].
 *
 * @param file path to the file
 * @param options `timeoutMs` (default 60 s), `isolate` (default false), `maxFileBytes` (default 2 GiB)
 * A WAV file whose data chunk is validly empty decodes to zero frames; callers that need audio check `info.frames`.
 * @throws UserError "FILE: cause" for a missing, empty, truncated, unsupported or non-audio file
 * @example
 * const { info, channels } = await decodeAudio('speech.flac');
 * console.log(info.sampleRate, channels.length);
 */
export async function decodeAudio(file: string, options: Partial<DecodeOptions> = {}): Promise<DecodedAudio> {
  const opts = { ...DEFAULT_DECODE, ...options };
  const bytes = await readBytes(file, opts.maxFileBytes);
  return decodeAudioBytes(bytes, file, opts);
}

/** `decodeAudio` for bytes already in memory; `file` only names the source in errors. */
export async function decodeAudioBytes(bytes: Uint8Array, file: string, options: Partial<DecodeOptions> = {}): Promise<DecodedAudio> {
  const opts = { ...DEFAULT_DECODE, ...options };
  if (bytes.length === 0) throw new UserError(`${file}: empty file`);
  if (bytes.length < 12 && ['RIFF', 'RIFX', 'RF64', 'FORM'].some((id) => startsWith(bytes, id))) {
    throw new UserError(`${file}: truncated: shorter than ${startsWith(bytes, 'FORM') ? 'an AIFF' : 'a WAV'} header`);
  }
  const container = sniffContainer(bytes);
  if (container === 'wav' || container === 'rifx' || container === 'rf64' || container === 'w64' || container === 'aiff' || container === 'au') {
    try {
      return container === 'aiff' ? decodeAiff(bytes, file) : container === 'au' ? decodeAu(bytes, file) : decodeWav(bytes, file);
    } catch (err) {
      throw fileError(file, err);
    }
  }
  return decodeWithAudioDecode(bytes, file, container ?? 'unknown', opts);
}

/**
 * What a file holds (container, codec, rate, channels, bit depth, frames, duration).
 * WAV and AIFF headers are read without decoding the samples; other formats are decoded in full.
 *
 * @throws UserError "FILE: cause" as `decodeAudio` does
 */
export async function readAudioInfo(file: string, options: Partial<DecodeOptions> = {}): Promise<AudioFileInfo> {
  const opts = { ...DEFAULT_DECODE, ...options };
  let head: Uint8Array;
  let size: number;
  try {
    const handle = await fs.open(file, 'r');
    try {
      size = (await handle.stat()).size;
      head = new Uint8Array(Math.min(size, HEADER_BYTES));
      await handle.read(head, 0, head.length, 0);
    } finally {
      await handle.close();
    }
  } catch {
    // Missing, folder, unreadable: let the full reader word the error.
    return (await decodeAudio(file, opts)).info;
  }
  if (size === 0) throw new UserError(`${file}: empty file`);
  if (isWav(head) || isAiff(head) || isAu(head)) {
    try {
      if (isAu(head)) return auInfo(head, file, size);
      return isAiff(head) ? aiffInfo(head, file, size) : wavInfo(head, file, size);
    } catch (err) {
      // A big file whose fmt chunk lies past the head: read it all. Anything else is a real error.
      if (size <= HEADER_BYTES) throw fileError(file, err);
    }
  }
  return (await decodeAudio(file, opts)).info;
}
