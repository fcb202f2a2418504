/**
 * A tiny trained classifier for the predict and report tests: FSDD-named steady tones (digit 1 low, 2 middle,
 * 3 high), preprocessed by the real pipeline at 16 x 16, and a small cnn trained on them.
 */
import path from 'node:path';
import { writeWav } from '../audio/index.ts';
import { preprocess } from '../dataset/pipeline.ts';
import { trainClassifier } from './train.ts';

export const FIXTURE_RATE = 8000;
/** Samples per clip: frames = 1 + 120 / 8 = 16; bins = 32 / 2 = 16. */
export const FIXTURE_CLIP = 120;
/** The tone of each digit, in the middle of a 250 Hz bin. */
export const FIXTURE_TONES: Record<string, number> = { '1': 625, '2': 1625, '3': 3125 };

/** A steady tone with a little seeded noise. */
export function fixtureTone(hz: number, samples: number, seed: number): Float32Array {
  let s = seed * 7919 + 1;
  const rand = () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5;
  return Float32Array.from({ length: samples }, (_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / FIXTURE_RATE + seed) + 0.02 * rand());
}

/** Writes tones, a dataset (takes 0-1 held out) and a trained cnn under `root`; returns their paths. */
export async function makeClassifierFixture(root: string): Promise<{ data: string; classifier: string }> {
  for (const [digit, hz] of Object.entries(FIXTURE_TONES)) {
    for (let take = 0; take < 8; take++) {
      await writeWav(path.join(root, 'audio', `${digit}_tester_${take}.wav`), fixtureTone(hz + 10 * take, FIXTURE_CLIP, take + 1), FIXTURE_RATE);
    }
  }
  const data = path.join(root, 'data');
  await preprocess([path.join(root, 'audio')], data, {
    preset: 'digits',
    overrides: { sampleRate: FIXTURE_RATE, nFft: 32, hop: 8, clip: FIXTURE_CLIP },
    labels: { from: 'fsdd' },
    split: { holdout: { field: 'take', values: ['0', '1'] } },
    workers: 0,
  });
  const classifier = path.join(root, 'cnn');
  await trainClassifier({
    data,
    out: classifier,
    kind: 'cnn',
    labelField: 'digit',
    epochs: 8,
    seed: 1,
    config: { filters: [4, 4, 4], hidden: 8, batchSize: 6, learningRate: 0.01 },
    log: () => {},
  });
  return { data, classifier };
}
