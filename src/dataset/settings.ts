/**
 * The settings a dataset was made with, as the manifest records them and every later stage reads them: one
 * typed `RecordedSettings`, checked once where a file is read (`readManifest`, `loadCheckpoint`, a classifier's
 * loader) by `parseRecordedSettings`, and trusted everywhere after. No stage re-validates them by hand.
 *
 * The files carrying them have a `version` (the manifest's `DATASET_VERSION`, config.json's `CHECKPOINT_VERSION`);
 * `checkVersion` reads a missing one as 1 (the first format) and refuses one newer than this program reads.
 */
import { RESAMPLE_QUALITIES } from '../audio/resample.ts';
import { UserError } from '../errors.ts';
import { DEFAULT_LABELS, type LabelOptions } from './labels.ts';
import { PRESETS, type PreprocessSettings, type PresetName } from './presets.ts';

/** What the manifest records as the settings (resuming needs all of them equal); checkpoints keep a copy. */
export interface RecordedSettings extends PreprocessSettings {
  preset: PresetName;
  labels: Partial<LabelOptions>;
  groupBy: string;
}

/** A manifest's or checkpoint's settings are not what this program writes: `message` says which field and why. */
export class SettingsError extends Error {}

type Check = (v: unknown) => boolean;
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const positiveInt: Check = (v) => Number.isInteger(v) && (v as number) > 0;
const bool: Check = (v) => typeof v === 'boolean';
const str: Check = (v) => typeof v === 'string';
const orNull =
  (c: Check): Check =>
  (v) =>
    v === null || c(v);
const oneOf =
  (...values: unknown[]): Check =>
  (v) =>
    values.includes(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const CLEANUP: Record<string, Check> = {
  clicks: bool,
  trimDb: orNull(num),
  maxSilence: orNull(num),
  silenceDb: num,
  normalise: oneOf('none', 'peak', 'rms', 'lufs'),
  level: num,
};
const DB: Record<string, Check> = { ref: num, amin: num, topDb: orNull(num) };
const FEATURES: Record<string, Check> = {
  kind: oneOf('mel', 'mfcc'),
  nMels: positiveInt,
  fmin: num,
  fmax: orNull(num),
  scale: oneOf('slaney', 'htk'),
  nMfcc: positiveInt,
};
const SETTINGS: Record<string, Check> = {
  preset: oneOf(...Object.keys(PRESETS)),
  groupBy: str,
  sampleRate: positiveInt,
  resampleQuality: oneOf(...Object.keys(RESAMPLE_QUALITIES)),
  clip: positiveInt,
  split: oneOf('first', 'clips'),
  overlap: num,
  keepShort: oneOf('pad', 'drop'),
  pad: oneOf('right', 'center'),
  minDuration: num,
  nFft: positiveInt,
  hop: positiveInt,
  dropNyquist: bool,
  normalise: oneOf('item'),
};

/** The first field of `o` that `checks` refuses, as "prefix.field" with its value, or undefined when all pass. */
function firstBad(o: Record<string, unknown>, checks: Record<string, Check>, prefix = ''): string | undefined {
  for (const [key, ok] of Object.entries(checks)) {
    if (!ok(o[key])) return o[key] === undefined ? `${prefix}${key} missing` : `${prefix}${key} ${JSON.stringify(o[key])} is invalid`;
  }
  return undefined;
}

/**
 * Checks that `value` is a whole `RecordedSettings` and returns it typed (the same object, unchanged, so a
 * manifest rewritten on resume keeps its bytes).
 * @throws SettingsError naming the first missing or invalid field ("settings: db.topDb missing"); `name` is the
 * field's name in its file, for the message.
 * @example const settings = parseRecordedSettings(JSON.parse(text).settings);
 */
export function parseRecordedSettings(value: unknown, name = 'settings'): RecordedSettings {
  if (!isObject(value)) throw new SettingsError(`${name} missing`);
  const problem =
    firstBad(value, SETTINGS) ??
    (isObject(value.labels) ? undefined : 'labels missing') ??
    (isObject(value.cleanup) ? firstBad(value.cleanup, CLEANUP, 'cleanup.') : 'cleanup missing') ??
    (isObject(value.db) ? firstBad(value.db, DB, 'db.') : 'db missing') ??
    (value.features === undefined ? undefined : isObject(value.features) ? firstBad(value.features, FEATURES, 'features.') : 'features is invalid');
  if (problem) throw new SettingsError(`${name}: ${problem}`);
  return value as unknown as RecordedSettings;
}

/**
 * The version of a file in a versioned format: a missing one is read as 1 (files written before the field was
 * checked), one newer than `current` is refused with a one-line UserError saying to update soundvae, and one
 * below 1 or not an integer is refused as too old or malformed.
 * @example checkVersion('data/manifest.json', 'dataset', m.version, DATASET_VERSION) // 1
 */
export function checkVersion(file: string, what: string, version: unknown, current: number): number {
  if (version === undefined) return 1;
  if (!Number.isInteger(version)) throw new UserError(`${file}: ${what} version ${JSON.stringify(version)} is not a version number (the file is corrupt)`);
  const v = version as number;
  if (v > current) throw new UserError(`${file}: ${what} version ${v} is newer than this soundvae reads (${current}); update soundvae`);
  if (v < 1) throw new UserError(`${file}: ${what} version ${v} is older than this soundvae reads (1 to ${current}); make it again`);
  return v;
}

/**
 * The settings record of a dataset made from `preset` resolved to `settings`, labelled and grouped as given: what
 * `preprocess` writes into the manifest (the key order is the manifest's).
 * @example recordSettings('digits', resolveSettings('digits')) // { preset: 'digits', sampleRate: 8000, ... }
 */
export function recordSettings(
  preset: PresetName,
  settings: PreprocessSettings,
  labels: Partial<LabelOptions> = DEFAULT_LABELS,
  groupBy = 'source',
): RecordedSettings {
  return { preset, ...settings, labels, groupBy };
}
