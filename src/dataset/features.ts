/**
 * MelFeatureExtractor: the preprocessing stage that makes mel bands in dB or MFCCs instead of the log-magnitude
 * STFT (`--features mel|mfcc`), with librosa's definitions (src/dsp/mel.ts), for the classifiers. The same STFT
 * as LogSpectrogramExtractor (periodic Hann, centred frames, reflect padding), all nFft/2 + 1 bins, squared.
 */
import { applyFilterbank, melFilterbank, mfcc, powerToDb } from '../dsp/mel.ts';
import { StftPlan } from '../dsp/stft.ts';
import { spectrogramShape, type FeatureSettings, type PreprocessSettings } from './presets.ts';

/** What every extractor of one clip gives: its [height, width] and a bin-major array of that shape. */
export interface FeatureExtractor {
  readonly shape: [number, number];
  extract(signal: Float32Array): Float32Array;
}

export class MelFeatureExtractor implements FeatureExtractor {
  readonly shape: [number, number];
  private readonly plan: StftPlan;
  private readonly filterbank: Float32Array;
  private readonly padded: Float64Array;
  private readonly re: Float32Array;
  private readonly im: Float32Array;

  constructor(
    private readonly settings: Pick<PreprocessSettings, 'sampleRate' | 'nFft' | 'hop' | 'clip' | 'dropNyquist' | 'db'> & { features: FeatureSettings },
  ) {
    this.shape = spectrogramShape(settings);
    const f = settings.features;
    this.plan = new StftPlan({ nFft: settings.nFft, hop: settings.hop, center: true, padMode: 'reflect' }, this.shape[1], settings.clip);
    this.filterbank = melFilterbank({ sampleRate: settings.sampleRate, nFft: settings.nFft, nMels: f.nMels, fmin: f.fmin, fmax: f.fmax, scale: f.scale });
    this.padded = new Float64Array(this.plan.paddedLength);
    this.re = new Float32Array(this.plan.frames * this.plan.bins);
    this.im = new Float32Array(this.plan.frames * this.plan.bins);
  }

  /** Mel bands in dB (or their MFCCs) of one clip of exactly `clip` samples, bins x frames. */
  extract(signal: Float32Array): Float32Array {
    const { bins, frames } = this.plan;
    this.plan.load(signal, this.padded);
    this.plan.analyze(this.padded, this.re, this.im);
    const power = new Float32Array(bins * frames);
    for (let t = 0; t < frames; t++) {
      for (let k = 0; k < bins; k++) {
        const a = this.re[t * bins + k]!;
        const b = this.im[t * bins + k]!;
        power[k * frames + t] = a * a + b * b;
      }
    }
    const mel = applyFilterbank({ bins, frames, data: power }, this.filterbank);
    // The dataset's amplitude dB settings, in power terms (librosa: amplitude_to_db(a) = power_to_db(a^2, amin^2, ref^2)).
    const { ref, amin, topDb } = this.settings.db;
    const db = { ...mel, data: powerToDb(mel.data, { ref: ref * ref, amin: amin * amin, topDb }) };
    return this.settings.features.kind === 'mfcc' ? mfcc(db, this.settings.features.nMfcc).data : db.data;
  }
}
