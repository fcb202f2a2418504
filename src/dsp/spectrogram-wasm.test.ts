import { describe, expect, it } from 'vitest';
import { LogSpectrogramExtractor } from '../dataset/stages.ts';
import { PRESETS, spectrogramShape, type PreprocessSettings } from '../dataset/presets.ts';
import { mulberry32 } from './random.ts';
import { StftPlan } from './stft.ts';
import { WasmSpectrogramPlan, wasmSpectrogramSupports } from './spectrogram-wasm.ts';

type Settings = Pick<PreprocessSettings, 'nFft' | 'hop' | 'clip' | 'dropNyquist' | 'db'>;

const signals: Record<string, (n: number, sr: number) => Float32Array> = {
  silence: (n) => new Float32Array(n),
  tone: (n, sr) => Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / sr)),
  // full-scale noise, a third of it clipped at +-1
  clipping: (n) => {
    const r = mulberry32(7);
    return Float32Array.from({ length: n }, () => Math.max(-1, Math.min(1, 3 * (r() - 0.5))));
  },
  // a chirp over quiet noise, silent for its last fifth (digital silence: whole quads skip the FFT)
  speechLike: (n, sr) => {
    const r = mulberry32(3);
    return Float32Array.from({ length: n }, (_, i) =>
      i > 0.8 * n ? 0 : 0.3 * Math.sin((2 * Math.PI * (200 + (3000 * i) / n) * i) / sr) * Math.exp(-i / n) + 1e-3 * (r() - 0.5),
    );
  },
};

/**
 * The dB difference allowed at a cell `below` dB under the clip's peak: 1e-3 dB down to 60 dB, then growing as
 * float32 FFT rounding does (an absolute error near eps times the peak: 10x per 20 dB).
 */
const tolerance = (below: number) => (below < 60 ? 1e-3 : 1e-3 * 10 ** ((below - 50) / 20));

/**
 * Kernel vs TypeScript: the largest |dB difference| within 60 dB of the peak, the largest difference over its
 * tolerance anywhere, and whether the top_db clamp picked the same cells.
 */
function compare(s: Settings, x: Float32Array): { maxDiff: number; worst: number; floorDiff: number; clampMismatch: number } {
  const wasm = new LogSpectrogramExtractor(s);
  const ts = new LogSpectrogramExtractor(s, { kernel: 'js' });
  expect([wasm.kernel, ts.kernel]).toEqual(['wasm', 'js']);
  const a = wasm.extract(x),
    b = ts.extract(x);
  expect(a.length).toBe(b.length);
  let maxDiff = 0,
    worst = 0,
    peak = -Infinity,
    floorA = Infinity,
    floorB = Infinity,
    clampMismatch = 0;
  for (let i = 0; i < a.length; i++) {
    peak = Math.max(peak, b[i]!);
    floorA = Math.min(floorA, a[i]!);
    floorB = Math.min(floorB, b[i]!);
  }
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i]! - b[i]!),
      below = peak - b[i]!;
    if (below < 60) maxDiff = Math.max(maxDiff, diff);
    worst = Math.max(worst, diff / tolerance(below));
  }
  // A cell clamped by one path and not the other must sit at the floor to within rounding.
  for (let i = 0; i < a.length; i++) if ((a[i] === floorA) !== (b[i] === floorB) && Math.abs(b[i]! - floorB) > 1e-3) clampMismatch++;
  return { maxDiff, worst, floorDiff: Math.abs(floorA - floorB), clampMismatch };
}

describe.skipIf(!wasmSpectrogramSupports(512))('the WebAssembly spectrogram kernel', () => {
  const presets = { reference: PRESETS.reference, digits: PRESETS.digits, music: PRESETS.music };
  for (const [preset, base] of Object.entries(presets)) {
    for (const [name, make] of Object.entries(signals)) {
      it(`matches the TypeScript extractor: ${preset} preset, ${name}`, () => {
        const r = compare(base, make(base.clip, base.sampleRate));
        expect(r.maxDiff).toBeLessThan(1e-3);
        expect(r.worst).toBeLessThan(1);
        expect(r.floorDiff).toBeLessThan(1e-3);
        expect(r.clampMismatch).toBe(0);
      });
    }
  }

  for (const nFft of [256, 512, 1024, 2048]) {
    for (const dropNyquist of [true, false]) {
      it(`matches the TypeScript extractor: nFft ${nFft}, hop ${nFft / 4}, dropNyquist ${dropNyquist}`, () => {
        // 61 frames: the last quad has one phantom frame
        const s: Settings = { nFft, hop: nFft / 4, clip: (nFft / 4) * 60 + 3, dropNyquist, db: PRESETS.reference.db };
        expect(spectrogramShape(s)).toEqual([dropNyquist ? nFft / 2 : nFft / 2 + 1, 61]);
        for (const make of Object.values(signals)) {
          const r = compare(s, make(s.clip, 22050));
          expect(r.maxDiff).toBeLessThan(1e-3);
          expect(r.worst).toBeLessThan(1);
          expect(r.clampMismatch).toBe(0);
        }
      });
    }
  }

  it('follows the dB options: another ref and amin, no top_db clamp', () => {
    const x = signals.speechLike!(PRESETS.reference.clip, 22050);
    for (const db of [
      { ref: 0.25, amin: 1e-4, topDb: 40 },
      { ref: 2, amin: 1e-6, topDb: null },
      { ref: 1, amin: 1e-5, topDb: 0 },
    ]) {
      const r = compare({ ...PRESETS.reference, db }, x);
      expect(r.maxDiff).toBeLessThan(1e-3);
      expect(r.worst).toBeLessThan(1);
      expect(r.clampMismatch).toBe(0);
    }
  });

  it('is deterministic, takes short clips zero-filled, and falls back for ref "max"', () => {
    const s = PRESETS.reference;
    const x = signals.clipping!(s.clip, 22050);
    const e = new LogSpectrogramExtractor(s);
    expect(Array.from(e.extract(x))).toEqual(Array.from(e.extract(x)));
    const short = x.subarray(0, 9000),
      filled = new Float32Array(s.clip);
    filled.set(short);
    expect(Array.from(e.extract(short))).toEqual(Array.from(e.extract(filled)));
    expect(wasmSpectrogramSupports(512, { ref: 'max' })).toBe(false);
    expect(wasmSpectrogramSupports(500)).toBe(false);
    expect(new LogSpectrogramExtractor({ ...s, db: { ...s.db, ref: 'max' as unknown as number } }).kernel).toBe('js');
    const plan = new StftPlan({ nFft: 512, hop: 256, center: true, padMode: 'reflect' }, 64, s.clip);
    expect(() => new WasmSpectrogramPlan(plan, 258)).toThrow(RangeError);
  });
});
