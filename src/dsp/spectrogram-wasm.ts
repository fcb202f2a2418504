/**
 * The WebAssembly SIMD kernel of the log-magnitude spectrogram (wasm/spectrogram.c): centre padding, STFT
 * (float32, four frames per SIMD vector, griffinlim.c's FFT), power, dB in float64 and the top_db clamp, written
 * bin-major. One instance per clip shape: windows, twiddles and tables come from an `StftPlan`.
 *
 * Matches `amplitudeToDb(|stft|)` with a numeric ref up to float32 FFT rounding (well under 1e-3 dB).
 */
import { DEFAULT_DB, resolveDbOptions } from './db.ts';
import { isPowerOfTwo } from './fft.ts';
import type { StftPlan } from './stft.ts';
import type { DbOptions } from './types.ts';
import { quadPaddedLength, takeQuadStftBuffers, writeQuadStftTables } from './wasm/quad-stft.ts';
import { WASM_BASE64 } from './wasm/spectrogram-binary.ts';
import { instantiate, Layout, loadKernel, PAGE } from './wasm/load.ts';

interface KernelExports {
  extract(plan: number): void;
}

/** The compiled kernel, or null where WebAssembly has no SIMD. */
const kernelModule = () => loadKernel(WASM_BASE64);

/**
 * True when the kernel can compute this spectrogram: WebAssembly SIMD, nFft a power of two >= 8, and a numeric
 * ref (for ref 'max', use the TypeScript path).
 */
export function wasmSpectrogramSupports(nFft: number, db: DbOptions = {}): boolean {
  const ref = db.ref ?? DEFAULT_DB.ref;
  return isPowerOfTwo(nFft) && nFft >= 8 && typeof ref === 'number' && kernelModule() !== null;
}

/** The kernel's Plan struct, field by field (4 bytes each), in the order of spectrogram.c. */
const PLAN_FIELDS = [
  'M',
  'N',
  'hop',
  'outBins',
  'quads',
  'frames',
  'padCount',
  'clampTop',
  'window',
  'padTarget',
  'padSource',
  'twiddle',
  'realTwiddle',
  'bitReverse',
  'padded',
  'zr',
  'zi',
  'xr',
  'xi',
  'out',
  'db',
] as const;

/** One kernel instance for one clip shape: `extract(signal)` gives the outBins x frames dB spectrogram. */
export class WasmSpectrogramPlan {
  private readonly kernel: KernelExports;
  private readonly plan: number;
  private readonly signal: Float32Array;
  private readonly out: Float32Array;

  /**
   * @param stft the framing (centred, reflect or constant padding as its tables say) and clip length.
   * @param outBins bins kept, from 0: stft.bins, or stft.bins - 1 to drop the Nyquist bin.
   * @param db amplitudeToDb's options; ref must be a number.
   */
  constructor(stft: StftPlan, outBins: number, db: DbOptions = {}) {
    const kernel = kernelModule();
    if (!kernel) throw new Error('this WebAssembly has no SIMD: use the TypeScript spectrogram');
    const { nFft: N, hop } = stft.options;
    if (!isPowerOfTwo(N) || N < 8) throw new RangeError(`the spectrogram kernel needs nFft a power of two >= 8, got ${N}`);
    if (!(outBins >= 1 && outBins <= stft.bins)) throw new RangeError(`outBins must be in [1, ${stft.bins}], got ${outBins}`);
    const { ref, amin, topDb } = resolveDbOptions(db);
    if (typeof ref !== 'number') throw new RangeError("the spectrogram kernel needs a numeric ref, not 'max'");
    const M = N / 2,
      frames = stft.frames,
      quads = Math.ceil(frames / 4);
    const paddedTotal = quadPaddedLength(stft);

    const layout = new Layout(kernel.heapBase);
    const plan = layout.take(PLAN_FIELDS.length * 4);
    const a = {
      ...takeQuadStftBuffers(layout, stft),
      padded: layout.take(4 * paddedTotal),
      out: layout.take(4 * outBins * frames),
      db: layout.take(3 * 8),
    };
    const memory = new WebAssembly.Memory({ initial: Math.ceil(layout.size / PAGE) });
    this.kernel = instantiate<KernelExports>(kernel, memory);
    this.plan = plan;

    const buf = memory.buffer;
    const fields: Record<(typeof PLAN_FIELDS)[number], number> = {
      M,
      N,
      hop,
      outBins,
      quads,
      frames,
      padCount: stft.padTarget.length,
      clampTop: topDb === null ? 0 : 1,
      ...a,
    };
    new Int32Array(buf, plan, PLAN_FIELDS.length).set(PLAN_FIELDS.map((name) => fields[name]));
    writeQuadStftTables(buf, a, stft);
    new Float64Array(buf, a.db, 3).set([amin * amin, 20 * Math.log10(Math.max(amin, Math.abs(ref))), topDb ?? 0]);
    new Float32Array(buf, a.padded, paddedTotal).fill(0);
    this.signal = new Float32Array(buf, a.padded + 4 * stft.offset, stft.length);
    this.out = new Float32Array(buf, a.out, outBins * frames);
  }

  /** The dB spectrogram (outBins x frames, bin-major) of one clip (cut or zero-filled to the plan's length), in a new array. */
  extract(signal: Float32Array): Float32Array {
    const n = this.signal.length;
    if (signal.length >= n) this.signal.set(signal.length === n ? signal : signal.subarray(0, n));
    else {
      this.signal.set(signal);
      this.signal.fill(0, signal.length);
    }
    this.kernel.extract(this.plan);
    return this.out.slice();
  }
}
