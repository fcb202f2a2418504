/*
 * The log-magnitude spectrogram of one clip in WebAssembly SIMD: STFT, power, 10 log10, top_db clamp, written
 * bin-major, four frames at a time.
 *
 * The STFT of quad-stft.h, shared with griffinlim.c (torch.stft conventions, a real frame of N samples computed with one
 * complex FFT of M = N / 2 points, one frame per SIMD lane, float32), then dB in float64 with the logarithm
 * below (no libc): 10 log10(max(amin^2, |X|^2)) - refDb, which is librosa's amplitude_to_db
 * 20 log10(max(amin, |X|)) - 20 log10(max(amin, |ref|)) on the power. Windows, twiddles and tables are prepared
 * by spectrogram-wasm.ts, which fills a Plan in linear memory; this file has no libc and no state of its own.
 *
 * Build: scripts/build-wasm.sh (clang --target=wasm32 -msimd128), which embeds the binary in
 * spectrogram-binary.ts.
 */
#include "quad-stft.h"

/* Field order is mirrored by PLAN_FIELDS in spectrogram-wasm.ts: every field is 4 bytes. */
typedef struct Plan {
  int M;            /* complex FFT size, nFft / 2, a power of two >= 4 */
  int N;            /* nFft */
  int hop;
  int outBins;      /* bins written: M + 1, or M without the Nyquist bin */
  int quads;        /* ceil(frames / 4) */
  int frames;
  int padCount;     /* entries in padTarget / padSource */
  int clampTop;     /* 1: clamp to topDb below the peak */
  const float *window;      /* N: analysis window */
  const int *padTarget;     /* padding samples, and the interior sample each mirrors (-1: zero) */
  const int *padSource;
  const float *twiddle;     /* M / 2 pairs: cos, sin of -2 pi k / M */
  const float *realTwiddle; /* M / 2 + 1 pairs: cos, sin of -2 pi k / N */
  const int *bitReverse;    /* M */
  float *padded;            /* the signal with its centre padding, zeros after it for the phantom frames */
  v *zr, *zi;               /* M: FFT scratch, split real / imaginary */
  v *xr, *xi;               /* M + 1: one quad's STFT */
  float *out;               /* outBins * frames, bin-major */
  const double *db;         /* amin^2, refDb (20 log10 max(amin, |ref|)), topDb */
} Plan;

/* STFT of the four frames of quad q into p->xr, p->xi; 0 for digital silence. */
static int analyzeQuad(const Plan *p, int q) {
  const QuadStft s = {p->M, p->N, p->hop, p->window, p->twiddle, p->realTwiddle, p->bitReverse};
  return quadAnalyze(&s, p->padded + 4 * q * p->hop, p->zr, p->zi, p->xr, p->xi);
}

/*
 * 10 log10(x) for two positive normal doubles: x = 2^e m with m in [sqrt(1/2), sqrt(2)) read from the bits,
 * ln m = 2 atanh(s) = 2 (s + s^3/3 + ... + s^13/13) with s = (m - 1) / (m + 1), |s| <= 0.1716; the first
 * omitted term is below 2e-12 of ln 2, far under float32's resolution of the result.
 */
static v dbPair(v x) {
  v u = wasm_i64x2_add(x, wasm_i64x2_splat(0x3FF0000000000000LL - 0x3FE6A09E667F3BCDLL));
  v e = wasm_i64x2_sub(wasm_i64x2_shr(u, 52), wasm_i64x2_splat(1023));
  v m = wasm_i64x2_add(wasm_v128_and(u, wasm_i64x2_splat(0x000FFFFFFFFFFFFFLL)), wasm_i64x2_splat(0x3FE6A09E667F3BCDLL));
  v one = wasm_f64x2_splat(1.0);
  v s = wasm_f64x2_div(wasm_f64x2_sub(m, one), wasm_f64x2_add(m, one));
  v z = wasm_f64x2_mul(s, s);
  v poly = wasm_f64x2_splat(1.0 / 13);
  poly = wasm_f64x2_add(wasm_f64x2_mul(poly, z), wasm_f64x2_splat(1.0 / 11));
  poly = wasm_f64x2_add(wasm_f64x2_mul(poly, z), wasm_f64x2_splat(1.0 / 9));
  poly = wasm_f64x2_add(wasm_f64x2_mul(poly, z), wasm_f64x2_splat(1.0 / 7));
  poly = wasm_f64x2_add(wasm_f64x2_mul(poly, z), wasm_f64x2_splat(1.0 / 5));
  poly = wasm_f64x2_add(wasm_f64x2_mul(poly, z), wasm_f64x2_splat(1.0 / 3));
  poly = wasm_f64x2_add(wasm_f64x2_mul(poly, z), one);
  v lnm = wasm_f64x2_mul(wasm_f64x2_add(s, s), poly);
  /* e fits in 32 bits: move the low halves of the two 64-bit lanes together and convert */
  v ef = wasm_f64x2_convert_low_i32x4(wasm_i32x4_shuffle(e, e, 0, 2, 0, 2));
  /* 10 log10(x) = e * 10 log10(2) + ln m * 10 / ln 10 */
  return wasm_f64x2_add(wasm_f64x2_mul(ef, wasm_f64x2_splat(3.0102999566398119521)),
                        wasm_f64x2_mul(lnm, wasm_f64x2_splat(4.3429448190325182765)));
}

/* dB of four float32 powers (floored at amin^2), minus refDb, rounded to float32. */
static v db4(v power, v amin2, v refDb) {
  v lo = wasm_f64x2_max(wasm_f64x2_promote_low_f32x4(power), amin2);
  v hi = wasm_f64x2_max(wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(power, power, 2, 3, 2, 3)), amin2);
  v a = wasm_f32x4_demote_f64x2_zero(wasm_f64x2_sub(dbPair(lo), refDb));
  v b = wasm_f32x4_demote_f64x2_zero(wasm_f64x2_sub(dbPair(hi), refDb));
  return wasm_i32x4_shuffle(a, b, 0, 1, 4, 5);
}

/* Writes lanes [0, n) of x to out[0 .. n). */
static void storeLanes(float *out, v x, int n) {
  if (n >= 4) {
    wasm_v128_store(out, x);
    return;
  }
  out[0] = wasm_f32x4_extract_lane(x, 0);
  if (n > 1) out[1] = wasm_f32x4_extract_lane(x, 1);
  if (n > 2) out[2] = wasm_f32x4_extract_lane(x, 2);
}

/*
 * The dB spectrogram of `padded` (its interior loaded by the caller): centre padding, STFT quad by quad,
 * dB into `out` (outBins x frames, bin-major), then the top_db clamp below the peak.
 */
__attribute__((export_name("extract"))) void extract(const Plan *p) {
  float *y = p->padded;
  for (int j = 0; j < p->padCount; j++) {
    const int s = p->padSource[j];
    y[p->padTarget[j]] = s < 0 ? 0.0f : y[s];
  }
  const int frames = p->frames, outBins = p->outBins;
  const v amin2 = wasm_f64x2_splat(p->db[0]), refDb = wasm_f64x2_splat(p->db[1]);
  v peak = wasm_f32x4_const_splat(0); /* largest power of a real frame */
  for (int q = 0; q < p->quads; q++) {
    const int t = 4 * q, lanes = frames - t;
    float *o = p->out + t;
    if (!analyzeQuad(p, q)) {
      const v floor = db4(wasm_f32x4_const_splat(0), amin2, refDb);
      for (int k = 0; k < outBins; k++) storeLanes(o + k * frames, floor, lanes);
      continue;
    }
    const v real = wasm_i32x4_gt(wasm_i32x4_splat(lanes), wasm_i32x4_make(0, 1, 2, 3));
    v qpeak = wasm_f32x4_const_splat(0);
    for (int k = 0; k < outBins; k++) {
      const v a = p->xr[k], b = p->xi[k];
      const v power = ADD(MUL(a, a), MUL(b, b));
      qpeak = wasm_f32x4_pmax(qpeak, power);
      storeLanes(o + k * frames, db4(power, amin2, refDb), lanes);
    }
    peak = wasm_f32x4_pmax(peak, wasm_v128_and(qpeak, real));
  }
  if (!p->clampTop) return;
  float top = wasm_f32x4_extract_lane(peak, 0);
  for (int i = 1; i < 4; i++) {
    const float l = i == 1 ? wasm_f32x4_extract_lane(peak, 1) : i == 2 ? wasm_f32x4_extract_lane(peak, 2) : wasm_f32x4_extract_lane(peak, 3);
    if (l > top) top = l;
  }
  /* the peak's dB in float64, as amplitudeToDb keeps it, then the floor in float32 */
  const double peakDb = wasm_f64x2_extract_lane(wasm_f64x2_sub(dbPair(wasm_f64x2_max(wasm_f64x2_splat((double)top), amin2)), refDb), 0);
  const v floor = SPLAT((float)(peakDb - p->db[2]));
  const int n = outBins * frames;
  float *out = p->out;
  int i = 0;
  for (; i + 4 <= n; i += 4) STORE(out + i, wasm_f32x4_pmax(LOAD(out + i), floor));
  for (; i < n; i++) if (out[i] < wasm_f32x4_extract_lane(floor, 0)) out[i] = wasm_f32x4_extract_lane(floor, 0);
}
