import { describe, expect, it } from 'vitest';
import { frameLevels, loudnessLufs, normalizeLoudness, normalizePeak, removeEdgeClicks, removeSilences, trimSilence } from './cleanup.ts';
import {
  type CleanupSteps,
  FrameMeter,
  LufsMeter,
  measureFrames,
  measureGain,
  openCleanedAudio,
  type PlanMeasures,
  planCleanup,
  planCleanupWith,
  planStart,
  sharedLevels,
} from './cleanup-stream.ts';
import { toMono } from './mono.ts';
import type { AudioReader } from './types.ts';

/** The whole-file chain, in the order and with the options `Cleaner.clean` uses. */
function cleanWhole(x: Float32Array, sr: number, steps: CleanupSteps): { samples: Float32Array; start: number } {
  let start = 0;
  if (steps.clicks) x = removeEdgeClicks(x, sr, steps.clicks);
  if (steps.trim) ({ samples: x, start } = trimSilence(x, sr, steps.trim));
  if (steps.silences) x = removeSilences(x, sr, steps.silences);
  const level = steps.level;
  if (level?.method === 'peak') x = normalizePeak(x, level.target);
  else if (level) x = normalizeLoudness(x, sr, { method: level.method, target: level.target });
  return { samples: x, start };
}

/** An in-memory reader that records every range read. */
function memoryReader(channels: Float32Array[], sampleRate: number, reads: number[] = []): AudioReader {
  const frames = channels[0]!.length;
  return {
    info: { file: 'mem', container: 'wav', codec: 'float', sampleRate, channels: channels.length, frames, duration: frames / sampleRate },
    streaming: true,
    read: async (start, count) => {
      const from = Math.max(0, Math.min(start, frames));
      const to = Math.max(from, Math.min(start + count, frames));
      reads.push(to - from);
      return channels.map((c) => c.subarray(from, to));
    },
    close: async () => undefined,
  };
}

/** A test tape: clicks at both ends, silent lead-in and lead-out, tones with long and short pauses, faint hiss. */
function tape(sr: number, seed = 1): Float32Array[] {
  const parts: [number, number, number][] = [
    // seconds, amplitude, frequency
    [0.45, 0, 0],
    [0.7, 0.5, 440],
    [1.63, 0, 0],
    [0.5, 0.2, 660],
    [0.4, 0, 0], // a short pause, kept
    [0.3, 0.35, 300],
    [2.37, 0, 0],
    [0.41, 0.6, 520],
    [0.55, 0, 0],
  ];
  const n = parts.reduce((a, [s]) => a + Math.round(s * sr), 0);
  const left = new Float32Array(n);
  let at = 0;
  let r = seed;
  const noise = () => ((r = (r * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 2e-4;
  for (const [s, amp, f] of parts) {
    const len = Math.round(s * sr);
    for (let i = 0; i < len; i++) left[at + i] = amp * Math.sin((2 * Math.PI * f * i) / sr) + noise();
    at += len;
  }
  // Tape clicks: a few loud samples at the very start and end.
  for (let i = 0; i < 6; i++) left[3 + i] = 0.9 * (i % 2 ? -1 : 1);
  for (let i = 0; i < 5; i++) left[n - 10 + i] = 0.8 * (i % 2 ? -1 : 1);
  const right = left.map((v, i) => v * 0.5 + (i % 7) * 1e-5);
  return [left, right];
}

const ALL: CleanupSteps = { clicks: {}, trim: { thresholdDb: -40 }, silences: { minSilence: 1, thresholdDb: -45 }, level: { method: 'rms', target: -20 } };
const COMBOS: Record<string, CleanupSteps> = {
  'all, rms': ALL,
  'all, peak': { ...ALL, level: { method: 'peak', target: -1 } },
  'all, lufs': { ...ALL, level: { method: 'lufs', target: -23 } },
  'clicks only': { clicks: {}, trim: null, silences: null, level: null },
  'trim only': { clicks: null, trim: {}, silences: null, level: null },
  'silences only (no trim)': { clicks: null, trim: null, silences: { minSilence: 0.5 }, level: null },
  'lufs only': { clicks: null, trim: null, silences: null, level: { method: 'lufs', target: -18 } },
  'clicks, silences, peak': { clicks: {}, trim: null, silences: { minSilence: 1 }, level: { method: 'peak', target: -3 } },
};

/** Largest |a - b|, Infinity when the lengths differ. */
function maxDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/** Reads a whole reader forward in `block`-sample reads that step back `back` samples each time (a filter's reach). */
async function readAll(reader: AudioReader, block: number, back = 0): Promise<Float32Array> {
  const out = new Float32Array(reader.info.frames);
  for (let at = 0; at < out.length; at += block) {
    const from = Math.max(0, at - back);
    const [x] = await reader.read(from, at + block - from);
    out.set(x!.subarray(at - from), at);
  }
  return out;
}

describe('streaming clean-up equals the whole-file chain', () => {
  for (const sr of [8000, 22050]) {
    const channels = tape(sr);
    const mono = toMono(channels);
    for (const [name, steps] of Object.entries(COMBOS)) {
      it(`${name}, ${sr} Hz, chunks from 37 samples (under a frame) to the whole file`, async () => {
        const want = cleanWhole(mono, sr, steps);
        for (const chunk of [37, 200, 999, 4096, 1 << 20]) {
          const reads: number[] = [];
          const cleaned = await openCleanedAudio(memoryReader(channels, sr, reads), steps, { chunk });
          expect(cleaned.plan.start, `chunk ${chunk}`).toBe(want.start);
          expect(cleaned.info.frames, `chunk ${chunk}`).toBe(want.samples.length);
          // Never more than a chunk read from the source while planning.
          expect(Math.max(...reads)).toBeLessThanOrEqual(chunk);
          for (const [block, back] of [
            [3001, 0],
            [777, 64],
          ] as const) {
            expect(maxDiff(await readAll(cleaned, block, back), want.samples), `chunk ${chunk}, block ${block}`).toBe(0);
          }
        }
      });
    }
  }

  it('finds what the test tape holds: both clicks, the trimmed ends and two long silences', async () => {
    const sr = 8000;
    const plan = await planCleanup(memoryReader(tape(sr), sr), ALL, { chunk: 1000 });
    expect(plan.clicks.head).toBeGreaterThan(0);
    expect(plan.clicks.tail).toBeGreaterThan(0);
    expect(plan.start / sr).toBeGreaterThan(0.4);
    expect(plan.end).toBeLessThan(plan.inputLength - 0.5 * sr);
    expect(plan.cuts.length).toBe(2);
    expect(plan.gain).toBeGreaterThan(0);
  });

  it('reads any range on demand, silences cut never read', async () => {
    const sr = 8000;
    const channels = tape(sr);
    const want = cleanWhole(toMono(channels), sr, ALL).samples;
    const reads: number[] = [];
    const cleaned = await openCleanedAudio(memoryReader(channels, sr, reads), ALL, { chunk: 500 });
    reads.length = 0;
    for (const [a, n] of [
      [5000, 300],
      [100, 4000],
      [want.length - 50, 100],
      [7000, 1],
    ] as const) {
      const [x] = await cleaned.read(a, n);
      expect(maxDiff(x!, want.subarray(a, a + n))).toBe(0);
    }
    // The output reads touch the input piece by piece: none spans a 1.6 s or 2.4 s silence.
    expect(Math.max(...reads)).toBeLessThan(1.2 * sr);
  });

  it('gives nothing for an all-silent input, as trimming does', async () => {
    const silent = [new Float32Array(3000)];
    const cleaned = await openCleanedAudio(memoryReader(silent, 8000), ALL, { chunk: 128 });
    expect(cleaned.info.frames).toBe(0);
    expect(cleaned.plan.start).toBe(0);
    expect(cleanWhole(silent[0]!, 8000, ALL).samples.length).toBe(0);
  });

  it('handles an input shorter than the click context and a frame', async () => {
    const x = Float32Array.from({ length: 150 }, (_, i) => Math.sin(i * 0.2) * (i < 3 ? 0.9 : 0.1));
    for (const chunk of [7, 64, 1000]) {
      const cleaned = await openCleanedAudio(memoryReader([x], 8000), ALL, { chunk });
      expect(maxDiff(await readAll(cleaned, 50), cleanWhole(x, 8000, ALL).samples)).toBe(0);
    }
  });
});

describe('planning shared among workers', () => {
  /** Measures each pass in `shares` ranges of frames read separately (as workers read them), concatenated. */
  function splitMeasures(source: AudioReader, shares: number, chunk: number): PlanMeasures & { ranges: number } {
    const m = {
      ranges: 0,
      async frames(plan: Parameters<PlanMeasures['frames']>[0], g: Parameters<PlanMeasures['frames']>[1]) {
        const levels = sharedLevels(plan, g);
        const bounds = Array.from({ length: shares + 1 }, (_, k) => Math.floor((k * levels.length) / shares));
        // Last range first: no share may depend on another's having been read.
        for (let k = shares - 1; k >= 0; k--) await measureFrames(source, plan, g, { first: bounds[k]!, end: bounds[k + 1]!, levels }, { chunk });
        m.ranges += shares;
        return levels;
      },
      gain: (plan: Parameters<PlanMeasures['gain']>[0], level: Parameters<PlanMeasures['gain']>[1]) => measureGain(source, plan, level, { chunk }),
    };
    return m;
  }

  for (const [name, steps] of Object.entries(COMBOS)) {
    it(`${name}: frames measured in 1, 3 or 7 ranges give planCleanup's plan`, async () => {
      const sr = 8000;
      const channels = tape(sr);
      const want = await planCleanup(memoryReader(channels, sr), steps, { chunk: 999 });
      for (const shares of [1, 3, 7]) {
        const source = memoryReader(channels, sr);
        const measures = splitMeasures(source, shares, 777);
        const plan = await planCleanupWith(await planStart(source, steps.clicks), steps, measures);
        expect(plan, `${shares} ranges`).toEqual(want);
        expect(measures.ranges).toBe(shares * (Number(!!steps.trim) + Number(!!steps.silences)));
      }
    });
  }

  it('an input shorter than a frame and the click context, and a silent one', async () => {
    const short = [Float32Array.from({ length: 150 }, (_, i) => Math.sin(i * 0.2) * (i < 3 ? 0.9 : 0.1))];
    for (const channels of [short, [new Float32Array(3000)]]) {
      const want = await planCleanup(memoryReader(channels, 8000), ALL, { chunk: 64 });
      const source = memoryReader(channels, 8000);
      expect(await planCleanupWith(await planStart(source, ALL.clicks), ALL, splitMeasures(source, 3, 50))).toEqual(want);
    }
  });
});

describe('streaming meters', () => {
  const x = Float32Array.from({ length: 12345 }, (_, i) => Math.sin(i * 0.07) * (i % 3000 < 1500 ? 0.5 : 0.001));

  it('FrameMeter gives frameLevels exactly, whatever the chunks', () => {
    const want = frameLevels(x, 8000, 0.025, 0.01);
    for (const chunk of [1, 13, 80, 200, 5000]) {
      const meter = new FrameMeter(want.frameLength, want.hopLength);
      for (let a = 0; a < x.length; a += chunk) meter.push(x.subarray(a, a + chunk));
      const got = meter.finish();
      expect(got.length).toBe(x.length);
      expect(Array.from(got.levels)).toEqual(Array.from(want.levels));
    }
    // A hop longer than the frame skips samples between frames.
    const sparse = frameLevels(x, 8000, 0.005, 0.02);
    const meter = new FrameMeter(sparse.frameLength, sparse.hopLength);
    for (let a = 0; a < x.length; a += 99) meter.push(x.subarray(a, a + 99));
    expect(Array.from(meter.finish().levels)).toEqual(Array.from(sparse.levels));
  });

  it('LufsMeter gives loudnessLufs exactly, long and short signals', () => {
    for (const [n, chunk] of [
      [12345, 1000],
      [12345, 7],
      [3000, 100], // under one 400 ms block at 8 kHz
      [0, 10],
    ] as const) {
      const meter = new LufsMeter(8000);
      for (let a = 0; a < n; a += chunk) meter.push(x.subarray(a, Math.min(n, a + chunk)));
      expect(meter.loudness()).toBe(loudnessLufs(x.subarray(0, n), 8000));
    }
  });
});
