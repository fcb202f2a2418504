/**
 * Analysis windows. Hann comes in two flavours:
 * - periodic (the default, `torch.hann_window(n)`, `scipy.signal.get_window('hann', n)`): one period of a
 *   length-(n+1) symmetric window with its last point dropped, so shifted copies sum to a constant (COLA);
 * - symmetric (`numpy.hanning(n)`, `torch.hann_window(n, periodic=False)`): zero at both ends, for filter design.
 */
import type { WindowName } from './types.ts';

/**
 * A Hann window.
 * @param length number of points.
 * @param periodic true (default) for the spectral-analysis (DFT-even) form; false for the symmetric one.
 * @returns `w[n] = 0.5 - 0.5 cos(2 pi n / D)` with `D = length` (periodic) or `length - 1` (symmetric).
 * @example hann(4) // [0, 0.5, 1, 0.5]
 */
export function hann(length: number, periodic = true): Float64Array {
  const w = new Float64Array(length);
  if (length === 1) {
    w[0] = 1;
    return w;
  }
  const denom = periodic ? length : length - 1;
  for (let n = 0; n < length; n++) w[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / denom);
  return w;
}

/**
 * The window of an STFT frame: `winLength` points of the named window, zero-padded on both sides to `nFft`
 * and centred (as torch.stft and librosa do when `win_length < n_fft`).
 * @param name window shape (only 'hann', periodic, for now).
 * @param winLength window length, 1..nFft.
 * @param nFft frame (FFT) length.
 */
export function frameWindow(name: WindowName, winLength: number, nFft: number): Float64Array {
  if (!Number.isInteger(winLength) || winLength < 1 || winLength > nFft) {
    throw new RangeError(`window length ${winLength} must be an integer in 1..nFft (${nFft})`);
  }
  const core = name === 'hann' ? hann(winLength, true) : hann(winLength, true);
  const w = new Float64Array(nFft);
  w.set(core, Math.floor((nFft - winLength) / 2));
  return w;
}
