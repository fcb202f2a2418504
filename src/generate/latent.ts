/** Latent-space arithmetic: seeded prior samples and paths between two codes. Plain arrays, no tfjs. */
import { mulberry32 } from '../dsp/random.ts';

/**
 * `count` vectors from N(0, I) scaled by `temperature`, from a seeded generator (Box-Muller), so the same seed
 * gives the same samples on any backend.
 */
export function samplePrior(count: number, latent: number, temperature: number, seed: number): Float32Array[] {
  const rand = mulberry32(seed);
  const gauss = () => {
    // 1 - rand() is in (0, 1], so the log is finite.
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    return r * Math.cos(2 * Math.PI * rand());
  };
  return Array.from({ length: count }, () => Float32Array.from({ length: latent }, () => temperature * gauss()));
}

/** a + t (b - a). */
export function lerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  return a.map((v, i) => v + t * (b[i]! - v));
}

/**
 * Spherical interpolation (slerp): moves along the great circle between a and b, so the norm stays near that of
 * Gaussian samples instead of sagging midway as with lerp. Falls back to lerp when a and b are (anti)parallel.
 */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  let dot = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  const cos = dot / (Math.sqrt(na * nb) || 1);
  const omega = Math.acos(Math.min(1, Math.max(-1, cos)));
  const sin = Math.sin(omega);
  if (sin < 1e-6) return lerp(a, b, t);
  const wa = Math.sin((1 - t) * omega) / sin;
  const wb = Math.sin(t * omega) / sin;
  return a.map((v, i) => wa * v + wb * b[i]!);
}

/** The path a -> b in `steps` points (t = 0 ... 1), linear or spherical. */
export function interpolatePath(a: Float32Array, b: Float32Array, steps: number, method: 'linear' | 'spherical'): Float32Array[] {
  const f = method === 'linear' ? lerp : slerp;
  return Array.from({ length: steps }, (_, i) => f(a, b, steps > 1 ? i / (steps - 1) : 0));
}
