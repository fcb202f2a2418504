/**
 * The WebAssembly SIMD kernel of Griffin-Lim (wasm/griffinlim.c): the same ISTFT, STFT and momentum update as
 * the TypeScript loop in griffinlim.ts, in float32, four frames per SIMD vector. This file lays out one
 * kernel instance per clip shape: windows, twiddles and tables from an `StftPlan`, spectra in the kernel's
 * "quad" layout (frame t, bin k at `((t >> 2) * bins + k) * 4 + (t & 3)`).
 */
import { isPowerOfTwo } from './fft.ts';
import type { StftPlan } from './stft.ts';
import { quadPaddedLength, takeQuadStftBuffers, writeQuadStftTables } from './wasm/quad-stft.ts';
import { WASM_BASE64 } from './wasm/griffinlim-binary.ts';
import { instantiate, Layout, loadKernel, PAGE } from './wasm/load.ts';

/** What `analyze` does after each quad's STFT. */
export const AnalyzeMode = { Update: 0, UpdateAndMeasure: 1, Measure: 2 } as const;
export type AnalyzeMode = (typeof AnalyzeMode)[keyof typeof AnalyzeMode];

interface KernelExports {
  synthesize(plan: number): void;
  analyze(plan: number, alpha: number, mode: AnalyzeMode): number;
}

/** The compiled kernel, or null where WebAssembly has no SIMD. */
const kernelModule = () => loadKernel(WASM_BASE64);

/** True when the kernel can run these settings: WebAssembly SIMD, and nFft a power of two >= 8. */
export function wasmKernelSupports(nFft: number): boolean {
  return isPowerOfTwo(nFft) && nFft >= 8 && kernelModule() !== null;
}

/** One kernel instance with the buffers of one clip shape (nFft, hop, frames, length). */
export class WasmGriffinLimPlan {
  private readonly kernel: KernelExports;
  private readonly memory: WebAssembly.Memory;
  private readonly plan: number;
  private readonly at: Record<'S' | 're' | 'im' | 'prevRe' | 'prevIm' | 'padded', number>;
  private readonly stft: StftPlan;
  private readonly quads: number;

  constructor(stft: StftPlan) {
    const kernel = kernelModule();
    if (!kernel) throw new Error('this WebAssembly has no SIMD: use the TypeScript Griffin-Lim');
    const { nFft: N, hop } = stft.options;
    const M = N / 2,
      bins = stft.bins;
    this.stft = stft;
    this.quads = Math.ceil(stft.frames / 4);
    const paddedTotal = quadPaddedLength(stft);
    const spectrum = this.quads * bins * 16;

    const layout = new Layout(kernel.heapBase);
    const plan = layout.take(PLAN_FIELDS.length * 4);
    const f32 = (n: number) => layout.take(4 * n);
    const a = {
      ...takeQuadStftBuffers(layout, stft),
      synthesisWindow: f32(N),
      invWindowSum: f32(paddedTotal),
      S: layout.take(spectrum),
      re: layout.take(spectrum),
      im: layout.take(spectrum),
      prevRe: layout.take(spectrum),
      prevIm: layout.take(spectrum),
      padded: f32(paddedTotal),
    };
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(layout.size / PAGE) });
    this.kernel = instantiate<KernelExports>(kernel, this.memory);
    this.plan = plan;
    this.at = a;

    const buf = this.memory.buffer;
    const fields: Record<(typeof PLAN_FIELDS)[number], number> = {
      M,
      N,
      hop,
      bins,
      quads: this.quads,
      frames: stft.frames,
      offset: stft.offset,
      length: stft.length,
      paddedTotal,
      padCount: stft.padTarget.length,
      ...a,
    };
    new Int32Array(buf, plan, PLAN_FIELDS.length).set(PLAN_FIELDS.map((name) => fields[name]));
    writeQuadStftTables(buf, a, stft);
    new Float32Array(buf, a.synthesisWindow, N).set(stft.window.map((w) => w / M));
    new Float32Array(buf, a.invWindowSum, paddedTotal).fill(1).set(stft.invWindowSum);
  }

  /** Loads the target magnitude and the first estimate (frame-major), and clears the momentum state. */
  start(S: Float32Array, re: Float32Array, im: Float32Array): void {
    this.toQuads(S, this.at.S);
    this.toQuads(re, this.at.re);
    this.toQuads(im, this.at.im);
    this.view(this.at.prevRe).fill(0);
    this.view(this.at.prevIm).fill(0);
  }

  /** ISTFT of the estimate into the padded signal. */
  synthesize(): void {
    this.kernel.synthesize(this.plan);
  }

  /** STFT of the padded signal, then the momentum update and/or the squared magnitude error (returned). */
  analyze(alpha: number, mode: AnalyzeMode): number {
    return this.kernel.analyze(this.plan, alpha, mode);
  }

  /** A copy of the signal (after `synthesize`). */
  extract(): Float32Array {
    return new Float32Array(this.memory.buffer, this.at.padded + 4 * this.stft.offset, this.stft.length).slice();
  }

  private view(at: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, this.quads * this.stft.bins * 4);
  }

  /** Frame-major (frames x bins) into quad layout; phantom frames get zeros. */
  private toQuads(src: Float32Array, at: number): void {
    const dst = this.view(at);
    const { bins, frames } = this.stft;
    dst.fill(0);
    for (let t = 0; t < frames; t++) {
      const base = (t >> 2) * bins * 4 + (t & 3);
      for (let k = 0, s = t * bins; k < bins; k++, s++) dst[base + 4 * k] = src[s]!;
    }
  }
}

/** The kernel's Plan struct, field by field (4 bytes each), in the order of griffinlim.c. */
const PLAN_FIELDS = [
  'M',
  'N',
  'hop',
  'bins',
  'quads',
  'frames',
  'offset',
  'length',
  'paddedTotal',
  'padCount',
  'window',
  'synthesisWindow',
  'invWindowSum',
  'padTarget',
  'padSource',
  'twiddle',
  'realTwiddle',
  'bitReverse',
  'S',
  're',
  'im',
  'prevRe',
  'prevIm',
  'padded',
  'zr',
  'zi',
  'xr',
  'xi',
] as const;
