/**
 * TensorBoard event files, written by hand (no TensorFlow needed): `tensorboard --logdir runs/` then shows a run's
 * losses, learning rate and throughput beside its metrics.jsonl.
 *
 * The format is TensorFlow's: a file of TFRecords, each
 *   uint64 length | uint32 masked CRC-32C of the length | `length` bytes of an Event protobuf | uint32 masked CRC-32C
 * and the first Event holds file_version "brain.Event:2". An Event here is
 *   wall_time (1, double) | step (2, int64) | summary (5) { value (1) { tag (1, string) | simple_value (2, float) } }
 * or, for sounds, value { tag | audio (6) { sample_rate (1, float) | num_channels (2) | length_frames (3) |
 * encoded_audio_string (4, a WAV file) | content_type (5) } } (TensorBoard's Audio tab plays them).
 * A crash can leave a half-written last record; TensorBoard stops reading there, so what came before stays.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeWav } from '../audio/wav-write.ts';
import type { Hertz } from '../units.ts';

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1; // Castagnoli, reflected
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli) of some bytes. @example crc32c(new TextEncoder().encode('123456789')) // 0xe3069283 */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC32C_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotated right by 15 bits plus a constant, so a CRC of CRCs stays informative. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

/** A protobuf message written field by field (only the wire types events need). */
class Proto {
  private readonly parts: number[] = [];

  private varint(v: number | bigint): void {
    let x = BigInt(v);
    if (x < 0n) x += 1n << 64n; // int64 as two's complement
    do {
      const byte = Number(x & 0x7fn);
      x >>= 7n;
      this.parts.push(x ? byte | 0x80 : byte);
    } while (x);
  }

  int64(field: number, v: number): this {
    this.varint((field << 3) | 0);
    this.varint(v);
    return this;
  }

  double(field: number, v: number): this {
    this.varint((field << 3) | 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.parts.push(...b);
    return this;
  }

  float(field: number, v: number): this {
    this.varint((field << 3) | 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.parts.push(...b);
    return this;
  }

  bytes(field: number, v: Uint8Array): this {
    this.varint((field << 3) | 2);
    this.varint(v.length);
    for (const b of v) this.parts.push(b); // not push(...v): a WAV has more bytes than a call takes arguments
    return this;
  }

  string(field: number, v: string): this {
    return this.bytes(field, new TextEncoder().encode(v));
  }

  message(field: number, m: Proto): this {
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** One TFRecord around `data`. */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** The Event protobuf of scalars at one step. */
export function scalarEvent(scalars: Record<string, number>, step: number, wallTime: number): Uint8Array {
  const summary = new Proto();
  for (const [tag, value] of Object.entries(scalars)) {
    if (Number.isFinite(value)) summary.message(1, new Proto().string(1, tag).float(2, value));
  }
  return new Proto().double(1, wallTime).int64(2, step).message(5, summary).finish();
}

/** A sound to show in TensorBoard's Audio tab. */
export interface AudioSummary {
  tag: string;
  audio: Float32Array;
  sampleRate: Hertz;
}

/** The Event protobuf of sounds at one step, each as a 16-bit mono WAV. */
export function audioEvent(sounds: AudioSummary[], step: number, wallTime: number): Uint8Array {
  const summary = new Proto();
  for (const s of sounds) {
    const audio = new Proto().float(1, s.sampleRate).int64(2, 1).int64(3, s.audio.length).bytes(4, encodeWav(s.audio, s.sampleRate)).string(5, 'audio/wav');
    summary.message(1, new Proto().string(1, s.tag).message(6, audio));
  }
  return new Proto().double(1, wallTime).int64(2, step).message(5, summary).finish();
}

/**
 * Appends events to a new `events.out.tfevents.*` file in `dir` (one per process, as TensorFlow does: a resumed
 * run adds a file, and TensorBoard merges them by step).
 * @example
 * const tb = new EventWriter('runs/digits');
 * tb.scalars({ 'train/loss': 0.12 }, 100);
 * tb.close();
 */
export class EventWriter {
  readonly file: string;
  private fd: number | undefined;

  constructor(dir: string, now = Date.now()) {
    mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, `events.out.tfevents.${Math.floor(now / 1000)}.${os.hostname()}.${process.pid}.soundvae`);
    this.fd = openSync(this.file, 'a');
    this.write(
      new Proto()
        .double(1, now / 1000)
        .string(3, 'brain.Event:2')
        .finish(),
    );
  }

  private write(event: Uint8Array): void {
    if (this.fd !== undefined) writeSync(this.fd, tfRecord(event));
  }

  /** Scalars by tag (e.g. 'train/loss') at a step; non-finite values are left out. */
  scalars(values: Record<string, number>, step: number, wallTime = Date.now() / 1000): void {
    this.write(scalarEvent(values, step, wallTime));
  }

  /** Sounds by tag (e.g. 'reconstruction/1') at a step. */
  audio(sounds: AudioSummary[], step: number, wallTime = Date.now() / 1000): void {
    if (sounds.length) this.write(audioEvent(sounds, step, wallTime));
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Writes a whole history as one event file in `dir` (for outputs rewritten whole at each save, like a classifier's
 * folder): one event per record, scalars by tag.
 */
export function writeEventFile(dir: string, records: { step: number; scalars: Record<string, number>; wallTime?: number }[], now = Date.now()): string {
  const w = new EventWriter(dir, now);
  try {
    for (const r of records) w.scalars(r.scalars, r.step, r.wallTime ?? now / 1000);
  } finally {
    w.close();
  }
  return w.file;
}
