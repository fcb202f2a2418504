/**
 * The transposed im2col (patch) matrix of a convolution, for its filter gradient as one GEMM (NHWC data,
 * dilation 1). Works on one Float32Array view of the whole wasm heap with element offsets, so that runs move
 * with copyWithin (a memmove, no subarray objects). Padding is written as explicit zeros: wasm heap memory is
 * not cleared on allocation.
 */

/** A conv's geometry: input n x h x w x ci, kernel kh x kw, strides, padding before (top, left), output oh x ow. */
export interface ConvGeometry {
  n: number;
  h: number;
  w: number;
  ci: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
  oh: number;
  ow: number;
}

/** Phase planes of a strided conv input: x[b, u*sh + rh, v*sw + rw, c] at [c, b, rh, rw, u, v], u < hp, v < wp. */
export function phaseDims(g: ConvGeometry): { hp: number; wp: number } {
  return { hp: Math.ceil(g.h / g.sh), wp: Math.ceil(g.w / g.sw) };
}

/**
 * The transposed patch matrix [kh*kw*ci, N*OH*OW] from the phase planes of transposePhaseSplit: row (ki, kj, c), block b
 * is phase plane (rh, rw) of (c, b) shifted by (du, dv), where ki - top = du*sh + rh (likewise for the width).
 * When the plane is exactly ow wide the shifted plane is one contiguous copy, then the columns that wrapped
 * round a row edge and the rows outside the plane are zeroed.
 */
export function im2colTPhased(heap: Float32Array, xP: number, dst: number, g: ConvGeometry): void {
  const { n, ci, kh, kw, sh, sw, top, left, oh, ow } = g;
  const { hp, wp } = phaseDims(g);
  const m = n * oh * ow;
  const planeSize = hp * wp;
  for (let ki = 0; ki < kh; ki++) {
    const du = Math.floor((ki - top) / sh);
    const rh = ki - top - du * sh;
    // Output rows i with 0 <= i + du < hp.
    const iLo = Math.min(oh, Math.max(0, -du));
    const iHi = Math.max(iLo, Math.min(oh, hp - du));
    for (let kj = 0; kj < kw; kj++) {
      const dv = Math.floor((kj - left) / sw);
      const rw = kj - left - dv * sw;
      const jLo = Math.min(ow, Math.max(0, -dv));
      const jHi = Math.max(jLo, Math.min(ow, wp - dv));
      for (let c = 0; c < ci; c++) {
        let at = dst + ((ki * kw + kj) * ci + c) * m;
        for (let b = 0; b < n; b++, at += oh * ow) {
          const plane = xP + ((c * n + b) * sh * sw + rh * sw + rw) * planeSize;
          if (iLo > 0) heap.fill(0, at, at + iLo * ow);
          if (iHi < oh) heap.fill(0, at + iHi * ow, at + oh * ow);
          if (iHi <= iLo) continue;
          if (wp === ow) {
            // dst[i*ow + j] = plane[(i + du)*ow + j + dv] for rows iLo..iHi-1: one run, then fix the edges.
            const from = plane + (iLo + du) * ow + dv;
            const to = at + iLo * ow;
            let len = (iHi - iLo) * ow;
            let skip = 0;
            if (from < plane) skip = plane - from; // only when dv < 0 on the first row: that column is zeroed below
            if (from + len > plane + planeSize) len = plane + planeSize - from;
            heap.copyWithin(to + skip, from + skip, from + len);
            if (to + len < at + iHi * ow) heap.fill(0, to + len, at + iHi * ow);
            if (jLo > 0 || jHi < ow) {
              for (let i = iLo; i < iHi; i++) {
                const row = at + i * ow;
                if (jLo > 0) heap.fill(0, row, row + jLo);
                if (jHi < ow) heap.fill(0, row + jHi, row + ow);
              }
            }
          } else {
            for (let i = iLo; i < iHi; i++) {
              const row = at + i * ow;
              const src = plane + (i + du) * wp + dv;
              if (jLo > 0) heap.fill(0, row, row + jLo);
              if (jHi > jLo) heap.copyWithin(row + jLo, src + jLo, src + jHi);
              if (jHi < ow) heap.fill(0, row + jHi, row + ow);
            }
          }
        }
      }
    }
  }
}

/**
 * Splits x [N, H, W, ci] into phase planes xP [ci, N, sh, sw, hp, wp] (entries past the input's edge are 0),
 * so that every tap of a strided conv reads a contiguous, shifted phase plane. One pass, in tiles of 16 input
 * columns so that the ci output streams stay in cache.
 */
export function transposePhaseSplit(heap: Float32Array, x: number, dst: number, g: ConvGeometry): void {
  const { n, h, w, ci, sh, sw } = g;
  const { hp, wp } = phaseDims(g);
  const planeSize = hp * wp;
  const cStride = n * sh * sw * planeSize;
  if (hp * sh !== h || wp * sw !== w) heap.fill(0, dst, dst + ci * cStride);
  const tile = 16;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < h; r++) {
      const rh = r % sh;
      const rowBase = dst + (b * sh * sw + rh * sw) * planeSize + ((r - rh) / sh) * wp;
      const xRow = x + (b * h + r) * w * ci;
      for (let c0 = 0; c0 < w; c0 += tile) {
        const c1 = Math.min(w, c0 + tile);
        for (let c = 0; c < ci; c++) {
          const base = rowBase + c * cStride;
          for (let rw = 0; rw < sw; rw++) {
            const first = c0 + ((rw - (c0 % sw) + sw) % sw);
            let to = base + rw * planeSize + (first - rw) / sw;
            for (let col = first, from = xRow + first * ci + c; col < c1; col += sw, from += sw * ci, to++) heap[to] = heap[from]!;
          }
        }
      }
    }
  }
}
