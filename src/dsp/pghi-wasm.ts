/**
 * The WebAssembly kernel of PGHI (wasm/pghi.c): slopes, levels, the counting sort, the bucket-queue integration
 * and the frame-start shift of `pghiFrameMajor`, bit-identical to its TypeScript loop (float64 operations in the
 * same order). pghi.ts keeps the logarithms and the random phases of quiet bins, and writes them straight into
 * the kernel's memory through the views of `pghiKernelBuffers`.
 *
 * One kernel instance and memory per process (the module is compiled once); the memory grows to the largest
 * spectrogram seen: log-magnitudes and phases (16 bytes a bin) then the kernel's scratch (about 37 bytes a bin).
 */
import { WASM_BASE64 } from './wasm/pghi-binary.ts';
import { instantiate, Layout, loadKernel, PAGE } from './wasm/load.ts';

interface KernelExports {
  scratchBytes(size: number): number;
  pghi(
    logS: number,
    phase: number,
    frames: number,
    bins: number,
    logFloor: number,
    hop: number,
    nOverLambda: number,
    twoPi: number,
    n: number,
    coefK: number,
    centre: number,
    scratch: number,
  ): void;
}

/** The most a wasm32 memory can hold, in pages (4 GiB). */
const MAX_PAGES = 65536;

let kernel: { exports: KernelExports; memory: WebAssembly.Memory; heapBase: number } | undefined;

/** The compiled kernel, or null where WebAssembly has no SIMD. */
const kernelModule = () => loadKernel(WASM_BASE64);

/** True when the kernel can run here. */
export function wasmPghiSupported(): boolean {
  return kernelModule() !== null;
}

/** Where the buffers of one call lie in the kernel's memory. */
interface Buffers {
  logS: number;
  phase: number;
  scratch: number;
  end: number;
}

function layout(heapBase: number, size: number, scratchBytes: number): Buffers {
  const l = new Layout(heapBase);
  const logS = l.take(8 * size),
    phase = l.take(8 * size),
    scratch = l.take(scratchBytes);
  return { logS, phase, scratch, end: l.size };
}

let current: (Buffers & { size: number }) | undefined;

/**
 * Views of the kernel's memory for a spectrogram of `size` bins (frames x bins, frame-major): `logS` to fill
 * with the log-magnitudes, `phase` to fill with the quiet bins' random phases and to read after `runPghiKernel`.
 * Valid until the next call. Null where the kernel cannot run, or the spectrogram would not fit in its memory.
 */
export function pghiKernelBuffers(size: number): { logS: Float64Array; phase: Float64Array } | null {
  const module = kernelModule();
  if (!module) return null;
  if (!kernel) {
    const memory = new WebAssembly.Memory({ initial: Math.ceil((module.heapBase + PAGE) / PAGE) });
    const exports = instantiate<KernelExports>(module, memory);
    kernel = { exports, memory, heapBase: module.heapBase };
  }
  // scratchBytes is computed in unsigned 32-bit arithmetic: keep its argument where that cannot wrap
  if (size > 2 ** 32 / 64) return null;
  const at = layout(kernel.heapBase, size, kernel.exports.scratchBytes(size) >>> 0);
  const pages = Math.ceil(at.end / PAGE);
  if (pages > MAX_PAGES) return null;
  const have = kernel.memory.buffer.byteLength / PAGE;
  if (pages > have) {
    try {
      kernel.memory.grow(pages - have);
    } catch {
      return null;
    }
  }
  current = { ...at, size };
  const buf = kernel.memory.buffer;
  return { logS: new Float64Array(buf, at.logS, size), phase: new Float64Array(buf, at.phase, size) };
}

/** The constants of PGHI's slopes and shift, as pghi.ts computes them. */
export interface PghiConstants {
  logFloor: number;
  hop: number;
  /** N / lambda */
  nOverLambda: number;
  /** 2 pi */
  twoPi: number;
  /** nFft */
  n: number;
  /** -lambda / (N hop) */
  coefK: number;
  /** floor((N - W) / 2) + W / 2 */
  centre: number;
}

/** Runs the kernel on the buffers of the last `pghiKernelBuffers` call, laid out as frames x bins. */
export function runPghiKernel(frames: number, bins: number, c: PghiConstants): void {
  if (!kernel || !current || current.size !== frames * bins) throw new Error('runPghiKernel: call pghiKernelBuffers(frames * bins) first');
  kernel.exports.pghi(current.logS, current.phase, frames, bins, c.logFloor, c.hop, c.nOverLambda, c.twoPi, c.n, c.coefK, c.centre, current.scratch);
}
