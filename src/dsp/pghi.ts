/**
 * Phase Gradient Heap Integration (PGHI; Prusa, Balazs & Sondergaard 2017, "A noniterative method for
 * reconstruction of phase from STFT magnitude"): an initial phase computed from the magnitude alone.
 *
 * For a Gaussian window `g(t) = exp(-pi t^2 / lambda)` the log-magnitude and the phase of the STFT are linked
 * (Cauchy-Riemann), so the phase's slopes follow from the magnitude's:
 *
 *   dphi/dt = N / lambda * dlogS/dk + 2 pi k / N      (radians per sample: the instantaneous frequency)
 *   dphi/dk = -lambda / (N * hop) * dlogS/dt           (radians per bin: minus the group delay)
 *
 * with t in frames, k in bins, derivatives by centred differences. A Hann window of length W is treated as the
 * Gaussian with lambda = 0.25645 W^2 (the paper's fit). Starting from the loudest bin, a max-heap spreads phase to
 * neighbours by trapezoidal integration of these slopes, loudest first; bins quieter than `tolerance` times the
 * peak get random phase. (A bucket queue over 4096 quantised levels stands in for the heap: the same order to
 * about 0.03 dB, in O(1) per bin.) The phase is returned in the STFT's convention (frame-start reference,
 * window centred in the frame), ready to seed Griffin-Lim.
 *
 * Everything after the logarithms runs in a WebAssembly kernel (pghi-wasm.ts, wasm/pghi.c) where WebAssembly
 * is available, with phases bit-identical to the TypeScript loop below, which stays as the fallback.
 */
import { pghiKernelBuffers, runPghiKernel } from './pghi-wasm.ts';
import { mulberry32 } from './random.ts';
import { resolveStftOptions, toBinMajor, toFrameMajor } from './stft.ts';
import type { Spectrogram, StftOptions } from './types.ts';

/** PGHI settings beyond the STFT's. */
export interface PghiOptions {
  /** Bins below this fraction of the peak magnitude get random phase. Default 1e-5 (-100 dB). */
  tolerance?: number;
  /** Seed of the random phase of quiet bins. Default 0. */
  seed?: number;
  /**
   * Which loop integrates the phase: 'wasm' the WebAssembly kernel, 'js' the TypeScript one, 'auto' (default)
   * the kernel wherever it can run. Both give the same phases, bit for bit.
   */
  kernel?: 'auto' | 'wasm' | 'js';
}

export const DEFAULT_PGHI: Required<PghiOptions> = { tolerance: 1e-5, seed: 0, kernel: 'auto' };

/** lambda / W^2 of the Gaussian that stands in for a Hann window of length W (Prusa et al. 2017, table 1). */
const HANN_LAMBDA = 0.25645;

/**
 * PGHI phase from a frame-major magnitude (frames x bins): the engine behind `pghi`, used by Griffin-Lim.
 * @param mag magnitudes, `mag[frame * bins + bin]`.
 * @param phase output phases, same layout.
 */
export function pghiFrameMajor(mag: Float32Array, frames: number, stftOptions: StftOptions, phase: Float64Array, options: PghiOptions = {}): void {
  const { tolerance, seed, kernel } = { ...DEFAULT_PGHI, ...options };
  const { nFft: N, hop, winLength: W, bins } = resolveStftOptions(stftOptions);
  const size = frames * bins;
  // the kernel's buffers: the logarithms and the quiet bins' phases are written straight into its memory
  const wasm = kernel === 'js' ? null : pghiKernelBuffers(size);
  if (kernel === 'wasm' && !wasm) throw new RangeError(`the wasm PGHI kernel needs WebAssembly and room for ${size} bins`);
  const rand = mulberry32(seed);
  const logS = wasm ? wasm.logS : new Float64Array(size);
  const logFloor = logMagnitudes(mag.subarray(0, size), tolerance, logS);
  const lambda = HANN_LAMBDA * W * W;
  const centre = Math.floor((N - W) / 2) + W / 2;

  if (wasm) {
    // quiet bins (level -1 below) get their random phase in index order, as in integratePhase
    const out = wasm.phase;
    for (let i = 0; i < size; i++) if (logS[i]! <= logFloor) out[i] = 2 * Math.PI * rand();
    runPghiKernel(frames, bins, { logFloor, hop, nOverLambda: N / lambda, twoPi: 2 * Math.PI, n: N, coefK: -lambda / (N * hop), centre });
    phase.set(out);
    return;
  }
  const { stepT, stepK } = phaseSlopes(logS, frames, bins, { N, hop, lambda });
  integratePhase(logS, logFloor, frames, bins, stepT, stepK, rand, phase);
  // from the window-centred phase of the derivation to the STFT's frame-start phase: e^{-2 pi i k c / N}
  for (let t = 0; t < frames; t++) {
    for (let k = 0; k < bins; k++) phase[t * bins + k]! -= (2 * Math.PI * k * centre) / N;
  }
}

/** Fills `logS` with the log magnitudes, floored `tolerance` below the peak; returns that floor. */
function logMagnitudes(mag: Float32Array, tolerance: number, logS: Float64Array): number {
  let peak = 0;
  for (let i = 0; i < mag.length; i++) if (mag[i]! > peak) peak = mag[i]!;
  const logFloor = Math.log(Math.max(peak * tolerance, 1e-300));
  for (let i = 0; i < mag.length; i++) logS[i] = Math.max(Math.log(mag[i]! + 1e-300), logFloor);
  return logFloor;
}

/** The phase slopes from the log-magnitude gradients: per hop along time (stepT), per bin along frequency (stepK). */
function phaseSlopes(logS: Float64Array, frames: number, bins: number, g: { N: number; hop: number; lambda: number }) {
  const { N, hop, lambda } = g;
  const stepT = new Float64Array(frames * bins);
  const stepK = new Float64Array(frames * bins);
  for (let t = 0; t < frames; t++) {
    for (let k = 0; k < bins; k++) {
      const i = t * bins + k;
      const dk = bins === 1 ? 0 : k === 0 ? logS[i + 1]! - logS[i]! : k === bins - 1 ? logS[i]! - logS[i - 1]! : 0.5 * (logS[i + 1]! - logS[i - 1]!);
      const dt =
        frames === 1 ? 0 : t === 0 ? logS[i + bins]! - logS[i]! : t === frames - 1 ? logS[i]! - logS[i - bins]! : 0.5 * (logS[i + bins]! - logS[i - bins]!);
      stepT[i] = hop * ((N / lambda) * dk + (2 * Math.PI * k) / N);
      stepK[i] = (-lambda / (N * hop)) * dt;
    }
  }
  return { stepT, stepK };
}

/**
 * Heap integration of the slopes, loudest bin first, through a bucket queue (head[level] starts a linked list
 * through next[]); quiet bins (below the floor) take a random phase, drawn in index order.
 */
function integratePhase(
  logS: Float64Array,
  logFloor: number,
  frames: number,
  bins: number,
  stepT: Float64Array,
  stepK: Float64Array,
  rand: () => number,
  phase: Float64Array,
): void {
  const size = frames * bins;
  const done = new Uint8Array(size);
  const level = quantiseLevels(logS, logFloor, LEVELS); // -1 for quiet bins
  for (let i = 0; i < size; i++) {
    if (level[i]! < 0) {
      done[i] = 1;
      phase[i] = 2 * Math.PI * rand();
    }
  }
  const seeds = sortByLevel(level, LEVELS);
  const head = new Int32Array(LEVELS).fill(-1);
  const next = new Int32Array(size);
  let top = -1;
  for (let s = 0; s < seeds.length; s++) {
    const start = seeds[s]!;
    if (done[start]) continue;
    done[start] = 1;
    phase[start] = 0;
    top = level[start]!;
    next[start] = -1;
    head[top] = start;
    for (;;) {
      while (top >= 0 && head[top]! < 0) top--;
      if (top < 0) break;
      const i = head[top]!;
      head[top] = next[i]!;
      const t = (i / bins) | 0;
      const k = i - t * bins;
      const p = phase[i]!;
      // the four neighbours: next frame, previous frame, next bin, previous bin
      for (let d = 0; d < 4; d++) {
        let j: number, value: number;
        if (d === 0) {
          if (t + 1 >= frames || done[(j = i + bins)]) continue;
          value = p + 0.5 * (stepT[i]! + stepT[j]!);
        } else if (d === 1) {
          if (t === 0 || done[(j = i - bins)]) continue;
          value = p - 0.5 * (stepT[i]! + stepT[j]!);
        } else if (d === 2) {
          if (k + 1 >= bins || done[(j = i + 1)]) continue;
          value = p + 0.5 * (stepK[i]! + stepK[j]!);
        } else {
          if (k === 0 || done[(j = i - 1)]) continue;
          value = p - 0.5 * (stepK[i]! + stepK[j]!);
        }
        done[j] = 1;
        phase[j] = value;
        const b = level[j]!;
        next[j] = head[b]!;
        head[b] = j;
        if (b > top) top = b;
      }
    }
  }
}

/**
 * PGHI: an initial STFT phase estimated from a magnitude spectrogram (see the module comment).
 * @param mag magnitudes, bins x frames, made with a Hann window and the given STFT settings.
 * @param stftOptions nFft, hop, winLength of that STFT.
 * @param options tolerance (1e-5 of the peak), seed (0).
 * @returns phases in radians, bins x frames, bin-major.
 * @example const phase = pghi(S, { nFft: 512, hop: 128 });
 */
export function pghi(mag: Spectrogram, stftOptions: StftOptions, options: PghiOptions = {}): Float32Array {
  const m = toFrameMajor(mag.data, mag.bins, mag.frames);
  const phase = new Float64Array(m.length);
  pghiFrameMajor(m, mag.frames, stftOptions, phase, options);
  return toBinMajor(phase, mag.bins, mag.frames);
}

/** Quantisation of log-levels for the bucket queue. */
const LEVELS = 4096;

/** Each bin's level as an integer 0 (quietest loud bin) .. levels-1 (the peak), or -1 at or below the floor. */
function quantiseLevels(logS: Float64Array, logFloor: number, levels: number): Int32Array {
  let logMax = -Infinity;
  for (let i = 0; i < logS.length; i++) if (logS[i]! > logMax) logMax = logS[i]!;
  const scale = (levels - 1) / (logMax - logFloor + 1e-12);
  const out = new Int32Array(logS.length);
  for (let i = 0; i < logS.length; i++) out[i] = logS[i]! <= logFloor ? -1 : Math.floor((logS[i]! - logFloor) * scale);
  return out;
}

/** Indices of the bins with level >= 0, loudest level first (a counting sort). */
function sortByLevel(level: Int32Array, levels: number): Int32Array {
  const start = new Int32Array(levels + 1);
  let count = 0;
  for (let i = 0; i < level.length; i++) {
    if (level[i]! < 0) continue;
    start[levels - 1 - level[i]! + 1]!++;
    count++;
  }
  for (let b = 0; b < levels; b++) start[b + 1]! += start[b]!;
  const order = new Int32Array(count);
  for (let i = 0; i < level.length; i++) if (level[i]! >= 0) order[start[levels - 1 - level[i]!]!++] = i;
  return order;
}
