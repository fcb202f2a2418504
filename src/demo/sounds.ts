/**
 * Procedural sounds for the built-in demo dataset: five families that a VAE can learn to tell apart and that
 * a listener recognises at once. Each generator is a small pure function of its parameters and a seeded RNG.
 */
import { mulberry32 } from '../dsp/random.ts';
import type { Hertz, Seconds } from '../units.ts';

/** A seeded pseudo-random source: same seed, same sounds. */
export const makeRng = mulberry32;

/** Common settings of every generator. */
export interface ToneSpec {
  sampleRate: Hertz;
  duration: Seconds;
  /** Fundamental or start frequency. */
  frequency: Hertz;
}

function buffer(spec: ToneSpec): Float32Array {
  return new Float32Array(Math.round(spec.sampleRate * spec.duration));
}

/** Scales to a peak of `peak` (0.8 leaves headroom for WAV writing). */
export function normalisePeak(x: Float32Array, peak = 0.8): Float32Array {
  let max = 0;
  for (const v of x) max = Math.max(max, Math.abs(v));
  if (max > 0) for (let i = 0; i < x.length; i++) x[i] = (x[i]! * peak) / max;
  return x;
}

/**
 * A plucked string by Karplus-Strong: a noise burst circulating in a delay line of one period,
 * low-pass averaged each pass so high partials die first, as on a real string.
 */
export function pluck(spec: ToneSpec, rng: () => number, damping = 0.996): Float32Array {
  const out = buffer(spec);
  const period = Math.max(2, Math.round(spec.sampleRate / spec.frequency));
  const line = new Float32Array(period);
  for (let i = 0; i < period; i++) line[i] = rng() * 2 - 1;
  for (let i = 0; i < out.length; i++) {
    const j = i % period;
    const next = line[(j + 1) % period]!;
    out[i] = line[j]!;
    line[j] = damping * 0.5 * (line[j]! + next);
  }
  return normalisePeak(out);
}

/** A struck bell: inharmonic partials (ratios of a church bell) each with its own exponential decay. */
export function bell(spec: ToneSpec): Float32Array {
  const out = buffer(spec);
  const partials = [
    { ratio: 0.5, gain: 0.6, decay: 1.2 },
    { ratio: 1, gain: 1, decay: 0.9 },
    { ratio: 1.19, gain: 0.5, decay: 0.7 },
    { ratio: 1.56, gain: 0.45, decay: 0.5 },
    { ratio: 2, gain: 0.4, decay: 0.4 },
    { ratio: 2.66, gain: 0.3, decay: 0.25 },
    { ratio: 3.01, gain: 0.2, decay: 0.2 },
  ];
  const nyquist = spec.sampleRate / 2;
  for (const p of partials) {
    const f = spec.frequency * p.ratio;
    if (f >= nyquist) continue;
    const w = (2 * Math.PI * f) / spec.sampleRate;
    const tau = p.decay * spec.sampleRate;
    for (let i = 0; i < out.length; i++) out[i]! += p.gain * Math.exp(-i / tau) * Math.sin(w * i);
  }
  return normalisePeak(out);
}

/** A drum hit: a sine whose pitch falls fast (the membrane) plus a burst of decaying noise (the stick). */
export function drum(spec: ToneSpec, rng: () => number, noiseMix = 0.3): Float32Array {
  const out = buffer(spec);
  const rate = spec.sampleRate;
  let phase = 0;
  for (let i = 0; i < out.length; i++) {
    const t = i / rate;
    const f = spec.frequency * (1 + 2 * Math.exp(-t / 0.02));
    phase += (2 * Math.PI * f) / rate;
    const body = Math.sin(phase) * Math.exp(-t / 0.15);
    const noise = (rng() * 2 - 1) * Math.exp(-t / 0.03);
    out[i] = (1 - noiseMix) * body + noiseMix * noise;
  }
  return normalisePeak(out);
}

/** Formant frequencies (F1, F2, F3) of five vowels, an adult voice. */
export const VOWELS = {
  a: [730, 1090, 2440],
  e: [530, 1840, 2480],
  i: [270, 2290, 3010],
  o: [570, 840, 2410],
  u: [300, 870, 2240],
} as const satisfies Record<string, readonly Hertz[]>;

/**
 * A sung vowel: a glottal pulse train at the pitch, through three two-pole resonators at the vowel's formants,
 * with a slow vibrato and soft attack and release.
 */
export function vowel(spec: ToneSpec, formants: readonly Hertz[]): Float32Array {
  const rate = spec.sampleRate;
  const out = buffer(spec);
  const source = new Float32Array(out.length);
  let phase = 0;
  for (let i = 0; i < out.length; i++) {
    const f0 = spec.frequency * (1 + 0.01 * Math.sin((2 * Math.PI * 5 * i) / rate));
    phase += f0 / rate;
    if (phase >= 1) {
      phase -= 1;
      source[i] = 1;
    }
  }
  for (const f of formants) {
    if (f >= rate / 2) continue;
    const bw = 80 + f * 0.06;
    const r = Math.exp((-Math.PI * bw) / rate);
    const a1 = 2 * r * Math.cos((2 * Math.PI * f) / rate);
    const a2 = -r * r;
    let y1 = 0;
    let y2 = 0;
    for (let i = 0; i < out.length; i++) {
      const y = source[i]! + a1 * y1 + a2 * y2;
      out[i]! += y;
      y2 = y1;
      y1 = y;
    }
  }
  applyEnvelope(out, rate, 0.03, 0.08);
  return normalisePeak(out);
}

/** An exponential sine sweep from `frequency` to `endFrequency`. */
export function chirp(spec: ToneSpec, endFrequency: Hertz): Float32Array {
  const rate = spec.sampleRate;
  const out = buffer(spec);
  const ratio = endFrequency / spec.frequency;
  let phase = 0;
  for (let i = 0; i < out.length; i++) {
    const f = spec.frequency * ratio ** (i / out.length);
    phase += (2 * Math.PI * f) / rate;
    out[i] = Math.sin(phase);
  }
  applyEnvelope(out, rate, 0.01, 0.05);
  return normalisePeak(out);
}

/** Linear fade in and out, in place, so sustained sounds start and stop without clicks. */
export function applyEnvelope(x: Float32Array, rate: Hertz, attack: Seconds, release: Seconds): void {
  const a = Math.max(1, Math.round(attack * rate));
  const r = Math.max(1, Math.round(release * rate));
  for (let i = 0; i < Math.min(a, x.length); i++) x[i]! *= i / a;
  for (let i = 0; i < Math.min(r, x.length); i++) x[x.length - 1 - i]! *= i / r;
}
