/*
 * The inner loop of Griffin-Lim in WebAssembly SIMD: ISTFT, STFT and the momentum update, four frames at a time.
 *
 * Each 128-bit vector holds the same value (a sample, a bin) of four consecutive frames, one per lane (the STFT
 * and FFT of quad-stft.h, shared with spectrogram.c). Spectra live in that "quad" layout:
 * value of frame t, bin k at vector (t / 4) * bins + k, lane t % 4. Frames past the last are phantom frames
 * with zero target magnitude: they stay zero and count in no sum.
 *
 * Maths and conventions are those of stft.ts (torch.stft framing, a real frame of N samples computed with one
 * complex FFT of M = N / 2 points) and griffinlim.ts (torchaudio's momentum update), in float32. Everything
 * that needs sin, cos or allocation (windows, twiddles, tables, buffers) is prepared by griffinlim-wasm.ts,
 * which fills a Plan in linear memory; this file has no libc and no state of its own.
 *
 * Build: scripts/build-wasm.sh (clang --target=wasm32 -msimd128), which embeds the binary in
 * griffinlim-binary.ts.
 */
#include "quad-stft.h"

/* Field order is mirrored by PLAN_FIELDS in griffinlim-wasm.ts: every field is 4 bytes. */
typedef struct Plan {
  int M;            /* complex FFT size, nFft / 2, a power of two >= 4 */
  int N;            /* nFft */
  int hop;
  int bins;         /* M + 1 */
  int quads;        /* ceil(frames / 4) */
  int frames;
  int offset;       /* centre padding before the signal */
  int length;       /* signal length */
  int paddedTotal;  /* samples in `padded`, room for the phantom frames included */
  int padCount;     /* entries in padTarget / padSource */
  const float *window;          /* N: analysis window */
  const float *synthesisWindow; /* N: window / M, irfft's scale folded in */
  const float *invWindowSum;    /* paddedTotal: 1 / sum of squared windows (1 where it vanishes) */
  const int *padTarget;         /* padding samples, and the interior sample each mirrors (-1: zero) */
  const int *padSource;
  const float *twiddle;         /* M / 2 pairs: cos, sin of -2 pi k / M */
  const float *realTwiddle;     /* M / 2 + 1 pairs: cos, sin of -2 pi k / N */
  const int *bitReverse;        /* M */
  v *S, *re, *im, *prevRe, *prevIm; /* quads * bins: target, estimate, previous rebuilt STFT */
  float *padded;                /* paddedTotal: the signal with its centre padding */
  v *zr, *zi;                   /* M: FFT scratch, split real / imaginary */
  v *xr, *xi;                   /* bins: one quad's rebuilt STFT */
} Plan;

/* Torchaudio's guard against dividing by a zero magnitude. */
#define EPS 1e-16f

static int silentVectors(const v *x, int n) {
  for (int i = 0; i < n; i++) if (wasm_v128_any_true(x[i])) return 0;
  return 1;
}

/* STFT of the four frames of quad q into p->xr, p->xi. */
static void analyzeQuad(const Plan *p, int q) {
  const QuadStft s = {p->M, p->N, p->hop, p->window, p->twiddle, p->realTwiddle, p->bitReverse};
  quadAnalyze(&s, p->padded + 4 * q * p->hop, p->zr, p->zi, p->xr, p->xi);
}

/* Lanes of quad q that hold real frames (all ones) rather than phantom ones (zero). */
static v realLanes(const Plan *p, int q) {
  const int left = p->frames - 4 * q;
  return wasm_i32x4_gt(wasm_i32x4_splat(left), wasm_i32x4_make(0, 1, 2, 3));
}

static float sumLanes(v x) {
  return wasm_f32x4_extract_lane(x, 0) + wasm_f32x4_extract_lane(x, 1) + wasm_f32x4_extract_lane(x, 2) +
         wasm_f32x4_extract_lane(x, 3);
}

/* Sum of (|X| - S)^2 over the real frames of quad q. */
static double quadError(const Plan *p, int q) {
  const int bins = p->bins;
  const v *S = p->S + q * bins;
  v acc = wasm_f32x4_const_splat(0);
  for (int k = 0; k < bins; k++) {
    v xr = p->xr[k], xi = p->xi[k];
    v d = SUB(wasm_f32x4_sqrt(ADD(MUL(xr, xr), MUL(xi, xi))), S[k]);
    acc = ADD(acc, MUL(d, d));
  }
  return sumLanes(wasm_v128_and(acc, realLanes(p, q)));
}

/* c = X - alpha X_prev; estimate = S c / |c|; X_prev = X. */
static void updateQuad(const Plan *p, int q, v alpha) {
  const int bins = p->bins, o = q * bins;
  const v eps = SPLAT(EPS);
  for (int k = 0; k < bins; k++) {
    v xr = p->xr[k], xi = p->xi[k];
    v ar = SUB(xr, MUL(alpha, p->prevRe[o + k])), ai = SUB(xi, MUL(alpha, p->prevIm[o + k]));
    v scale = wasm_f32x4_div(p->S[o + k], ADD(wasm_f32x4_sqrt(ADD(MUL(ar, ar), MUL(ai, ai))), eps));
    p->re[o + k] = MUL(ar, scale);
    p->im[o + k] = MUL(ai, scale);
    p->prevRe[o + k] = xr;
    p->prevIm[o + k] = xi;
  }
}

/* Inverse FFT of quad q's estimate, windowed and overlap-added into `padded` (not normalised). */
static void overlapAddQuad(const Plan *p, int q) {
  const int M = p->M, N = p->N, hop = p->hop, o = q * p->bins;
  const v *re = p->re + o, *im = p->im + o;
  if (silentVectors(re, p->bins) && silentVectors(im, p->bins)) return; /* adds nothing */
  const int *rev = p->bitReverse;
  v *zr = p->zr, *zi = p->zi;
  const v half = SPLAT(0.5f);
  /* Z[k] = E[k] + i O[k], stored re/im-swapped so the forward FFT computes M * ifft */
  v r0 = re[0], rm = re[M];
  zr[0] = MUL(half, SUB(r0, rm));
  zi[0] = MUL(half, ADD(r0, rm));
  for (int k = 1; 2 * k <= M; k++) {
    const int j = M - k;
    v xr = re[k], xi = im[k], yr = re[j], yi = im[j];
    v er = MUL(half, ADD(xr, yr)), ei = MUL(half, SUB(xi, yi));
    v dr = SUB(xr, yr), di = ADD(xi, yi);
    v wr = SPLAT(p->realTwiddle[2 * k]), wi = SPLAT(p->realTwiddle[2 * k + 1]);
    v or = MUL(half, ADD(MUL(dr, wr), MUL(di, wi))), oi = MUL(half, SUB(MUL(di, wr), MUL(dr, wi)));
    zr[rev[k]] = ADD(ei, or);
    zi[rev[k]] = SUB(er, oi);
    zr[rev[j]] = SUB(or, ei);
    zi[rev[j]] = ADD(er, oi);
  }
  quadFft(zr, zi, M, p->twiddle);
  float *y0 = p->padded + 4 * q * hop, *y1 = y0 + hop, *y2 = y1 + hop, *y3 = y2 + hop;
  for (int n = 0; n < N; n += 4) {
    const int j = n >> 1;
    v a = zi[j], b = zr[j], c = zi[j + 1], d = zr[j + 1]; /* samples n .. n+3, lanes = frames */
    transpose4(&a, &b, &c, &d);
    const v w = LOAD(p->synthesisWindow + n);
    STORE(y0 + n, ADD(LOAD(y0 + n), MUL(a, w)));
    STORE(y1 + n, ADD(LOAD(y1 + n), MUL(b, w)));
    STORE(y2 + n, ADD(LOAD(y2 + n), MUL(c, w)));
    STORE(y3 + n, ADD(LOAD(y3 + n), MUL(d, w)));
  }
}

/* ISTFT of the estimate into `padded`: overlap-add, normalise by the window sum, refill the centre padding. */
__attribute__((export_name("synthesize"))) void synthesize(const Plan *p) {
  float *y = p->padded;
  __builtin_memset(y, 0, sizeof(float) * (unsigned)p->paddedTotal);
  for (int q = 0; q < p->quads; q++) overlapAddQuad(p, q);
  const int end = p->offset + p->length;
  for (int i = p->offset; i < end; i++) y[i] *= p->invWindowSum[i];
  for (int j = 0; j < p->padCount; j++) {
    const int s = p->padSource[j];
    y[p->padTarget[j]] = s < 0 ? 0.0f : y[s];
  }
}

/*
 * STFT of `padded`, frame quad by frame quad; mode 0 applies the momentum update, 1 also returns the squared
 * magnitude error before the update, 2 only measures it.
 */
__attribute__((export_name("analyze"))) double analyze(const Plan *p, float alpha, int mode) {
  const v a = SPLAT(alpha);
  double err2 = 0;
  for (int q = 0; q < p->quads; q++) {
    analyzeQuad(p, q);
    if (mode != 0) err2 += quadError(p, q);
    if (mode != 2) updateQuad(p, q, a);
  }
  return err2;
}
