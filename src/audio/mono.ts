/** Mixing multichannel audio down to one channel. */

/**
 * Averages the channels into one (the usual downmix: librosa's `to_mono`, torchaudio's `mean(dim=0)`).
 * A single channel is returned as is (not copied).
 *
 * @param channels one Float32Array per channel, all the same length (shorter ones count as silence past their end)
 * @example
 * const mono = toMono([left, right]);
 */
export function toMono(channels: Float32Array[]): Float32Array {
  if (channels.length === 0) return new Float32Array(0);
  if (channels.length === 1) return channels[0]!;
  const length = Math.max(...channels.map((c) => c.length));
  const out = new Float32Array(length);
  for (const c of channels) {
    for (let i = 0; i < c.length; i++) out[i] += c[i]!;
  }
  const scale = 1 / channels.length;
  for (let i = 0; i < length; i++) out[i] *= scale;
  return out;
}
