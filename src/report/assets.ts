/** Files beside the report: a WAV and its spectrogram picture per clip, named by relative paths. */
import path from 'node:path';
import { audioLevels } from '../audio/cleanup.ts';
import { writeWav } from '../audio/index.ts';
import { amplitudeToDb, magnitude, stft } from '../dsp/index.ts';
import { DEFAULT_DB } from '../dsp/db.ts';
import { DEFAULT_FRAME } from '../dsp/defaults.ts';
import type { Spectrogram } from '../dsp/types.ts';
import { writeFileAtomic } from '../fsutil.ts';
import type { Decibels, Hertz, Samples } from '../units.ts';
import type { ColormapName } from './colormap.ts';
import type { AudioClip, ImageRef } from './html.ts';
import { spectrogramImage } from './png.ts';

export interface ClipAssetOptions {
  sampleRate: Hertz;
  /** STFT used for the picture (usually the checkpoint's own). */
  nFft: Samples;
  hop: Samples;
  colormap: ColormapName;
  /** Dynamic range shown below the top of the scale. */
  topDb: Decibels;
  /**
   * Top of each picture's scale: 'fullScale' (0 dB = a full-scale sine, the same for every picture, so a quiet
   * clip looks dark) or 'max' (each picture's own peak).
   */
  scale: 'fullScale' | 'max';
  plotWidth: number;
  plotHeight: number;
}

export const DEFAULT_CLIP_ASSETS: Omit<ClipAssetOptions, 'sampleRate'> = {
  nFft: DEFAULT_FRAME.nFft,
  hop: DEFAULT_FRAME.hop,
  colormap: 'magma',
  topDb: DEFAULT_DB.topDb,
  scale: 'fullScale',
  plotWidth: 300,
  plotHeight: 150,
};

/** dB of a magnitude spectrogram relative to its own peak, clipped topDb below it. */
export function peakDb(mag: Spectrogram, topDb: Decibels): Spectrogram {
  return amplitudeToDb(mag, { ref: 'max', topDb });
}

/**
 * dB of a magnitude spectrogram relative to full scale: 0 dB is the STFT peak of a full-scale sine (amplitude
 * 1, Hann window of nFft: nFft / 4), the same reference for every clip.
 */
export function fullScaleDb(mag: Spectrogram, nFft: Samples): Spectrogram {
  return amplitudeToDb(mag, { ref: nFft / 4, topDb: null });
}

/** Writes a spectrogram picture (values in dB relative to the peak) to `rel` inside the report folder. */
export async function writeSpectrogramImage(
  reportDir: string,
  rel: string,
  db: Spectrogram,
  options: Partial<ClipAssetOptions> & { sampleRate: Hertz },
  alt: string,
): Promise<ImageRef> {
  const o = { ...DEFAULT_CLIP_ASSETS, ...options };
  const img = spectrogramImage(db, {
    sampleRate: o.sampleRate,
    hop: o.hop,
    nFft: o.nFft,
    colormap: o.colormap,
    range: [-o.topDb, 0],
    plotWidth: o.plotWidth,
    plotHeight: o.plotHeight,
  });
  await writeFileAtomic(path.join(reportDir, rel), img.png);
  return { src: rel, width: img.width, height: img.height, alt };
}

/**
 * Writes `<base>.wav` (16-bit PCM, which every browser plays) and `<base>.png` (its spectrogram) inside the
 * report folder; `base` is relative to it, e.g. `reconstruct/0_jackson_0-original`.
 * @returns the clip with relative paths, ready for the report data.
 */
export async function writeClip(
  reportDir: string,
  base: string,
  samples: Float32Array,
  options: Partial<ClipAssetOptions> & { sampleRate: Hertz },
  alt = path.basename(base),
): Promise<AudioClip> {
  const o = { ...DEFAULT_CLIP_ASSETS, ...options };
  const wav = `${base}.wav`;
  await writeWav(path.join(reportDir, wav), samples, o.sampleRate, { encoding: 'pcm16' });
  const padded = samples.length >= o.nFft ? samples : Float32Array.from({ length: o.nFft }, (_, i) => samples[i] ?? 0);
  const mag = magnitude(stft(padded, { nFft: o.nFft, hop: o.hop }));
  const db = o.scale === 'max' ? peakDb(mag, o.topDb) : fullScaleDb(mag, o.nFft);
  const image = await writeSpectrogramImage(reportDir, `${base}.png`, db, o, `spectrogram of ${alt}`);
  return { src: wav, image, levels: audioLevels(samples) };
}
