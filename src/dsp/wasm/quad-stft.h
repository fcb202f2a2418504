/*
 * The STFT that griffinlim.c and spectrogram.c share, in WebAssembly SIMD: four frames at a time, one per lane of a
 * 128-bit vector, so the radix-2 FFT below is written like scalar code and needs no shuffles; only the moves between
 * the signal and the frames transpose 4x4 blocks. A real frame of N samples is one complex FFT of M = N / 2 points
 * (torch.stft conventions; see stft.ts). Included by each kernel's .c file; scripts/build-wasm.sh hashes it with them.
 */
#include <wasm_simd128.h>

typedef v128_t v;

#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul
#define SPLAT wasm_f32x4_splat
#define LOAD(p) wasm_v128_load(p)
#define STORE(p, x) wasm_v128_store((p), (x))

/* What the analysis needs of a plan: sizes and the tables the TypeScript side prepares. */
typedef struct QuadStft {
  int M, N, hop;
  const float *window;      /* N: analysis window */
  const float *twiddle;     /* M / 2 pairs: cos, sin of -2 pi k / M */
  const float *realTwiddle; /* M / 2 + 1 pairs: cos, sin of -2 pi k / N */
  const int *bitReverse;    /* M */
} QuadStft;

static void transpose4(v *a, v *b, v *c, v *d) {
  v t0 = wasm_i32x4_shuffle(*a, *b, 0, 4, 1, 5);
  v t1 = wasm_i32x4_shuffle(*a, *b, 2, 6, 3, 7);
  v t2 = wasm_i32x4_shuffle(*c, *d, 0, 4, 1, 5);
  v t3 = wasm_i32x4_shuffle(*c, *d, 2, 6, 3, 7);
  *a = wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5);
  *b = wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7);
  *c = wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5);
  *d = wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7);
}

static int silentFloats(const float *x, int n) {
  for (int i = 0; i < n; i++) if (x[i] != 0.0f) return 0;
  return 1;
}

/* In-place forward FFT of zr + i zi (M points, input in bit-reversed order, output natural), four lanes;
 * twiddle holds cos, sin of -2 pi k / M for k < M / 2. */
static void quadFft(v *zr, v *zi, int M, const float *twiddle) {
  /* the first two stages have twiddles 1 and -i: radix-4 butterflies without multiplications */
  for (int i = 0; i < M; i += 4) {
    v r0 = zr[i], i0 = zi[i], r1 = zr[i + 1], i1 = zi[i + 1];
    v r2 = zr[i + 2], i2 = zi[i + 2], r3 = zr[i + 3], i3 = zi[i + 3];
    v ar = ADD(r0, r1), ai = ADD(i0, i1), br = SUB(r0, r1), bi = SUB(i0, i1);
    v cr = ADD(r2, r3), ci = ADD(i2, i3), dr = SUB(r2, r3), di = SUB(i2, i3);
    zr[i] = ADD(ar, cr);
    zi[i] = ADD(ai, ci);
    zr[i + 2] = SUB(ar, cr);
    zi[i + 2] = SUB(ai, ci);
    zr[i + 1] = ADD(br, di); /* b + d * (-i) */
    zi[i + 1] = SUB(bi, dr);
    zr[i + 3] = SUB(br, di);
    zi[i + 3] = ADD(bi, dr);
  }
  for (int len = 8; len <= M; len <<= 1) {
    const int half = len >> 1, step = 2 * (M / len);
    for (int j = 0; j < half; j++) {
      const v wr = SPLAT(twiddle[j * step]), wi = SPLAT(twiddle[j * step + 1]);
      for (int i = j; i < M; i += len) {
        const int k = i + half;
        v br = zr[k], bi = zi[k];
        v tr = SUB(MUL(br, wr), MUL(bi, wi)), ti = ADD(MUL(br, wi), MUL(bi, wr));
        v ar = zr[i], ai = zi[i];
        zr[i] = ADD(ar, tr);
        zi[i] = ADD(ai, ti);
        zr[k] = SUB(ar, tr);
        zi[k] = SUB(ai, ti);
      }
    }
  }
}

/*
 * STFT of four frames, the first at x0 and each next `hop` samples on, into xr, xi (bins 0..M, one frame per
 * lane): z[n] = x[2n] + i x[2n+1] through an M-point FFT, then split. Returns 0, with X all zero, for digital
 * silence (which costs no FFT). zr, zi: M vectors of scratch.
 */
static int quadAnalyze(const QuadStft *s, const float *x0, v *zr, v *zi, v *xr, v *xi) {
  const int N = s->N, M = s->M, hop = s->hop;
  const float *x1 = x0 + hop, *x2 = x1 + hop, *x3 = x2 + hop;
  if (silentFloats(x0, 3 * hop + N)) {
    for (int k = 0; k <= M; k++) xr[k] = xi[k] = wasm_f32x4_const_splat(0);
    return 0;
  }
  const int *rev = s->bitReverse;
  for (int n = 0; n < N; n += 4) {
    const v w = LOAD(s->window + n);
    v a = MUL(LOAD(x0 + n), w), b = MUL(LOAD(x1 + n), w), c = MUL(LOAD(x2 + n), w), d = MUL(LOAD(x3 + n), w);
    transpose4(&a, &b, &c, &d); /* now sample n, n+1, n+2, n+3 of the four frames */
    const int j = n >> 1;
    zr[rev[j]] = a;
    zi[rev[j]] = b;
    zr[rev[j + 1]] = c;
    zi[rev[j + 1]] = d;
  }
  quadFft(zr, zi, M, s->twiddle);
  /* X[k] = E[k] + W^k O[k], X[M-k] = conj(E[k] - W^k O[k]) with E, O the DFTs of even and odd samples */
  const v half = SPLAT(0.5f);
  xr[0] = ADD(zr[0], zi[0]);
  xr[M] = SUB(zr[0], zi[0]);
  xi[0] = xi[M] = wasm_f32x4_const_splat(0);
  for (int k = 1; 2 * k <= M; k++) {
    const int j = M - k;
    v ar = zr[k], ai = zi[k], cr = zr[j], ci = zi[j];
    v er = MUL(half, ADD(ar, cr)), ei = MUL(half, SUB(ai, ci));
    v or = MUL(half, ADD(ai, ci)), oi = MUL(half, SUB(cr, ar));
    v wr = SPLAT(s->realTwiddle[2 * k]), wi = SPLAT(s->realTwiddle[2 * k + 1]);
    v tr = SUB(MUL(wr, or), MUL(wi, oi)), ti = ADD(MUL(wr, oi), MUL(wi, or));
    xr[k] = ADD(er, tr);
    xi[k] = ADD(ei, ti);
    xr[j] = SUB(er, tr);
    xi[j] = SUB(ti, ei);
  }
  return 1;
}
