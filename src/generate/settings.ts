/** The spectrogram settings a checkpoint was trained with, read from the dataset settings it keeps. */
import { UserError } from '../errors.ts';
import type { ClipSettings } from './spectra.ts';

/** The first of `keys` that holds a positive number in any of the objects, searched depth-first. */
function findNumber(root: unknown, keys: string[]): number | undefined {
  const stack: unknown[] = [root];
  while (stack.length) {
    const o = stack.pop();
    if (!o || typeof o !== 'object') continue;
    for (const k of keys) {
      const v = (o as Record<string, unknown>)[k];
      if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
    }
    stack.push(...Object.values(o as Record<string, unknown>).filter((v) => v && typeof v === 'object'));
  }
  return undefined;
}

/**
 * Reads sample rate, clip length and STFT from a checkpoint's `dataset.preprocessing` (the dataset manifest's
 * settings, nested or flat), with the model's input shape.
 * @throws UserError naming the checkpoint and what is missing.
 */
export function clipSettings(ckpt: { dir: string; inputShape: [number, number]; dataset: { preprocessing: unknown } }): ClipSettings {
  const p = ckpt.dataset.preprocessing;
  const sampleRate = findNumber(p, ['sampleRate', 'sample_rate', 'sr']);
  const nFft = findNumber(p, ['nFft', 'n_fft', 'frameSize', 'frame_size']);
  const hop = findNumber(p, ['hop', 'hopLength', 'hop_length']);
  const winLength = findNumber(p, ['winLength', 'win_length']);
  let clipSamples = findNumber(p, ['clipSamples', 'numSamples', 'num_samples']);
  const seconds = findNumber(p, ['clipSeconds', 'clipDuration', 'duration']);
  if (clipSamples === undefined && seconds !== undefined && sampleRate !== undefined) clipSamples = Math.round(seconds * sampleRate);
  const missing = Object.entries({ 'sample rate': sampleRate, 'FFT size': nFft, hop, 'clip length': clipSamples })
    .filter(([, v]) => v === undefined)
    .map(([k]) => k);
  if (missing.length) throw new UserError(`${ckpt.dir}: the checkpoint's dataset settings lack the ${missing.join(', ')} needed to make sound`);
  const [bins, frames] = ckpt.inputShape;
  return { sampleRate: sampleRate!, clipSamples: clipSamples!, stft: { nFft: nFft!, hop: hop!, winLength }, bins, frames };
}
