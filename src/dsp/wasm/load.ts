/**
 * Loading the WebAssembly kernels (the `*.c` files here, embedded by scripts/build-wasm.sh): each module is compiled
 * once per process, and the address where its heap starts (after its stack) is read once from a throwaway instance,
 * so callers lay out their buffers from there in a memory of their own.
 */

/** A compiled kernel and the first address its callers may use. */
export interface CompiledKernel {
  module: WebAssembly.Module;
  heapBase: number;
}

/** Bytes in a WebAssembly page. */
export const PAGE = 65536;

/** Rounds up to a multiple of 16 bytes (SIMD loads and float64 want aligned buffers). */
export const align16 = (n: number) => (n + 15) & ~15;

/** Bump allocation of 16-byte aligned blocks in a kernel's memory, counted before the memory exists. */
export class Layout {
  private end: number;
  /** @param start the first free address (the kernel's heap base). */
  constructor(start: number) {
    this.end = start;
  }
  /** The address of a new block of `bytes` bytes. */
  take(bytes: number): number {
    const at = align16(this.end);
    this.end = at + bytes;
    return at;
  }
  /** The bytes the layout spans from address 0. */
  get size(): number {
    return this.end;
  }
}

const cache = new Map<string, CompiledKernel | null>();

/**
 * The kernel embedded as `base64`, compiled once; null where this WebAssembly cannot run it (no SIMD).
 * @example const kernel = loadKernel(WASM_BASE64); if (kernel) instantiate(kernel, memory);
 */
export function loadKernel(base64: string): CompiledKernel | null {
  let compiled = cache.get(base64);
  if (compiled === undefined) {
    try {
      const module = new WebAssembly.Module(Buffer.from(base64, 'base64'));
      const probe = new WebAssembly.Instance(module, { env: { memory: new WebAssembly.Memory({ initial: 2 }) } });
      compiled = { module, heapBase: (probe.exports.__heap_base as WebAssembly.Global).value as number };
    } catch {
      compiled = null;
    }
    cache.set(base64, compiled);
  }
  return compiled;
}

/** An instance of a compiled kernel on `memory`, with its exports typed by the caller. */
export function instantiate<T>(kernel: CompiledKernel, memory: WebAssembly.Memory): T {
  return new WebAssembly.Instance(kernel.module, { env: { memory } }).exports as unknown as T;
}
