/**
 * The TypeScript half of quad-stft.h: the tables its STFT reads, written into a kernel's memory.
 */
import type { StftPlan } from '../stft.ts';
import type { Layout } from './load.ts';

/** Addresses of the tables in a kernel's memory (see QuadStft in quad-stft.h). */
export interface QuadStftTables {
  window: number;
  padTarget: number;
  padSource: number;
  twiddle: number;
  realTwiddle: number;
  bitReverse: number;
}

/** Addresses of the tables and of the analysis scratch (zr, zi: the FFT's; xr, xi: one quad's STFT). */
export interface QuadStftBuffers extends QuadStftTables {
  zr: number;
  zi: number;
  xr: number;
  xi: number;
}

/** Takes the tables and the scratch of `stft`'s quad analysis from `layout`. */
export function takeQuadStftBuffers(layout: Layout, stft: StftPlan): QuadStftBuffers {
  const N = stft.options.nFft, M = N / 2;
  const f32 = (n: number) => layout.take(4 * n);
  return {
    window: f32(N), padTarget: f32(stft.padTarget.length), padSource: f32(stft.padSource.length),
    twiddle: f32(M), realTwiddle: f32(M + 2), bitReverse: f32(M),
    zr: f32(4 * M), zi: f32(4 * M), xr: f32(4 * (M + 1)), xi: f32(4 * (M + 1)),
  };
}

/**
 * Samples of the padded signal a quad kernel works on: the StftPlan's, plus room for the phantom frames that fill
 * the last quad (zeros past paddedLength), rounded to whole vectors.
 */
export function quadPaddedLength(stft: StftPlan): number {
  const quads = Math.ceil(stft.frames / 4);
  return Math.ceil(Math.max(stft.paddedLength, (4 * quads - 1) * stft.options.hop + stft.options.nFft) / 4) * 4;
}

/** Writes the analysis window, the centre-padding tables, the twiddles and the bit reversal of `stft`. */
export function writeQuadStftTables(buffer: ArrayBuffer, at: QuadStftTables, stft: StftPlan): void {
  const N = stft.options.nFft;
  const M = N / 2;
  new Float32Array(buffer, at.window, N).set(stft.window);
  new Int32Array(buffer, at.padTarget, stft.padTarget.length).set(stft.padTarget);
  new Int32Array(buffer, at.padSource, stft.padSource.length).set(stft.padSource);
  const twiddle = new Float32Array(buffer, at.twiddle, M);
  for (let k = 0; k < M / 2; k++) [twiddle[2 * k], twiddle[2 * k + 1]] = [Math.cos((-2 * Math.PI * k) / M), Math.sin((-2 * Math.PI * k) / M)];
  const realTwiddle = new Float32Array(buffer, at.realTwiddle, M + 2);
  for (let k = 0; k <= M / 2; k++) [realTwiddle[2 * k], realTwiddle[2 * k + 1]] = [Math.cos((-2 * Math.PI * k) / N), Math.sin((-2 * Math.PI * k) / N)];
  new Int32Array(buffer, at.bitReverse, M).set(bitReversal(M));
}

/** Bit-reversal permutation of 0..n-1 (n a power of two). */
function bitReversal(n: number): Int32Array {
  const bits = Math.log2(n);
  return Int32Array.from({ length: n }, (_, i) => {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    return r;
  });
}
