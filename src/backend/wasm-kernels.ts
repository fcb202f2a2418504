/**
 * Kernels the wasm backend lacks or runs slowly, built from its own fast (XNNPACK) kernels and registered on top.
 *
 * - Conv2DBackpropFilter (missing in tfjs-backend-wasm 4.22, so every conv gradient throws): the filter gradient
 *   is a stride-1 convolution of the transposed input by the transposed output gradient, dilated by the stride.
 *   (wasm's Conv3DBackpropFilterV2 is wrong whenever stride > 1, so it is not used.)
 * - Conv2DBackpropInput (a scalar loop in wasm; it is also the forward pass of Conv2DTranspose): sub-pixel
 *   decomposition. Each of the sh*sw output phases is a stride-1 convolution of dy with the kernel taps of that
 *   phase, run on XNNPACK, then scattered into place. No wasted zeros.
 *
 * Every kernel here is checked against the cpu backend in wasm-kernels.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { backend_util, type TensorInfo } from '@tensorflow/tfjs';

/** The parts of tfjs-backend-wasm's BackendWasm used here (its class is not exported as a type). */
interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  disposeData(dataId: object): boolean;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

type Attrs = Record<string, unknown>;
type KernelFn = (args: { inputs: Record<string, TensorInfo>; backend: WasmBackend; attrs?: Attrs }) => TensorInfo;

/** Calls another registered wasm kernel directly (no engine bookkeeping: intermediates are freed by us). */
function call(name: string, backend: WasmBackend, inputs: Record<string, TensorInfo>, attrs: Attrs = {}): TensorInfo {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`wasm kernel ${name} is not registered`);
  return (config.kernelFunc as unknown as KernelFn)({ inputs, backend, attrs });
}

function free(backend: WasmBackend, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

function reshape(backend: WasmBackend, x: TensorInfo, shape: number[]): TensorInfo {
  return call('Reshape', backend, { x }, { shape });
}

/**
 * Rank-4 transpose in JavaScript on the wasm heap. wasm's Transpose kernel is a scalar loop that is about twice
 * as slow; here a kept last axis moves as whole blocks (TypedArray.set), and [3, 1, 2, 0] reads rows of the
 * last axis while writing runs of the first, so both sides stay in cache.
 */
function transpose(backend: WasmBackend, x: TensorInfo, perm: [number, number, number, number]): TensorInfo {
  const [d0, d1, d2, d3] = x.shape as [number, number, number, number];
  const out = backend.makeOutput(
    perm.map((p) => x.shape[p]!),
    'float32',
  );
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const strides = [d1 * d2 * d3, d2 * d3, d3, 1];
  if (perm[3] === 3) {
    // Blocks of d3 floats: iterate the output's first three axes in order.
    const [o0, o1, o2] = [x.shape[perm[0]]!, x.shape[perm[1]]!, x.shape[perm[2]]!];
    const [s0, s1, s2] = [strides[perm[0]]!, strides[perm[1]]!, strides[perm[2]]!];
    let at = 0;
    for (let a = 0; a < o0; a++) {
      for (let b = 0; b < o1; b++) {
        for (let c = 0; c < o2; c++, at += d3) {
          const from = a * s0 + b * s1 + c * s2;
          dst.set(src.subarray(from, from + d3), at);
        }
      }
    }
  } else if (perm.join() === '3,1,2,0') {
    // out[d, b, c, a] = x[a, b, c, d], in tiles of 16 a's: each tile writes whole cache lines of every output
    // row and keeps its 16 input rows in cache (an untiled loop writes d3 streams a power of two apart, which
    // alias in the cache).
    const outRow = d1 * d2 * d0;
    const tile = 16;
    for (let b = 0; b < d1; b++) {
      for (let c = 0; c < d2; c++) {
        const base = (b * d2 + c) * d0;
        for (let a0 = 0; a0 < d0; a0 += tile) {
          const a1 = Math.min(d0, a0 + tile);
          for (let d = 0; d < d3; d++) {
            const to = d * outRow + base;
            for (let a = a0; a < a1; a++) dst[to + a] = src[((a * d1 + b) * d2 + c) * d3 + d]!;
          }
        }
      }
    }
  } else {
    backend.disposeData(out.dataId);
    return call('Transpose', backend, { x }, { perm });
  }
  return out;
}

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

function conv(backend: WasmBackend, x: TensorInfo, filter: TensorInfo, pad: Pad4, dilations: [number, number] = [1, 1]): TensorInfo {
  return call('Conv2D', backend, { x, filter }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations, dimRoundingMode: undefined });
}

function checkNhwc(dataFormat: unknown, kernel: string): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`wasm ${kernel} supports only NHWC data (got ${String(dataFormat)})`);
  }
}

/**
 * dW[kh, kw, ci, co] = sum_{n, oh, ow} x[n, oh*sh - pt + kh, ow*sw - pl + kw, ci] * dy[n, oh, ow, co]
 * = conv(xT [Ci, H, W, N], dyT [OH, OW, N, Co]) with stride 1, dilation (sh, sw), padding (pt, pl):
 * the batch becomes the channel being summed, the input channels become the batch.
 */
function conv2DBackpropFilter({ inputs, backend, attrs }: { inputs: Record<string, TensorInfo>; backend: WasmBackend; attrs?: Attrs }): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as {
    strides: number | [number, number];
    pad: never;
    dataFormat?: string;
    dimRoundingMode?: never;
    filterShape: [number, number, number, number];
  };
  checkNhwc(a.dataFormat, 'Conv2DBackpropFilter');
  const info = backend_util.computeConv2DInfo(x.shape as never, a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode);
  if (info.inChannels === 1) return singleChannelFilterGrad(backend, x, dy, info);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Padding after the input so that the output is exactly kh x kw; negative means rows/cols to drop.
  const bottom = kh + (oh - 1) * sh - h - top;
  const right = kw + (ow - 1) * sw - w - left;
  let xT = transpose(backend, x, [3, 1, 2, 0]);
  if (bottom < 0 || right < 0) {
    const cropped = call(
      'Slice',
      backend,
      { x: xT },
      { begin: [0, 0, 0, 0], size: [xT.shape[0]!, h + Math.min(0, bottom), w + Math.min(0, right), xT.shape[3]!] },
    );
    free(backend, xT);
    xT = cropped;
  }
  const dyT = transpose(backend, dy, [1, 2, 0, 3]);
  const pad: Pad4 = [
    [0, 0],
    [top, Math.max(0, bottom)],
    [left, Math.max(0, right)],
    [0, 0],
  ];
  const gradT = conv(backend, xT, dyT, pad, [sh, sw]); // [Ci, kh, kw, Co]
  const grad = transpose(backend, gradT, [1, 2, 0, 3]);
  free(backend, xT, dyT, gradT);
  return grad;
}

/**
 * Filter gradient of a conv with one input channel (the first encoder layer; the last decoder layer's transpose):
 * as a conv, its "output pixels" would be just the kh*kw taps, which XNNPACK runs poorly. Instead gather the taps
 * as columns, patches [P, kh*kw] (P = N*OH*OW), and take one matrix product with dy:
 * dW^T [Co, kh*kw] = dy^T [Co, P] x patches.
 */
function singleChannelFilterGrad(backend: WasmBackend, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const {
    batchSize: n,
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    inHeight: h,
    inWidth: w,
    outHeight: oh,
    outWidth: ow,
    outChannels: co,
  } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const p = n * oh * ow;
  // patches[(n, i, j), tap] = x[n, i*sh - top + ki, j*sw - left + kj] (0 outside): a small gather, done in JS.
  const taps = kh * kw;
  const patches = backend.makeOutput([p, taps], 'float32');
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(patches);
  let at = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let ki = 0; ki < kh; ki++) {
          const row = i * sh - top + ki;
          const inside = row >= 0 && row < h;
          const base = (b * h + row) * w;
          for (let kj = 0; kj < kw; kj++, at++) {
            const col = j * sw - left + kj;
            dst[at] = inside && col >= 0 && col < w ? src[base + col]! : 0;
          }
        }
      }
    }
  }
  // dW^T [Co, taps] = dy^T [Co, P] x patches [P, taps]: XNNPACK packs only the small patches matrix.
  const dy4 = reshape(backend, dy, [p, 1, 1, co]);
  const dyT = transpose(backend, dy4, [3, 1, 2, 0]); // [Co, 1, 1, P]
  const a2 = reshape(backend, dyT, [co, p]);
  const gradT = call('BatchMatMul', backend, { a: a2, b: patches }, { transposeA: false, transposeB: false }); // [Co, taps]
  const g4 = reshape(backend, gradT, [co, 1, 1, taps]);
  const grad = transpose(backend, g4, [3, 1, 2, 0]); // [taps, 1, 1, Co]
  const out = reshape(backend, grad, [kh, kw, 1, co]);
  free(backend, patches, dy4, dyT, a2, gradT, g4, grad);
  return out;
}

/** Taps of the kernel that fall in phase r along one axis: kernel indices r, r + s, r + 2s, ... below k. */
function phaseTaps(k: number, s: number, r: number): number {
  return Math.max(0, Math.ceil((k - r) / s));
}

/**
 * The filter of one sub-pixel phase (rh, rw), laid out for a stride-1 conv of dy:
 * G[th, tw, o, c] = f[rh + (Jh-1-th)*sh, rw + (Jw-1-tw)*sw, c, o], with Jh, Jw the phase's tap counts.
 */
export function phaseFilter(
  f: Float32Array,
  [kh, kw, ci, co]: [number, number, number, number],
  [sh, sw]: [number, number],
  [rh, rw]: [number, number],
  out: Float32Array,
): void {
  const jh = phaseTaps(kh, sh, rh);
  const jw = phaseTaps(kw, sw, rw);
  for (let th = 0; th < jh; th++) {
    const fh = rh + (jh - 1 - th) * sh;
    for (let tw = 0; tw < jw; tw++) {
      const fw = rw + (jw - 1 - tw) * sw;
      const dst = (th * jw + tw) * co * ci;
      for (let c = 0; c < ci; c++) {
        const src = ((fh * kw + fw) * ci + c) * co;
        for (let o = 0; o < co; o++) out[dst + o * ci + c] = f[src + o]!;
      }
    }
  }
}

/**
 * dx[n, i, j, ci] = sum over (oh, kh) with oh*sh - pt + kh = i (and likewise for width) of dy * f.
 * Writing i + pt = u*sh + rh, each phase rh is a stride-1 conv of dy with the kernel rows rh, rh + sh, ...:
 * dx = sum_t dy[u - (J-1) + t] * f[rh + (J-1-t)*sh]. Each phase runs as its own XNNPACK conv (no wasted
 * zero taps: 9 multiply-adds per output for a 3x3 kernel, against 16 for one combined 2x2-tap conv), and a
 * JavaScript scatter of whole channel rows interleaves the phases into dx.
 */
function conv2DBackpropInput({ inputs, backend, attrs }: { inputs: Record<string, TensorInfo>; backend: WasmBackend; attrs?: Attrs }): TensorInfo {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs as {
    strides: number | [number, number];
    pad: never;
    dataFormat?: string;
    dimRoundingMode?: never;
    inputShape: [number, number, number, number];
  };
  checkNhwc(a.dataFormat, 'Conv2DBackpropInput');
  const fShape = filter.shape as [number, number, number, number];
  const info = backend_util.computeConv2DInfo(a.inputShape, fShape, a.strides, 1, a.pad, a.dimRoundingMode);
  const { batchSize: n, strideHeight: sh, strideWidth: sw, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow } = info;
  const [kh, kw, , co] = fShape;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Phase rows u = 0..rows-1 cover dx rows up to rows*sh - top; we need h rows after dropping `top`.
  const rows = Math.max(oh, Math.ceil((h + top) / sh));
  const cols = Math.max(ow, Math.ceil((w + left) / sw));

  const dx = backend.makeOutput([n, h, w, ci], 'float32');
  for (let rh = 0; rh < sh; rh++) {
    for (let rw = 0; rw < sw; rw++) {
      const jh = phaseTaps(kh, sh, rh);
      const jw = phaseTaps(kw, sw, rw);
      let z: TensorInfo | undefined;
      if (jh > 0 && jw > 0) {
        const g = backend.makeOutput([jh, jw, co, ci], 'float32');
        phaseFilter(backend.typedArrayFromHeap(filter), fShape, [sh, sw], [rh, rw], backend.typedArrayFromHeap(g));
        z = conv(backend, dy, g, [
          [0, 0],
          [jh - 1, rows - oh],
          [jw - 1, cols - ow],
          [0, 0],
        ]); // [n, rows, cols, ci]
        free(backend, g);
      }
      // Views taken after every allocation: wasm memory may have grown and moved.
      const out = backend.typedArrayFromHeap(dx);
      const src = z ? backend.typedArrayFromHeap(z) : undefined;
      for (let b = 0; b < n; b++) {
        for (let u = 0; u < rows; u++) {
          const i = u * sh + rh - top;
          if (i < 0 || i >= h) continue;
          for (let v = 0; v < cols; v++) {
            const j = v * sw + rw - left;
            if (j < 0 || j >= w) continue;
            const to = ((b * h + i) * w + j) * ci;
            if (src) {
              const from = ((b * rows + u) * cols + v) * ci;
              out.set(src.subarray(from, from + ci), to);
            } else {
              out.fill(0, to, to + ci);
            }
          }
        }
      }
      if (z) free(backend, z);
    }
  }
  return dx;
}

let registered = false;

/** Registers the extra wasm kernels (idempotent). Called by initBackend when it activates wasm. */
export function registerWasmExtras(): void {
  if (registered) return;
  registered = true;
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter as never });
  if (tf.getKernel('Conv2DBackpropInput', 'wasm')) tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({ kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: conv2DBackpropInput as never });
}
