/**
 * What a dataset directory holds, for `soundvae info DATASET_DIR`: items, shape, labels, splits, sources,
 * statistics and the settings that made it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkDatasetFiles, MANIFEST_FILE, readManifest, type DatasetManifest, type DatasetStats } from './store.ts';
import type { RecordedSettings } from './settings.ts';

export interface DatasetSummary {
  dir: string;
  version: number;
  shape: [number, number];
  dtype: string;
  items: number;
  /** Bytes of spectrogram data. */
  bytes: number;
  splits: { train: number; validation: number };
  /** Groups per split (recordings, speakers or folders, as grouped). */
  groups: { train: number; validation: number };
  /** Items per main label, most common first. */
  labels: [string, number][];
  sources: { done: number; failed: number; empty: number };
  /** Seconds of source audio the items cover (before padding). */
  audioSeconds: number;
  stats: Omit<DatasetStats, 'meanSpectrogram'>;
  settings: RecordedSettings;
  updated: string;
  /** Missing or truncated shards ("FILE: what"); empty when every shard is whole. Checksums: `soundvae verify`. */
  problems: string[];
}

/** Whether a path is a folder holding a dataset manifest. */
export function isDatasetDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, MANIFEST_FILE));
}

/**
 * Summarises a dataset directory from its manifest (no spectrogram is read).
 * @throws UserError for a missing, corrupt or newer manifest.
 * @example console.log(formatDatasetSummary(await describeDataset('datasets/fsdd')));
 */
export async function describeDataset(dir: string): Promise<DatasetSummary> {
  const m = await readManifest(dir);
  const check = await checkDatasetFiles(dir, m);
  return { ...summarise(dir, m), problems: check.problems.map((p) => `${p.file}: ${p.problem}`) };
}

/** The summary of a manifest already read. */
export function summarise(dir: string, m: DatasetManifest): DatasetSummary {
  const splits = { train: 0, validation: 0 };
  const groups = { train: new Set<string>(), validation: new Set<string>() };
  const labels = new Map<string, number>();
  let audioSeconds = 0;
  for (const it of m.items) {
    splits[it.split]++;
    groups[it.split].add(it.group);
    if (it.label !== undefined) labels.set(it.label, (labels.get(it.label) ?? 0) + 1);
    audioSeconds += it.duration ?? 0;
  }
  const records = Object.values(m.sources ?? {});
  const { meanSpectrogram: _mean, ...stats } = m.stats;
  return {
    dir,
    version: m.version,
    shape: m.shape,
    dtype: m.dtype,
    items: m.items.length,
    bytes: m.items.length * m.itemBytes,
    splits,
    groups: { train: groups.train.size, validation: groups.validation.size },
    labels: [...labels.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
    sources: {
      done: records.filter((r) => r.status === 'done' && r.items > 0).length,
      failed: records.filter((r) => r.status === 'failed').length,
      empty: records.filter((r) => r.status === 'done' && r.items === 0).length,
    },
    audioSeconds,
    stats,
    settings: m.settings,
    updated: m.updated,
    problems: [],
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** Human-readable lines for a summary. */
export function formatDatasetSummary(s: DatasetSummary): string {
  const st = s.settings;
  const labelText = s.labels.length
    ? s.labels
        .slice(0, 12)
        .map(([l, n]) => `${l} ${n}`)
        .join(', ') + (s.labels.length > 12 ? `, ... (${s.labels.length} labels)` : '')
    : 'none';
  const lines = [
    `${s.dir}: soundvae dataset v${s.version}`,
    `  items      ${s.items} spectrograms of ${s.shape[0]} x ${s.shape[1]} (bins x frames), ${s.dtype}, ${mib(s.bytes)}`,
    `  splits     train ${s.splits.train} (${plural(s.groups.train, 'group')}), validation ${s.splits.validation} (${plural(s.groups.validation, 'group')})`,
    `  labels     ${labelText}`,
    `  sources    ${s.sources.done} files used, ${s.sources.empty} gave no clip, ${s.sources.failed} failed; ${(s.audioSeconds / 60).toFixed(1)} min of audio`,
    `  range (dB) items' min ${s.stats.minMean.toFixed(1)} ± ${s.stats.minStd.toFixed(1)}, max ${s.stats.maxMean.toFixed(1)} ± ${s.stats.maxStd.toFixed(1)}; overall ${s.stats.min.toFixed(1)} .. ${s.stats.max.toFixed(1)}`,
  ];
  lines.push(
    `  settings   preset ${st.preset}, ${st.sampleRate} Hz, clip ${st.clip} samples (${st.split}), n_fft ${st.nFft}, hop ${st.hop}` +
      `${st.dropNyquist ? ', Nyquist dropped' : ''}, dB ref ${st.db.ref} amin ${st.db.amin} top_db ${st.db.topDb}`,
  );
  const f = st.features;
  const bands = f && `${f.nMels} ${f.scale} mel bands ${f.fmin}-${f.fmax ?? st.sampleRate / 2} Hz`;
  lines.push(`  features   ${!f ? 'log-magnitude STFT' : f.kind === 'mel' ? `${bands}, dB` : `${f.nMfcc} MFCCs of ${bands}`}`);
  lines.push(`  updated    ${s.updated}`);
  for (const p of s.problems) lines.push(`  DAMAGED    ${p}`);
  if (s.problems.length) lines.push(`  repair     re-run the same preprocess command: it remakes the damaged items`);
  return lines.join('\n');
}
