/*
 * The table path of the polyphase resampler (resampleSegment in src/audio/resample.ts) in WebAssembly SIMD.
 *
 * Every output sample is a dot product of one phase's `taps` filter coefficients with the input samples
 * starting at `i0 - half + 1`. The results are bit-identical to the TypeScript loop: the samples and the table
 * are float32 values held here as float64 (exactly), every product is exact in float64, and the sums run in
 * the TypeScript loop's order: in the interior four partial sums (lanes of two f64x2 accumulators: taps
 * j = 0, 1, 2, 3 mod 4), the taps past the last multiple of four added to the first, then
 * acc + ((a1 + a2) + a3); near the segment's edges (samples outside count as zero) one running sum over the
 * taps that fall inside. So an output sample's value depends only on its own inputs, never on how the output is
 * split into calls, and the TypeScript loop stays an exact fallback.
 *
 * Two interior outputs are computed side by side (their arithmetic is independent: the interleaving only hides
 * the latency of the adds, it changes no result).
 *
 * No libc and no state: resample-wasm.ts lays out the table, the input and the output in linear memory.
 * Build: scripts/build-wasm.sh (clang --target=wasm32 -msimd128), which embeds the binary in resample-binary.ts.
 */
#include <wasm_simd128.h>

typedef v128_t v;

#define ADD wasm_f64x2_add
#define MUL wasm_f64x2_mul
#define LOAD(p) wasm_v128_load(p)
#define LANE0(x) wasm_f64x2_extract_lane((x), 0)
#define LANE1(x) wasm_f64x2_extract_lane((x), 1)

/* The TypeScript loop's final reduction of the four partial sums, after the tail taps went into the first. */
static inline double finish(v a, v b, const double *s, const double *t, int j, int taps) {
  double acc = LANE0(a);
  for (; j < taps; j++) acc += s[j] * t[j];
  return acc + ((LANE1(a) + LANE0(b)) + LANE1(b));
}

/* One output with all its taps inside the segment. */
static inline double interior(const double *s, const double *t, int taps) {
  v a = wasm_f64x2_const_splat(0), b = wasm_f64x2_const_splat(0);
  int j = 0;
  for (; j + 3 < taps; j += 4) {
    a = ADD(a, MUL(LOAD(s + j), LOAD(t + j)));
    b = ADD(b, MUL(LOAD(s + j + 2), LOAD(t + j + 2)));
  }
  return finish(a, b, s, t, j, taps);
}

/* Two outputs with all their taps inside the segment, side by side. */
static inline void interior2(const double *s0, const double *t0, const double *s1, const double *t1, int taps,
                             float *out) {
  v a0 = wasm_f64x2_const_splat(0), b0 = wasm_f64x2_const_splat(0);
  v a1 = wasm_f64x2_const_splat(0), b1 = wasm_f64x2_const_splat(0);
  int j = 0;
  for (; j + 3 < taps; j += 4) {
    a0 = ADD(a0, MUL(LOAD(s0 + j), LOAD(t0 + j)));
    a1 = ADD(a1, MUL(LOAD(s1 + j), LOAD(t1 + j)));
    b0 = ADD(b0, MUL(LOAD(s0 + j + 2), LOAD(t0 + j + 2)));
    b1 = ADD(b1, MUL(LOAD(s1 + j + 2), LOAD(t1 + j + 2)));
  }
  out[0] = (float)finish(a0, b0, s0, t0, j, taps);
  out[1] = (float)finish(a1, b1, s1, t1, j, taps);
}

/*
 * Outputs 0 .. count-1 of a segment of n samples x (float32 values as float64) with the table (up phases of
 * `taps` coefficients, phase-major, as float64). Output 0 sits at input position i0 + p / up (i0 relative to
 * the segment); each next one `step` samples and `stepRem / up` further on.
 */
__attribute__((export_name("resample"))) void resample(const double *x, int n, const double *table, int taps, int half,
                                                        int up, int step, int stepRem, int i0, int p, float *out,
                                                        int count) {
  int k = 0;
  while (k < count) {
    const int start = i0 - half + 1;
    /* the next output's position */
    int i1 = i0 + step, p1 = p + stepRem;
    if (p1 >= up) {
      p1 -= up;
      i1 += 1;
    }
    if (start >= 0 && start + taps <= n) {
      const int start1 = i1 - half + 1;
      if (k + 1 < count && start1 + taps <= n) {
        interior2(x + start, table + p * taps, x + start1, table + p1 * taps, taps, out + k);
        i0 = i1 + step;
        p = p1 + stepRem;
        if (p >= up) {
          p -= up;
          i0 += 1;
        }
        k += 2;
        continue;
      }
      out[k] = (float)interior(x + start, table + p * taps, taps);
    } else {
      /* near the edges: samples outside the segment are zero */
      const double *t = table + p * taps;
      const int jLo = start < 0 ? -start : 0;
      const int jHi = n - start < taps ? n - start : taps;
      double acc = 0;
      for (int j = jLo; j < jHi; j++) acc += x[start + j] * t[j];
      out[k] = (float)acc;
    }
    i0 = i1;
    p = p1;
    k += 1;
  }
}
