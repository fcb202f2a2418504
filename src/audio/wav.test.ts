import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { decodeAudio, readAudioInfo, withTimeout } from './decode.ts';
import { decodeWav } from './wav.ts';
import { encodeWav } from './wav-write.ts';

const { WaveFile } = wavefile as unknown as { WaveFile: typeof import('wavefile').WaveFile };
const dir = mkdtempSync(path.join(tmpdir(), 'soundvae-wav-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const rate = 8000;
const tone = Float32Array.from({ length: 800 }, (_, i) => 0.6 * Math.sin((2 * Math.PI * 440 * i) / rate));

/** Largest absolute difference between two signals. */
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

/** A WAV written by wavefile (an independent writer) from the tone. */
function wavefileBytes(bitDepth: string, convert?: (w: InstanceType<typeof WaveFile>) => void, channels = 1): Uint8Array {
  const w = new WaveFile();
  const full = (bits: string) => {
    if (bits === '32f' || bits === '64') return Array.from(tone);
    const b = bits === '8a' || bits === '8m' || bits === '4' ? 16 : Number(bits);
    const max = 2 ** (b - 1) - 1;
    return Array.from(tone, (v) => Math.round(v * max) + (b === 8 ? 128 : 0));
  };
  const data = full(bitDepth === '8a' || bitDepth === '8m' || bitDepth === '4' ? '16' : bitDepth);
  w.fromScratch(
    channels,
    rate,
    bitDepth === '8a' || bitDepth === '8m' || bitDepth === '4' ? '16' : bitDepth,
    channels === 1 ? data : Array.from({ length: channels }, () => data),
  );
  convert?.(w);
  return w.toBuffer();
}

/** Builds a WAV by hand from chunks, little- or big-endian. */
function handmade(chunks: [string, Uint8Array, number?][], opts: { riff?: string; riffSize?: number; le?: boolean } = {}): Uint8Array {
  const le = opts.le ?? true;
  const parts: number[] = [];
  const u32 = (v: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, le);
    parts.push(...b);
  };
  for (const [id, body, declared] of chunks) {
    parts.push(...Buffer.from(id, 'latin1'));
    u32(declared ?? body.length);
    parts.push(...body);
  }
  const out: number[] = [...Buffer.from(opts.riff ?? (le ? 'RIFF' : 'RIFX'), 'latin1')];
  const size = new Uint8Array(4);
  new DataView(size.buffer).setUint32(0, opts.riffSize ?? parts.length + 4, le);
  out.push(...size, ...Buffer.from('WAVE', 'latin1'), ...parts);
  return new Uint8Array(out);
}

function fmtChunk(tag: number, channels: number, sr: number, bits: number, le = true, blockAlign?: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  const align = blockAlign ?? Math.ceil(bits / 8) * channels;
  v.setUint16(0, tag, le);
  v.setUint16(2, channels, le);
  v.setUint32(4, sr, le);
  v.setUint32(8, sr * align, le);
  v.setUint16(12, align, le);
  v.setUint16(14, bits, le);
  return b;
}

function int16Data(x: Float32Array, le = true): Uint8Array {
  const b = new Uint8Array(x.length * 2);
  const v = new DataView(b.buffer);
  x.forEach((s, i) => v.setInt16(2 * i, Math.round(s * 32767), le));
  return b;
}

describe('decodeWav: encodings written by wavefile', () => {
  const cases: [string, string, ((w: InstanceType<typeof WaveFile>) => void) | undefined, number][] = [
    ['8-bit unsigned', '8', undefined, 1 / 64],
    ['16-bit', '16', undefined, 1e-4],
    ['24-bit', '24', undefined, 1e-6],
    ['32-bit int', '32', undefined, 1e-6],
    ['12-bit (odd depth)', '12', undefined, 1e-3],
    ['20-bit (odd depth)', '20', undefined, 1e-5],
    ['32-bit float', '32f', undefined, 1e-7],
    ['64-bit float', '64', undefined, 1e-7],
    ['A-law', '8a', (w) => w.toALaw(), 0.02],
    ['mu-law', '8m', (w) => w.toMuLaw(), 0.02],
    ['RIFX 16-bit', '16', (w) => w.toRIFX(), 1e-4],
  ];
  for (const [name, bits, convert, tolerance] of cases) {
    it(name, () => {
      const decoded = decodeWav(wavefileBytes(bits, convert));
      expect(decoded.info.sampleRate).toBe(rate);
      expect(decoded.channels).toHaveLength(1);
      const got = decoded.channels[0]!;
      // ADPCM pads its last block: at least the input, at most one block more.
      expect(got.length).toBeGreaterThanOrEqual(tone.length);
      expect(got.length).toBeLessThan(tone.length + 1024);
      expect(maxDiff(tone, got.subarray(0, tone.length))).toBeLessThan(tolerance);
    });
  }

  it('any channel count (6 channels, WAVE_FORMAT_EXTENSIBLE)', () => {
    const decoded = decodeWav(wavefileBytes('16', undefined, 6));
    expect(decoded.channels).toHaveLength(6);
    for (const c of decoded.channels) expect(maxDiff(tone, c)).toBeLessThan(1e-4);
  });
});

/** A standard (Microsoft/DVI) IMA-ADPCM encoder, to test the decoder against: header sample, then 8 nibbles per 4-byte word per channel. */
function imaAdpcmWav(channels: Float32Array[], blockAlign = 256): Uint8Array {
  const STEP = [
    7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25, 28, 31, 34, 37, 41, 45, 50, 55, 60, 66, 73, 80, 88, 97, 107, 118, 130, 143, 157, 173, 190, 209, 230,
    253, 279, 307, 337, 371, 408, 449, 494, 544, 598, 658, 724, 796, 876, 963, 1060, 1166, 1282, 1411, 1552, 1707, 1878, 2066, 2272, 2499, 2749, 3024, 3327,
    3660, 4026, 4428, 4871, 5358, 5894, 6484, 7132, 7845, 8630, 9493, 10442, 11487, 12635, 13899, 15289, 16818, 18500, 20350, 22385, 24623, 27086, 29794, 32767,
  ];
  const INDEX = [-1, -1, -1, -1, 2, 4, 6, 8];
  const nc = channels.length;
  const perBlock = ((blockAlign - 4 * nc) * 8) / (4 * nc) + 1;
  const frames = channels[0]!.length;
  const blocks = Math.ceil(frames / perBlock);
  const data = new Uint8Array(blocks * blockAlign);
  const view = new DataView(data.buffer);
  const state = channels.map(() => ({ pred: 0, index: 0 }));
  const pcm = (c: number, i: number) => Math.round((channels[c]![Math.min(i, frames - 1)] ?? 0) * 32767);
  for (let b = 0; b < blocks; b++) {
    const base = b * blockAlign;
    for (let c = 0; c < nc; c++) {
      const st = state[c]!;
      st.pred = pcm(c, b * perBlock);
      view.setInt16(base + 4 * c, st.pred, true);
      view.setUint8(base + 4 * c + 2, st.index);
      for (let k = 0; k < perBlock - 1; k++) {
        const step = STEP[st.index]!;
        let diff = pcm(c, b * perBlock + 1 + k) - st.pred;
        let nibble = diff < 0 ? 8 : 0;
        diff = Math.abs(diff);
        let delta = step >> 3;
        if (diff >= step) {
          nibble |= 4;
          diff -= step;
          delta += step;
        }
        if (diff >= step >> 1) {
          nibble |= 2;
          diff -= step >> 1;
          delta += step >> 1;
        }
        if (diff >= step >> 2) {
          nibble |= 1;
          delta += step >> 2;
        }
        st.pred = Math.max(-32768, Math.min(32767, st.pred + (nibble & 8 ? -delta : delta)));
        st.index = Math.max(0, Math.min(88, st.index + INDEX[nibble & 7]!));
        const word = Math.floor(k / 8);
        const at = base + 4 * nc + word * 4 * nc + 4 * c + ((k % 8) >> 1);
        data[at]! |= k % 2 === 0 ? nibble : nibble << 4;
      }
    }
  }
  const fmt = new Uint8Array(20);
  const f = new DataView(fmt.buffer);
  f.setUint16(0, 0x11, true);
  f.setUint16(2, nc, true);
  f.setUint32(4, rate, true);
  f.setUint32(8, Math.round((rate * blockAlign) / perBlock), true);
  f.setUint16(12, blockAlign, true);
  f.setUint16(14, 4, true);
  f.setUint16(16, 2, true);
  f.setUint16(18, perBlock, true);
  const fact = new Uint8Array(4);
  new DataView(fact.buffer).setUint32(0, frames, true);
  return handmade([
    ['fmt ', fmt],
    ['fact', fact],
    ['data', data],
  ]);
}

describe('decodeWav: IMA-ADPCM', () => {
  it('decodes stereo blocks to the encoded signal, trimmed to the fact length', () => {
    const left = Float32Array.from({ length: 1500 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 300 * i) / rate));
    const right = left.map((v) => -0.5 * v);
    const { info, channels } = decodeWav(imaAdpcmWav([left, right]));
    expect(info).toMatchObject({ codec: 'ima-adpcm', channels: 2, frames: 1500 });
    // ADPCM adapts its step size for a few samples at the start; after that it tracks closely.
    expect(maxDiff(left.subarray(100), channels[0]!.subarray(100))).toBeLessThan(0.02);
    expect(maxDiff(right.subarray(100), channels[1]!.subarray(100))).toBeLessThan(0.02);
  });
});

/**
 * A greedy MS ADPCM encoder (predictor pair 0: 256, 0) for mono, returning the file and the signal a
 * correct decoder must reproduce exactly (the encoder's own reconstruction).
 */
function msAdpcmWav(x: Float32Array, blockAlign = 64): { bytes: Uint8Array; expected: Float32Array } {
  const ADAPT = [230, 230, 230, 230, 307, 409, 512, 614, 768, 614, 512, 409, 307, 230, 230, 230];
  const perBlock = (blockAlign - 7) * 2 + 2;
  const blocks = Math.ceil(x.length / perBlock);
  const data = new Uint8Array(blocks * blockAlign);
  const view = new DataView(data.buffer);
  const expected = new Float32Array(blocks * perBlock);
  const pcm = (i: number) => Math.round((x[i] ?? 0) * 32767);
  let delta = 16; // carried from block to block, as real encoders do
  for (let b = 0; b < blocks; b++) {
    const base = b * blockAlign;
    const first = b * perBlock;
    let s2 = pcm(first);
    let s1 = pcm(first + 1);
    view.setUint8(base, 0);
    view.setInt16(base + 1, delta, true);
    view.setInt16(base + 3, s1, true);
    view.setInt16(base + 5, s2, true);
    expected[first] = s2 / 32768;
    expected[first + 1] = s1 / 32768;
    for (let k = 2; k < perBlock; k++) {
      const predicted = Math.floor((s1 * 256) / 256);
      let best = 0;
      let bestError = Infinity;
      for (let n = -8; n < 8; n++) {
        const error = Math.abs(Math.max(-32768, Math.min(32767, predicted + n * delta)) - pcm(first + k));
        if (error < bestError) [best, bestError] = [n, error];
      }
      const sample = Math.max(-32768, Math.min(32767, predicted + best * delta));
      const nibble = best & 0x0f;
      s2 = s1;
      s1 = sample;
      delta = Math.max(16, Math.floor((ADAPT[nibble]! * delta) / 256));
      expected[first + k] = sample / 32768;
      const at = base + 7 + Math.floor((k - 2) / 2);
      data[at]! |= k % 2 === 0 ? nibble << 4 : nibble;
    }
  }
  const fmt = new Uint8Array(22 + 4 * 7);
  const f = new DataView(fmt.buffer);
  f.setUint16(0, 2, true);
  f.setUint16(2, 1, true);
  f.setUint32(4, rate, true);
  f.setUint16(12, blockAlign, true);
  f.setUint16(14, 4, true);
  f.setUint16(16, 32, true);
  f.setUint16(18, perBlock, true);
  f.setUint16(20, 7, true);
  [
    [256, 0],
    [512, -256],
    [0, 0],
    [192, 64],
    [240, 0],
    [460, -208],
    [392, -232],
  ].forEach(([a, b], i) => {
    f.setInt16(22 + 4 * i, a!, true);
    f.setInt16(24 + 4 * i, b!, true);
  });
  const fact = new Uint8Array(4);
  new DataView(fact.buffer).setUint32(0, x.length, true);
  return {
    bytes: handmade([
      ['fmt ', fmt],
      ['fact', fact],
      ['data', data],
    ]),
    expected: expected.subarray(0, x.length),
  };
}

describe('decodeWav: MS ADPCM', () => {
  it('reproduces the encoder exactly and tracks the signal', () => {
    const { bytes, expected } = msAdpcmWav(tone);
    const { info, channels } = decodeWav(bytes);
    expect(info).toMatchObject({ codec: 'ms-adpcm', channels: 1, frames: tone.length });
    expect(Array.from(channels[0]!)).toEqual(Array.from(expected));
    // After the step size has grown to fit the tone (a few samples), the error stays small.
    expect(maxDiff(tone.subarray(20), channels[0]!.subarray(20))).toBeLessThan(0.05);
  });
});

describe('decodeWav: odd and lying files', () => {
  it('reads a data size larger than the file as what is there', () => {
    const bytes = handmade([
      ['fmt ', fmtChunk(1, 1, rate, 16)],
      ['data', int16Data(tone), 1_000_000],
    ]);
    const { channels, info } = decodeWav(bytes);
    expect(info.frames).toBe(tone.length);
    expect(maxDiff(tone, channels[0]!)).toBeLessThan(1e-4);
  });

  it('skips extra chunks, odd-sized ones with and without their pad byte, and trailing junk', () => {
    for (const pad of [true, false]) {
      const odd = new Uint8Array(pad ? 6 : 5).fill(65);
      const bytes = handmade([
        ['fmt ', fmtChunk(1, 1, rate, 16)],
        ['LIST', odd, 5],
        ['bext', new Uint8Array(10)],
        ['data', int16Data(tone)],
      ]);
      const withJunk = new Uint8Array([...bytes, 1, 2, 3]);
      const { channels } = decodeWav(withJunk);
      expect(channels[0]!.length).toBe(tone.length);
      expect(maxDiff(tone, channels[0]!)).toBeLessThan(1e-4);
    }
  });

  it('reads a hand-made big-endian RIFX file', () => {
    const bytes = handmade(
      [
        ['fmt ', fmtChunk(1, 1, rate, 16, false)],
        ['data', int16Data(tone, false)],
      ],
      { le: false },
    );
    expect(maxDiff(tone, decodeWav(bytes).channels[0]!)).toBeLessThan(1e-4);
  });

  it('reads RF64 with sizes in ds64', () => {
    const data = int16Data(tone);
    const ds64 = new Uint8Array(28);
    new DataView(ds64.buffer).setBigUint64(8, BigInt(data.length), true);
    new DataView(ds64.buffer).setBigUint64(16, BigInt(tone.length), true);
    const bytes = handmade(
      [
        ['ds64', ds64],
        ['fmt ', fmtChunk(1, 1, rate, 16)],
        ['data', data, 0xffffffff],
      ],
      {
        riff: 'RF64',
        riffSize: 0xffffffff,
      },
    );
    const { info, channels } = decodeWav(bytes);
    expect(info.container).toBe('rf64');
    expect(maxDiff(tone, channels[0]!)).toBeLessThan(1e-4);
  });

  it('reads 24-bit samples right-justified in 4-byte slots without sign extension (as hound writes them)', () => {
    // hound's expected values for these bytes: -96, 23052, 8388607, -8360672 (of 2^23).
    const data = Uint8Array.from([0xa0, 0xff, 0xff, 0x00, 0x0c, 0x5a, 0x00, 0x00, 0xff, 0xff, 0x7f, 0x00, 0x20, 0x6d, 0x80, 0x00]);
    const { channels } = decodeWav(
      handmade([
        ['fmt ', fmtChunk(1, 2, 48000, 24, true, 8)],
        ['data', data],
      ]),
    );
    expect(Array.from(channels[0]!, (v) => Math.round(v * 2 ** 23))).toEqual([-96, 8388607]);
    expect(Array.from(channels[1]!, (v) => Math.round(v * 2 ** 23))).toEqual([23052, -8360672]);
  });

  it('reads 64-bit integer PCM to full scale without wrapping', () => {
    const data = new Uint8Array(24);
    const v = new DataView(data.buffer);
    [-(2n ** 63n), 2n ** 63n - 1n, 2n ** 62n].forEach((x, i) => v.setBigInt64(8 * i, x, true));
    const { channels } = decodeWav(
      handmade([
        ['fmt ', fmtChunk(1, 1, rate, 64)],
        ['data', data],
      ]),
    );
    expect(Array.from(channels[0]!)).toEqual([-1, 1, 0.5]);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE in RIFX (GUID fields in big-endian order)', () => {
    const fmt = new Uint8Array(40);
    fmt.set(fmtChunk(0xfffe, 1, rate, 16, false));
    const v = new DataView(fmt.buffer);
    v.setUint16(16, 22, false);
    v.setUint16(18, 16, false);
    v.setUint32(24, 1, false); // PCM sub-format, Data1 of the GUID
    const { info, channels } = decodeWav(
      handmade(
        [
          ['fmt ', fmt],
          ['data', int16Data(tone, false)],
        ],
        { le: false },
      ),
    );
    expect(info.codec).toBe('pcm');
    expect(maxDiff(tone, channels[0]!)).toBeLessThan(1e-4);
  });

  it('reads Sony Wave64 (GUID chunk ids, 64-bit sizes, 8-byte alignment)', () => {
    const tail = [0xf3, 0xac, 0xd3, 0x11, 0x8c, 0xd1, 0x00, 0xc0, 0x4f, 0x8e, 0xdb, 0x8a];
    const chunk = (id: string, body: Uint8Array) => {
      const head = new Uint8Array(24);
      head.set(Buffer.from(id, 'latin1'));
      head.set(tail, 4);
      new DataView(head.buffer).setBigUint64(16, BigInt(24 + body.length), true);
      return [...head, ...body, ...new Array((8 - (body.length % 8)) % 8).fill(0)];
    };
    const odd = new Uint8Array(5).fill(7); // forces padding before the next chunk
    const body = [...chunk('fmt ', fmtChunk(1, 1, rate, 16)), ...chunk('junk', odd), ...chunk('data', int16Data(tone))];
    const riff = [0x72, 0x69, 0x66, 0x66, 0x2e, 0x91, 0xcf, 0x11, 0xa5, 0xd6, 0x28, 0xdb, 0x04, 0xc1, 0x00, 0x00];
    const file = new Uint8Array([...riff, 0, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from('wave', 'latin1'), ...tail, ...body]);
    new DataView(file.buffer).setBigUint64(16, BigInt(file.length), true);
    const { info, channels } = decodeWav(file);
    expect(info.container).toBe('w64');
    expect(maxDiff(tone, channels[0]!)).toBeLessThan(1e-4);
  });

  it('gives one-line causes for broken files', () => {
    expect(() => decodeWav(new Uint8Array(0))).toThrow(/empty/);
    expect(() => decodeWav(new Uint8Array([82, 73, 70, 70, 0]))).toThrow(/truncated/);
    expect(() => decodeWav(handmade([['fmt ', fmtChunk(1, 1, rate, 16)]]))).toThrow(/no data chunk/);
    expect(() => decodeWav(handmade([['data', int16Data(tone)]]))).toThrow(/no fmt chunk/);
    expect(() =>
      decodeWav(
        handmade([
          ['fmt ', fmtChunk(0x40, 1, rate, 0)],
          ['data', new Uint8Array(64)],
        ]),
      ),
    ).toThrow(/unsupported codec: WAVE format 0x0040 \(G\.721 ADPCM\)/);
    expect(() =>
      decodeWav(
        handmade([
          ['fmt ', fmtChunk(1, 0, rate, 16)],
          ['data', new Uint8Array(64)],
        ]),
      ),
    ).toThrow(/channel count/);
  });
});

describe('decodeAudio and readAudioInfo on files', () => {
  const write = (name: string, bytes: Uint8Array) => {
    const file = path.join(dir, name);
    writeFileSync(file, bytes);
    return file;
  };

  it('round-trips encodeWav for pcm16 and float32, and reads the header alone', async () => {
    const stereo = [tone, tone.map((v) => -v)];
    for (const encoding of ['pcm16', 'float32'] as const) {
      const file = write(`rt-${encoding}.wav`, encodeWav(stereo, rate, { encoding }));
      const { info, channels } = await decodeAudio(file);
      expect(info).toMatchObject({ container: 'wav', codec: encoding === 'pcm16' ? 'pcm' : 'float', channels: 2, frames: tone.length });
      expect(maxDiff(stereo[1]!, channels[1]!)).toBeLessThan(encoding === 'pcm16' ? 1e-4 : 1e-7);
      expect(await readAudioInfo(file)).toEqual(info);
    }
  });

  /** An AIFF (or AIFF-C with `compression`) file of 8 kHz samples, big-endian unless the codec says otherwise. */
  function aiff(samples: Uint8Array, frames: number, bits: number, compression?: string): Uint8Array {
    const comm = new Uint8Array(compression ? 24 : 18);
    const c = new DataView(comm.buffer);
    c.setUint16(0, 1);
    c.setUint32(2, frames);
    c.setUint16(6, bits);
    c.setUint16(8, 0x400b); // 8000 = 1.953125 * 2^12 as an 80-bit extended: exponent 16383 + 12
    c.setUint32(10, 0xfa000000);
    if (compression) comm.set(Buffer.from(`${compression}\0\0`, 'latin1'), 18);
    const ssnd = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, ...samples]);
    const chunk = (id: string, body: Uint8Array) => {
      const head = new Uint8Array(8);
      head.set(Buffer.from(id, 'latin1'));
      new DataView(head.buffer).setUint32(4, body.length);
      return [...head, ...body, ...(body.length % 2 ? [0] : [])];
    };
    const body = [...Buffer.from(compression ? 'AIFC' : 'AIFF', 'latin1'), ...chunk('COMM', comm), ...chunk('SSND', ssnd)];
    const form = new Uint8Array([...Buffer.from('FORM', 'latin1'), 0, 0, 0, 0, ...body]);
    new DataView(form.buffer).setUint32(4, body.length);
    return form;
  }

  it('reads AIFF 16-bit, signed 8-bit and AIFF-C sowt, whatever the extension', async () => {
    const frames = tone.length;
    const be16 = new Uint8Array(frames * 2);
    const le16 = new Uint8Array(frames * 2);
    const s8 = new Uint8Array(frames);
    tone.forEach((v, i) => {
      new DataView(be16.buffer).setInt16(2 * i, Math.round(v * 32767));
      new DataView(le16.buffer).setInt16(2 * i, Math.round(v * 32767), true);
      new DataView(s8.buffer).setInt8(i, Math.round(v * 127)); // AIFF 8-bit is signed, unlike WAV
    });
    const cases: [string, Uint8Array, number][] = [
      ['16-bit.wav', aiff(be16, frames, 16), 1e-4],
      ['8-bit.aiff', aiff(s8, frames, 8), 1 / 64],
      ['sowt.aifc', aiff(le16, frames, 16, 'sowt'), 1e-4],
    ];
    for (const [name, bytes, tolerance] of cases) {
      const file = write(name, bytes);
      const { info, channels } = await decodeAudio(file);
      expect(info).toMatchObject({ container: 'aiff', codec: 'pcm', sampleRate: 8000, channels: 1, frames });
      expect(maxDiff(tone, channels[0]!)).toBeLessThan(tolerance);
      expect(await readAudioInfo(file)).toEqual(info);
    }
    await expect(decodeAudio(write('ima4.aifc', aiff(be16, frames, 16, 'ima4')))).rejects.toThrow(/ima4\.aifc: unsupported codec: AIFF-C compression "ima4"/);
    await expect(decodeAudio(write('cut.aiff', aiff(be16, frames, 16).subarray(0, 54)))).rejects.toThrow(/cut\.aiff: truncated/);
  });

  it('refuses garbage and non-WAVE RIFF files with a one-line cause', async () => {
    const noise = write(
      'noise.mp3',
      Uint8Array.from({ length: 4096 }, (_, i) => ((i * 7919 + 13) % 251) | 0x80),
    );
    await expect(decodeAudio(noise)).rejects.toThrow(/noise\.mp3: not an audio file/);
    const avi = write('movie.wav', new Uint8Array([...Buffer.from('RIFF\x10\x00\x00\x00AVI LIST', 'latin1'), 0, 0, 0, 0]));
    await expect(decodeAudio(avi)).rejects.toThrow(/movie\.wav: cannot decode a RIFF "AVI " file, not WAVE/);
    await expect(decodeAudio(dir)).rejects.toThrow(/is a folder/);
  });

  it('time-limits a decoder that never finishes', async () => {
    await expect(withTimeout(new Promise(() => {}), 20, 'test decoder')).rejects.toThrow(/test decoder did not finish within 0.02 s/);
    await expect(withTimeout(Promise.resolve(7), 20, 'x')).resolves.toBe(7);
  });

  it('sniffs content, not the extension', async () => {
    const file = write('actually-wav.mp3', encodeWav(tone, rate));
    expect((await decodeAudio(file)).info.container).toBe('wav');
  });

  it('names the file and the cause for empty, missing, garbage and header-only files', async () => {
    const empty = write('empty.wav', new Uint8Array(0));
    await expect(decodeAudio(empty)).rejects.toThrow(`${empty}: empty file`);
    await expect(decodeAudio(path.join(dir, 'missing.wav'))).rejects.toThrow(/missing\.wav: no such file/);
    const text = write('notes.wav', new TextEncoder().encode('hello, this is not audio\n'));
    await expect(decodeAudio(text)).rejects.toThrow(/notes\.wav: not an audio file \(a text file\)/);
    const header = write('header-only.wav', encodeWav(tone, rate).subarray(0, 44));
    await expect(decodeAudio(header)).rejects.toThrow(/header-only\.wav: truncated: the data chunk declares 1600 bytes but none are present/);
    // A zero-length data chunk is a valid empty recording, not an error.
    const silent = write('zero-length.wav', encodeWav(new Float32Array(0), rate));
    expect((await decodeAudio(silent)).info.frames).toBe(0);
    const cut = write('cut.wav', encodeWav(tone, rate).subarray(0, 30));
    await expect(decodeAudio(cut)).rejects.toThrow(/cut\.wav: .*(no data chunk|fmt)/);
  });
});

describe('robustness', () => {
  it('never crashes on mangled WAVs: decodes to finite samples or gives a one-line UserError', async () => {
    const { UserError } = await import('../errors.ts');
    const { decodeAudioBytes } = await import('./decode.ts');
    const bases = [
      encodeWav([tone, tone], rate),
      encodeWav(tone, rate, { encoding: 'float32' }),
      wavefileBytes('24'),
      wavefileBytes('8m', (w) => w.toMuLaw()),
      imaAdpcmWav([tone]),
      msAdpcmWav(tone).bytes,
    ];
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 400; i++) {
      const base = bases[i % bases.length]!;
      let b = base.slice(0, rnd() < 0.5 ? base.length : Math.floor(rnd() * base.length));
      for (let k = 0; k < 4; k++) {
        const at = Math.floor(rnd() * Math.min(b.length, 80));
        if (at < b.length) b[at] = Math.floor(rnd() * 256);
      }
      if (rnd() < 0.2) b = b.subarray(0, Math.floor(rnd() * 60));
      try {
        const { info, channels } = await decodeAudioBytes(b, 'mangled.wav');
        expect(channels).toHaveLength(info.channels);
        for (const c of channels) {
          expect(c.length).toBe(info.frames);
          expect(c.every((v) => Number.isFinite(v) && v >= -1 && v <= 1)).toBe(true);
        }
      } catch (err) {
        expect(err).toBeInstanceOf(UserError);
        expect((err as Error).message).toMatch(/^mangled\.wav: [^\n]+$/);
      }
    }
  });
});

describe('a header that claims more than the file holds', () => {
  const tone = encodeWav(
    Float32Array.from({ length: 16000 }, (_, i) => 0.5 * Math.sin(i * 0.1)),
    16000,
  );

  it('warns "truncated: header declares X, file holds Y" for a cut file', async () => {
    const file = path.join(dir, 'cut.wav');
    writeFileSync(file, tone.subarray(0, 2000)); // as `head -c 2000 tone.wav`
    const info = await readAudioInfo(file);
    expect(info.frames).toBe(978);
    expect(info.warning).toBe('truncated: header declares 1.000 s, file holds 0.061 s');
    expect((await decodeAudio(file)).info.warning).toBe(info.warning);
  });

  it('says so for a ten-hour header on a one-second file, and nothing for a whole file', async () => {
    const liar = Uint8Array.from(tone);
    const data = Buffer.from(liar).indexOf('data');
    new DataView(liar.buffer).setUint32(data + 4, 10 * 3600 * 16000 * 2, true);
    const file = path.join(dir, 'liar.wav');
    writeFileSync(file, liar);
    expect((await readAudioInfo(file)).warning).toBe('truncated: header declares 10:00:00, file holds 1.000 s');
    const whole = path.join(dir, 'whole.wav');
    writeFileSync(whole, tone);
    expect((await readAudioInfo(whole)).warning).toBeUndefined();
  });
});
