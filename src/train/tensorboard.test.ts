import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../audio/wav.ts';
import { audioEvent, crc32c, EventWriter, maskedCrc32c } from './tensorboard.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'soundvae-tb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A minimal protobuf reader written from the wire-format spec: field number -> values (raw bytes or numbers). */
function readProto(b: Uint8Array): Map<number, (number | bigint | Uint8Array)[]> {
  const out = new Map<number, (number | bigint | Uint8Array)[]>();
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = 0;
  const varint = () => {
    let x = 0n;
    let shift = 0n;
    for (;;) {
      const byte = b[i++]!;
      x |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return x;
      shift += 7n;
    }
  };
  while (i < b.length) {
    const key = Number(varint());
    const field = key >> 3;
    let value: number | bigint | Uint8Array;
    if ((key & 7) === 0) value = varint();
    else if ((key & 7) === 1) (value = view.getFloat64(i, true)), (i += 8);
    else if ((key & 7) === 5) (value = view.getFloat32(i, true)), (i += 4);
    else if ((key & 7) === 2) {
      const n = Number(varint());
      value = b.subarray(i, i + n);
      i += n;
    } else throw new Error(`wire type ${key & 7}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

describe('TensorBoard event files', () => {
  it('computes CRC-32C like the iSCSI test vectors (RFC 3720)', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
  });

  it('writes TFRecords of Events: a file version first, then scalars by tag and step', () => {
    const w = new EventWriter(dir, 1_700_000_000_000);
    w.scalars({ 'train/loss': 0.25, 'train/kl': 3, skipped: Number.NaN }, 50, 1_700_000_001.5);
    w.close();
    const [name] = readdirSync(dir);
    expect(name).toMatch(/^events\.out\.tfevents\.1700000000\..+\.soundvae$/);
    const bytes = new Uint8Array(readFileSync(path.join(dir, name!)));
    const view = new DataView(bytes.buffer);
    const events: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; ) {
      const n = Number(view.getBigUint64(i, true));
      expect(view.getUint32(i + 8, true), 'length CRC').toBe(maskedCrc32c(bytes.subarray(i, i + 8)));
      const data = bytes.subarray(i + 12, i + 12 + n);
      expect(view.getUint32(i + 12 + n, true), 'data CRC').toBe(maskedCrc32c(data));
      events.push(data);
      i += 16 + n;
    }
    expect(events).toHaveLength(2);
    const first = readProto(events[0]!);
    expect(new TextDecoder().decode(first.get(3)![0] as Uint8Array)).toBe('brain.Event:2');
    const second = readProto(events[1]!);
    expect(second.get(1)).toEqual([1_700_000_001.5]);
    expect(second.get(2)).toEqual([50n]);
    const values = readProto(second.get(5)![0] as Uint8Array)
      .get(1)!
      .map((v) => readProto(v as Uint8Array));
    expect(values.map((v) => new TextDecoder().decode(v.get(1)![0] as Uint8Array))).toEqual(['train/loss', 'train/kl']);
    expect(values.map((v) => v.get(2)![0])).toEqual([0.25, 3]);
  });

  it('writes sounds as Audio values holding a WAV file, longer ones too (more bytes than a call takes arguments)', () => {
    const tone = Float32Array.from({ length: 40_000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 8000));
    const event = readProto(audioEvent([{ tag: 'reconstruction/1', audio: tone, sampleRate: 8000 }], 7, 1_700_000_002));
    expect(event.get(2)).toEqual([7n]);
    const [value] = readProto(event.get(5)![0] as Uint8Array)
      .get(1)!
      .map((v) => readProto(v as Uint8Array));
    expect(new TextDecoder().decode(value!.get(1)![0] as Uint8Array)).toBe('reconstruction/1');
    const audio = readProto(value!.get(6)![0] as Uint8Array);
    expect(audio.get(1)).toEqual([8000]);
    expect(audio.get(2)).toEqual([1n]);
    expect(audio.get(3)).toEqual([40_000n]);
    expect(new TextDecoder().decode(audio.get(5)![0] as Uint8Array)).toBe('audio/wav');
    const wav = decodeWav(Uint8Array.from(audio.get(4)![0] as Uint8Array));
    expect(wav.info.sampleRate).toBe(8000);
    const back = wav.channels[0]!;
    expect(back.length).toBe(40_000);
    expect(Math.max(...back.slice(0, 1000).map((v, i) => Math.abs(v - tone[i]!))), '16-bit rounding only').toBeLessThan(1e-4);
  });

  it("reads back with TensorBoard's own loader where TensorBoard is installed", (ctx) => {
    const probe = spawnSync('python3', ['-c', 'import tensorboard'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      ctx.skip();
      return;
    }
    const file = path.join(dir, readdirSync(dir)[0]!);
    const py = `from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
for e in EventFileLoader(${JSON.stringify(file)}).Load():
    for v in e.summary.value: print(e.step, v.tag, v.simple_value if v.HasField('simple_value') else v.tensor.float_val[0])`;
    const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['50 train/loss 0.25', '50 train/kl 3.0']);
  });
});
