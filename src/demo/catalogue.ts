/**
 * The built-in demo dataset: a few hundred short procedural sounds in five labelled families, made in code
 * so the demo needs no downloads. Pitches and timbres vary within a family so there is something to learn.
 */
import type { Hertz, Seconds } from '../units.ts';
import { bell, chirp, drum, makeRng, pluck, vowel, VOWELS } from './sounds.ts';

export const DEMO_FAMILIES = ['pluck', 'bell', 'drum', 'vowel', 'chirp'] as const;
export type DemoFamily = (typeof DEMO_FAMILIES)[number];

export interface DemoSound {
  /** File stem, e.g. `pluck_017`. */
  name: string;
  label: DemoFamily;
  samples: Float32Array;
}

export interface DemoOptions {
  /** Sounds in all, spread evenly over the families. */
  count: number;
  sampleRate: Hertz;
  duration: Seconds;
  seed: number;
}

export const DEFAULT_DEMO_OPTIONS: DemoOptions = { count: 300, sampleRate: 16000, duration: 0.5, seed: 1 };

/** How far a note may be detuned, in semitones either way: no two sounds of a family are the same. */
const DETUNE = 0.25;

/**
 * A pitch drawn on a musical scale between `low` and `high`, so families span a range of notes, detuned a little:
 * a bell is a function of its pitch alone, and 60 bells on 28 notes repeated themselves (duplicates that could
 * fall on both sides of the split).
 */
function notePitch(rng: () => number, low: Hertz, high: Hertz): Hertz {
  const semitones = 12 * Math.log2(high / low);
  const note = Math.floor(rng() * (semitones + 1));
  return low * 2 ** ((note + (2 * rng() - 1) * DETUNE) / 12);
}

function makeOne(family: DemoFamily, rng: () => number, base: { sampleRate: Hertz; duration: Seconds }): Float32Array {
  switch (family) {
    case 'pluck':
      return pluck({ ...base, frequency: notePitch(rng, 110, 880) }, rng, 0.99 + rng() * 0.009);
    case 'bell':
      return bell({ ...base, frequency: notePitch(rng, 300, 1500) });
    case 'drum':
      return drum({ ...base, frequency: 40 + rng() * 160 }, rng, 0.1 + rng() * 0.5);
    case 'vowel': {
      const names = Object.keys(VOWELS) as (keyof typeof VOWELS)[];
      const v = names[Math.floor(rng() * names.length)]!;
      return vowel({ ...base, frequency: notePitch(rng, 100, 300) }, VOWELS[v]);
    }
    case 'chirp': {
      const start = notePitch(rng, 200, 2000);
      const up = rng() < 0.5;
      return chirp({ ...base, frequency: start }, up ? start * (2 + rng() * 2) : start / (2 + rng() * 2));
    }
  }
}

/**
 * Makes the demo sounds, deterministic for a seed.
 * @example
 * const sounds = makeDemoSounds({ ...DEFAULT_DEMO_OPTIONS, count: 50 });
 * sounds[0].label; // 'pluck'
 */
export function makeDemoSounds(options: Partial<DemoOptions> = {}): DemoSound[] {
  const { count, sampleRate, duration, seed } = { ...DEFAULT_DEMO_OPTIONS, ...options };
  const rng = makeRng(seed);
  const sounds: DemoSound[] = [];
  for (let i = 0; i < count; i++) {
    const label = DEMO_FAMILIES[i % DEMO_FAMILIES.length]!;
    const index = Math.floor(i / DEMO_FAMILIES.length);
    const name = `${label}_${String(index).padStart(3, '0')}`;
    sounds.push({ name, label, samples: makeOne(label, rng, { sampleRate, duration }) });
  }
  return sounds;
}
