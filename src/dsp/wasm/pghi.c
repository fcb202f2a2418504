/*
 * PGHI's phase integration in WebAssembly (see pghi.ts for the method): phase slopes by centred differences,
 * quantised levels, a counting sort of the seeds, integration through a bucket queue, the frame-start shift.
 *
 * Bit-identical to the TypeScript loop in pghi.ts: the same float64 operations in the same order (wasm has no
 * fused multiply-add, and this file is built without fast-math). What needs Math.log, Math.PI or the random
 * generator stays in pghi.ts: it passes the log-magnitudes, the constants of the slopes, and the phases of the
 * quiet bins already drawn (written into `phase` before the call; this file leaves them as they are). Per-bin
 * terms that depend on k alone, (2 pi k) / N and (2 pi k c) / N, are computed once per bin index, which
 * changes no result. No libc, no state: all buffers are in the imported memory, laid out by pghi-wasm.ts.
 *
 * Build: scripts/build-wasm.sh, which embeds the binary in pghi-binary.ts.
 */

/* Quantisation of log-levels for the bucket queue: LEVELS in pghi.ts. */
#define LEVELS 4096

/* Bits of the per-bin state. */
#define NEXT_FRAME 1
#define PREV_FRAME 2
#define NEXT_BIN 4
#define PREV_BIN 8
#define DONE 16

/* Bytes of scratch that pghi needs for `size` bins (16-byte aligned start). */
__attribute__((export_name("scratchBytes"))) unsigned scratchBytes(int size) {
  unsigned n = (unsigned)size;
  return n * 8u * 3u                 /* stepT, stepK, freq (bins <= size) */
         + n * 4u * 3u               /* level, next, order */
         + (2u * LEVELS + 1u) * 4u   /* head, start */
         + n                         /* state */
         + 64u;
}

/*
 * logS: frames x bins log-magnitudes (floored at logFloor). phase: frames x bins, out; the quiet bins
 * (logS <= logFloor) hold their random phase on entry. The constants are those of pghi.ts:
 * nOverLambda = N / lambda, twoPi = 2 pi, n = N, coefK = -lambda / (N hop), centre = floor((N - W) / 2) + W / 2.
 */
__attribute__((export_name("pghi"))) void pghi(const double *logS, double *phase, int frames, int bins,
    double logFloor, double hop, double nOverLambda, double twoPi, double n, double coefK, double centre, char *scratch) {
  const int size = frames * bins;
  if (size <= 0) return;
  double *stepT = (double *)scratch;
  double *stepK = stepT + size;
  int *level = (int *)(stepK + size);
  int *next = level + size;
  int *order = next + size;
  int *head = order + size;
  int *start = head + LEVELS;
  /* per bin: DONE once its phase is set, and which neighbours exist (saves a division per bin in the queue) */
  unsigned char *state = (unsigned char *)(start + LEVELS + 1);
  /* a per-bin-index table: (2 pi k) / N, later (2 pi k c) / N */
  double *freq = (double *)(((unsigned long)(state + size) + 7u) & ~7ul);

  /* phase slopes: per hop along time (stepT), per bin along frequency (stepK) */
  for (int k = 0; k < bins; k++) freq[k] = (twoPi * (double)k) / n;
  for (int t = 0; t < frames; t++) {
    const double *row = logS + t * bins;
    const double *up = t + 1 < frames ? row + bins : row;
    const double *down = t > 0 ? row - bins : row;
    /* 0.5 for centred differences, 1 at the first and last frame (exact: x * 1 == x) */
    const double half = t > 0 && t + 1 < frames ? 0.5 : 1.0;
    double *sT = stepT + t * bins;
    double *sK = stepK + t * bins;
    for (int k = 0; k < bins; k++) {
      double dk, dt;
      if (bins == 1) dk = 0;
      else if (k == 0) dk = row[1] - row[0];
      else if (k == bins - 1) dk = row[k] - row[k - 1];
      else dk = 0.5 * (row[k + 1] - row[k - 1]);
      if (frames == 1) dt = 0;
      else dt = half * (up[k] - down[k]);
      sT[k] = hop * (nOverLambda * dk + freq[k]);
      sK[k] = coefK * dt;
    }
  }

  /* levels: 0 (quietest loud bin) .. LEVELS - 1 (the peak), -1 at or below the floor */
  double logMax = -__builtin_inf();
  for (int i = 0; i < size; i++) if (logS[i] > logMax) logMax = logS[i];
  const double scale = (double)(LEVELS - 1) / (logMax - logFloor + 1e-12);
  for (int i = 0; i < size; i++) {
    const double f = __builtin_floor((logS[i] - logFloor) * scale);
    /* a NaN magnitude gives a NaN level: 0 as Int32Array stores it, where a conversion would trap */
    level[i] = logS[i] <= logFloor ? -1 : f == f ? (int)f : 0;
  }
  for (int t = 0; t < frames; t++) {
    const unsigned char rowEdges = (t + 1 < frames ? NEXT_FRAME : 0) | (t > 0 ? PREV_FRAME : 0);
    unsigned char *st = state + t * bins;
    const int *lv = level + t * bins;
    for (int k = 0; k < bins; k++) {
      st[k] = rowEdges | (k + 1 < bins ? NEXT_BIN : 0) | (k > 0 ? PREV_BIN : 0) | (lv[k] < 0 ? DONE : 0);
    }
  }

  /* the seeds: bins with level >= 0, loudest level first (a counting sort) */
  for (int b = 0; b <= LEVELS; b++) start[b] = 0;
  int count = 0;
  for (int i = 0; i < size; i++) {
    if (level[i] < 0) continue;
    start[LEVELS - 1 - level[i] + 1]++;
    count++;
  }
  for (int b = 0; b < LEVELS; b++) start[b + 1] += start[b];
  for (int i = 0; i < size; i++) if (level[i] >= 0) order[start[LEVELS - 1 - level[i]]++] = i;

  /* heap integration, loudest first, through a bucket queue: head[level] starts a linked list (next[]) */
  for (int b = 0; b < LEVELS; b++) head[b] = -1;
  int top = -1;
  for (int s = 0; s < count; s++) {
    const int seed = order[s];
    if (state[seed] & DONE) continue;
    state[seed] |= DONE;
    phase[seed] = 0;
    top = level[seed];
    next[seed] = -1;
    head[top] = seed;
    for (;;) {
      while (top >= 0 && head[top] < 0) top--;
      if (top < 0) break;
      const int i = head[top];
      head[top] = next[i];
      const unsigned edges = state[i];
      const double p = phase[i];
      /* the four neighbours: next frame, previous frame, next bin, previous bin */
      int j;
      if ((edges & NEXT_FRAME) && !(state[j = i + bins] & DONE)) {
        state[j] |= DONE;
        phase[j] = p + 0.5 * (stepT[i] + stepT[j]);
        const int b = level[j];
        next[j] = head[b];
        head[b] = j;
        if (b > top) top = b;
      }
      if ((edges & PREV_FRAME) && !(state[j = i - bins] & DONE)) {
        state[j] |= DONE;
        phase[j] = p - 0.5 * (stepT[i] + stepT[j]);
        const int b = level[j];
        next[j] = head[b];
        head[b] = j;
        if (b > top) top = b;
      }
      if ((edges & NEXT_BIN) && !(state[j = i + 1] & DONE)) {
        state[j] |= DONE;
        phase[j] = p + 0.5 * (stepK[i] + stepK[j]);
        const int b = level[j];
        next[j] = head[b];
        head[b] = j;
        if (b > top) top = b;
      }
      if ((edges & PREV_BIN) && !(state[j = i - 1] & DONE)) {
        state[j] |= DONE;
        phase[j] = p - 0.5 * (stepK[i] + stepK[j]);
        const int b = level[j];
        next[j] = head[b];
        head[b] = j;
        if (b > top) top = b;
      }
    }
  }

  /* from the window-centred phase to the STFT's frame-start phase: minus (2 pi k c) / N */
  for (int k = 0; k < bins; k++) freq[k] = (twoPi * (double)k * centre) / n;
  for (int t = 0; t < frames; t++) {
    double *row = phase + t * bins;
    for (int k = 0; k < bins; k++) row[k] -= freq[k];
  }
}
