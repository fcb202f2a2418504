/**
 * The streaming spectrogram store: a dataset directory that training reads batch by batch, never whole.
 *
 * Layout of DIR:
 * - `shard-00000.bin`, `shard-00001.bin`, ...: items back to back, each exactly `itemBytes` long
 *   (bins x frames values, bin-major, little-endian float32 or uint16-quantised [0, 1]), so item i is one read
 *   at a known offset;
 * - `manifest.json`: schema and version, shape, the settings that made the data, per-item metadata (source,
 *   offset in the source, labels, group, split, the dB min and max that de-normalise it, shard and byte offset),
 *   per-source status for resuming, and dataset-level statistics.
 *
 * Crash safety: data is appended to the shards first and flushed; only then is the manifest replaced (temp file
 * + rename). The manifest is the truth: bytes past what it records are an interrupted append, and a writer
 * reopening the store truncates them. Re-running therefore resumes cleanly and skips sources already done.
 */
import { promises as fsp } from 'node:fs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileError, UserError } from '../errors.ts';
import { crc32, takeDirLock, writeFileAtomic } from '../fsutil.ts';
import { mulberry32 } from '../dsp/random.ts';
import type { Seconds } from '../units.ts';
import { checkVersion, parseRecordedSettings, SettingsError, type RecordedSettings } from './settings.ts';
import { assignSplits, DEFAULT_SPLIT, type Split, type SplitOptions } from './split.ts';

export const MANIFEST_FILE = 'manifest.json';
export const DATASET_SCHEMA = 'soundvae-dataset';
/** Bump when the layout changes in a way older readers cannot follow. */
export const DATASET_VERSION = 1;

/** How values are stored on disk. `uint16` keeps [0, 1] data at 1/65535 resolution in half the space. */
export type StoreDtype = 'float32' | 'uint16';

const BYTES_PER_VALUE: Record<StoreDtype, number> = { float32: 4, uint16: 2 };

/** Defaults of the writer, in one place. */
export const DEFAULT_STORE = {
  dtype: 'float32' as StoreDtype,
  /** Shards are cut at about this size so no single file grows without bound. */
  shardBytes: 1 << 30,
};

/** What the pipeline knows about an item when it appends it. */
export interface ItemMeta {
  /** The file the item came from (as the pipeline names it: an absolute path). */
  source: string;
  /** Where the clip starts in the source, in seconds. */
  offset: Seconds;
  /** The clip's length in the source before padding. */
  duration?: Seconds;
  /** The main label (a digit, a genre folder), when there is one. */
  label?: string;
  /** All labels parsed from the path, e.g. { digit: '7', speaker: 'jackson', take: '32' }. */
  labels?: Record<string, string>;
  /** Items of one group never straddle the split. Default: the source. */
  group?: string;
  /** A fixed split, kept through every commit; by default the writer assigns one from its split options. */
  split?: Split;
  /** The item's values before min-max normalisation (dB), to de-normalise it. */
  min: number;
  max: number;
}

/** An item as the manifest records it. */
export interface DatasetItem extends ItemMeta {
  index: number;
  group: string;
  split: Split;
  /** Set when the split was given at append time, so re-splitting leaves it alone. */
  fixedSplit?: true;
  shard: number;
  byteOffset: number;
  /** CRC-32 of the item's bytes as stored (absent in datasets made before checksums were recorded). */
  crc?: number;
}

/** What happened to a source file, so a re-run can skip it. */
export interface SourceRecord {
  status: 'done' | 'failed';
  /** Items it produced. */
  items: number;
  /** Why it failed or produced nothing. */
  reason?: string;
}

/** Dataset-level statistics, for de-normalising samples drawn from the prior. */
export interface DatasetStats {
  count: number;
  /** The lowest per-item min and highest per-item max (dB). */
  min: number;
  max: number;
  /** Mean and standard deviation of the per-item minima and maxima. */
  minMean: number;
  minStd: number;
  maxMean: number;
  maxStd: number;
  /** The mean normalised spectrogram, base64 of little-endian float32, bins x frames bin-major. */
  meanSpectrogram?: string;
}

export interface ShardRecord {
  file: string;
  items: number;
}

/** The whole of `manifest.json`. */
export interface DatasetManifest {
  schema: typeof DATASET_SCHEMA;
  version: number;
  /** [bins, frames]: the model's [height, width]. */
  shape: [number, number];
  dtype: StoreDtype;
  itemBytes: number;
  /** Items per shard before a new one is started. */
  shardItems: number;
  /** The settings that made the data (a preset with its overrides); resuming requires the same. */
  settings: RecordedSettings;
  split: SplitOptions;
  stats: DatasetStats;
  shards: ShardRecord[];
  sources: Record<string, SourceRecord>;
  items: DatasetItem[];
  created: string;
  updated: string;
}

export interface DatasetWriterOptions {
  /** [bins, frames] of every item. */
  shape: [number, number];
  /** The settings that made the data, recorded verbatim (JSON). */
  settings: RecordedSettings;
  /** Continue an existing store with the same shape and settings instead of starting afresh. Default false. */
  resume?: boolean;
  /** Default DEFAULT_STORE.dtype. */
  dtype?: StoreDtype;
  /** Default DEFAULT_SPLIT. */
  split?: Partial<SplitOptions>;
  /** Default DEFAULT_STORE.shardBytes. */
  shardBytes?: number;
}

export interface DatasetWriter {
  readonly dir: string;
  readonly shape: [number, number];
  /** Items appended so far, committed or not. */
  readonly count: number;
  /** What a resuming writer found damaged and dropped (its sources are made again); empty when all was whole. */
  readonly repaired: DatasetProblem[];
  /** Whether a source was already processed (by this run or a committed earlier one). */
  isDone(source: string): boolean;
  /** Records a source as done (with the items it gave) or failed; committed with the next commit. */
  markSource(source: string, record: SourceRecord): void;
  /** Appends one item's data (bins x frames values) and returns its index. */
  append(meta: ItemMeta, data: Float32Array): number;
  /** Flushes the shards, then atomically replaces the manifest with everything appended so far. */
  commit(): Promise<DatasetManifest>;
  /**
   * Drops the items appended since the last commit from index `count` on (a source that failed half-way).
   * @throws RangeError when `count` would drop committed items.
   */
  rollback(count: number): void;
  /** Commits and closes. */
  finish(): Promise<DatasetManifest>;
  /** Closes without committing: what was appended since the last commit is discarded on the next open. */
  close(): void;
}

/**
 * The output folder holds something a new dataset may replace with --overwrite: a dataset made with other settings
 * or shape, or a manifest that is damaged or not soundvae's. (Never a dataset another process is writing.)
 */
export class ReplaceableDatasetError extends UserError {}

function manifestPath(dir: string): string {
  return path.join(dir, MANIFEST_FILE);
}

function shardName(i: number): string {
  return `shard-${String(i).padStart(5, '0')}.bin`;
}

/** JSON with object keys sorted, so equal settings compare equal whatever their key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

/**
 * Reads and checks `DIR/manifest.json`.
 * @throws UserError naming the file when it is missing, unreadable, not a soundvae dataset, from a newer version,
 * or when its settings are not a whole `RecordedSettings` (checked here once; later stages trust the type).
 */
export async function readManifest(dir: string): Promise<DatasetManifest> {
  const file = manifestPath(dir);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${dir}: not a dataset (no ${MANIFEST_FILE}); make one with soundvae preprocess`);
    throw fileError(file, err);
  }
  let m: DatasetManifest;
  try {
    m = JSON.parse(text) as DatasetManifest;
  } catch (err) {
    throw new ReplaceableDatasetError(`${file}: corrupt manifest (${(err as Error).message})`);
  }
  if (!m || m.schema !== DATASET_SCHEMA) throw new ReplaceableDatasetError(`${file}: not a soundvae dataset manifest`);
  checkVersion(file, 'dataset', m.version, DATASET_VERSION);
  const shapeOk = Array.isArray(m.shape) && m.shape.length === 2 && m.shape.every((n) => Number.isInteger(n) && n > 0);
  if (!shapeOk || !(m.dtype in BYTES_PER_VALUE) || !Array.isArray(m.items) || !Array.isArray(m.shards)) {
    throw new ReplaceableDatasetError(`${file}: corrupt manifest (missing or invalid shape, dtype, items or shards)`);
  }
  if (m.itemBytes !== m.shape[0] * m.shape[1] * BYTES_PER_VALUE[m.dtype]) {
    throw new ReplaceableDatasetError(`${file}: corrupt manifest (itemBytes ${m.itemBytes} does not match shape and dtype)`);
  }
  try {
    parseRecordedSettings(m.settings); // typed from here on: no later stage checks them again
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    throw new ReplaceableDatasetError(`${file}: corrupt manifest (${err.message})`);
  }
  return m;
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

function std(xs: number[], mu: number): number {
  return xs.length ? Math.sqrt(xs.reduce((a, b) => a + (b - mu) ** 2, 0) / xs.length) : 0;
}

/** Dataset statistics from the items' ranges and the running sum of their (normalised) values. */
function computeStats(items: readonly DatasetItem[], sum: Float64Array): DatasetStats {
  const mins = items.map((it) => it.min);
  const maxs = items.map((it) => it.max);
  const minMean = mean(mins);
  const maxMean = mean(maxs);
  const stats: DatasetStats = {
    count: items.length,
    min: mins.length ? mins.reduce((a, b) => Math.min(a, b)) : 0,
    max: maxs.length ? maxs.reduce((a, b) => Math.max(a, b)) : 0,
    minMean,
    minStd: std(mins, minMean),
    maxMean,
    maxStd: std(maxs, maxMean),
  };
  if (items.length) {
    const m = new Float32Array(sum.length);
    for (let i = 0; i < sum.length; i++) m[i] = sum[i]! / items.length;
    stats.meanSpectrogram = Buffer.from(m.buffer, m.byteOffset, m.byteLength).toString('base64');
  }
  return stats;
}

/** Decodes `stats.meanSpectrogram` (bins x frames, bin-major), or undefined for an empty dataset. */
export function meanSpectrogram(manifest: DatasetManifest): Float32Array | undefined {
  const b64 = manifest.stats?.meanSpectrogram;
  if (!b64) return undefined;
  const bytes = Buffer.from(b64, 'base64');
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

function assertLittleEndian(): void {
  // Shards are little-endian and read straight into typed arrays.
  if (os.endianness() !== 'LE') throw new UserError('soundvae datasets need a little-endian machine');
}

/** `sum += scale * values`, element-wise (a small monomorphic loop V8 optimises well). */
function accumulate(sum: Float64Array, values: Float32Array | Uint16Array, scale: number): void {
  for (let i = 0; i < sum.length; i++) sum[i] += values[i]! * scale;
}

/** `out[at + i] = q[i] / 65535`: uint16 back to [0, 1] (a small loop of its own, which V8 optimises well). */
function dequantise(q: Uint16Array, out: Float32Array, at: number): void {
  const scale = 1 / 65535;
  for (let i = 0; i < q.length; i++) out[at + i] = q[i]! * scale;
}

/** Encodes item values into their on-disk bytes. */
function encodeItem(data: Float32Array, dtype: StoreDtype): Uint8Array {
  if (dtype === 'float32') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const q = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    q[i] = Math.round((v <= 0 ? 0 : v >= 1 ? 1 : v) * 65535);
  }
  return new Uint8Array(q.buffer);
}

/** A damaged part of a dataset: the file, what is wrong, and the first item it affects. */
export interface DatasetProblem {
  file: string;
  problem: string;
  firstItem: number;
}

/** What checkDatasetFiles found. */
export interface DatasetCheck {
  problems: DatasetProblem[];
  /** The first item that is missing or damaged; undefined when all are whole. */
  firstBad?: number;
  /** Items whose bytes were compared with a recorded checksum (0 when not asked, or none recorded). */
  checksummed: number;
  /** Items the manifest records. */
  items: number;
}

/** Bytes read at once when scanning shards. */
const SCAN_BYTES = 8 << 20;

/**
 * Calls `fn(index, bytes)` for items [0, count) in order, reading each shard sequentially in large blocks; stops at
 * the first shard that is missing or short (the caller checks sizes first). `bytes` is reused between calls.
 */
async function forEachStoredItem(dir: string, m: DatasetManifest, count: number, fn: (index: number, bytes: Uint8Array) => void): Promise<void> {
  const per = Math.max(1, Math.floor(SCAN_BYTES / m.itemBytes));
  const buf = new Uint8Array(per * m.itemBytes);
  for (let s = 0; s * m.shardItems < count; s++) {
    const first = s * m.shardItems;
    const n = Math.min(m.shardItems, count - first);
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(path.join(dir, m.shards[s]?.file ?? shardName(s)), 'r');
    } catch {
      return;
    }
    try {
      for (let k = 0; k < n; k += per) {
        const want = Math.min(per, n - k) * m.itemBytes;
        const { bytesRead } = await fh.read(buf, 0, want, k * m.itemBytes);
        const whole = Math.floor(bytesRead / m.itemBytes);
        for (let j = 0; j < whole; j++) fn(first + k + j, buf.subarray(j * m.itemBytes, (j + 1) * m.itemBytes));
        if (bytesRead < want) return;
      }
    } finally {
      await fh.close();
    }
  }
}

/**
 * Checks a dataset's shards against its manifest: every shard present and at least as long as the items it records,
 * and (with `checksums`) every item's bytes against the CRC-32 recorded when it was written.
 * @example
 * const { problems } = await checkDatasetFiles('data/digits', await readManifest('data/digits'), { checksums: true });
 */
export async function checkDatasetFiles(dir: string, m: DatasetManifest, options: { checksums?: boolean } = {}): Promise<DatasetCheck> {
  const problems: DatasetProblem[] = [];
  const count = m.items.length;
  let firstBad: number | undefined;
  const bad = (file: string, problem: string, firstItem: number) => {
    problems.push({ file, problem, firstItem });
    firstBad = Math.min(firstBad ?? Infinity, firstItem);
  };
  for (let s = 0; s * m.shardItems < count; s++) {
    const name = m.shards[s]?.file ?? shardName(s);
    const file = path.join(dir, name);
    const first = s * m.shardItems;
    const need = Math.min(m.shardItems, count - first) * m.itemBytes;
    let size: number;
    try {
      size = (await fsp.stat(file)).size;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      bad(file, code === 'ENOENT' ? 'missing' : `unreadable (${(err as Error).message})`, first);
      continue;
    }
    if (size < need) {
      const whole = Math.floor(size / m.itemBytes);
      bad(file, `truncated: ${size} bytes, the manifest records ${need} (items ${first + whole}-${first + need / m.itemBytes - 1} lost)`, first + whole);
    }
  }
  let checksummed = 0;
  if (options.checksums) {
    const mismatched = new Map<number, number[]>();
    await forEachStoredItem(dir, m, count, (i, bytes) => {
      const it = m.items[i]!;
      if (it.crc === undefined) return;
      checksummed++;
      if (crc32(bytes) !== it.crc) {
        const list = mismatched.get(it.shard) ?? [];
        list.push(i);
        mismatched.set(it.shard, list);
      }
    });
    for (const [shard, list] of mismatched) {
      const shown = list.slice(0, 5).join(', ') + (list.length > 5 ? `, ... (${list.length} items)` : '');
      bad(path.join(dir, m.shards[shard]?.file ?? shardName(shard)), `checksum mismatch in item${list.length === 1 ? '' : 's'} ${shown}`, list[0]!);
    }
  }
  problems.sort((a, b) => a.firstItem - b.firstItem);
  return { problems, firstBad, checksummed, items: count };
}

/**
 * Opens a dataset directory for appending.
 *
 * A fresh writer (resume false, the default) removes an existing store's manifest and shards in DIR. A resuming
 * writer checks that the existing store has the same shape, dtype and settings, truncates the shards to what the
 * manifest records (dropping an interrupted append), and drops trailing items of sources not marked done.
 *
 * @example
 * const w = await createDatasetWriter('out', { shape: [256, 64], settings: { preset: 'reference' } });
 * w.append({ source: '/data/a.wav', offset: 0, min: -80, max: 0 }, spectrogram);
 * w.markSource('/data/a.wav', { status: 'done', items: 1 });
 * await w.finish();
 */
export async function createDatasetWriter(dir: string, options: DatasetWriterOptions): Promise<DatasetWriter> {
  assertLittleEndian();
  const shape: [number, number] = [options.shape[0], options.shape[1]];
  if (!shape.every((n) => Number.isInteger(n) && n > 0)) throw new RangeError(`shape must be two positive integers, got ${shape}`);
  const dtype = options.dtype ?? DEFAULT_STORE.dtype;
  const values = shape[0] * shape[1];
  const itemBytes = values * BYTES_PER_VALUE[dtype];
  const shardItems = Math.max(1, Math.floor((options.shardBytes ?? DEFAULT_STORE.shardBytes) / itemBytes));
  const split: SplitOptions = { ...DEFAULT_SPLIT, ...options.split };
  await fsp.mkdir(dir, { recursive: true });
  const unlock = takeLock(dir);
  try {
    return await openWriter(dir, options, { shape, dtype, values, itemBytes, shardItems, split }, unlock);
  } catch (err) {
    unlock();
    throw err;
  }
}

export const LOCK_FILE = '.writer.lock';

/**
 * One writer per dataset directory: a lock file holding the writer's pid. A lock left by a process that died
 * (a crash, kill -9) is taken over.
 * @returns the function that releases it.
 */
function takeLock(dir: string): () => void {
  return takeDirLock(dir, LOCK_FILE, 'is writing this dataset');
}

/** How a writer lays out items: from the options, except that a resumed store keeps its own shard size. */
interface StoreLayout {
  shape: [number, number];
  dtype: StoreDtype;
  values: number;
  itemBytes: number;
  shardItems: number;
  split: SplitOptions;
}

/**
 * The writer of a locked directory: a fresh store, or (resuming) what the existing one holds whole and finished,
 * with the shard files cut to agree with the manifest.
 */
async function openWriter(dir: string, options: DatasetWriterOptions, layout: StoreLayout, unlock: () => void): Promise<DatasetWriter> {
  const now = new Date().toISOString();
  const sum = new Float64Array(layout.values);
  const repaired: DatasetProblem[] = [];
  let manifest = freshManifest(options.settings, layout, now);
  const exists = fs.existsSync(manifestPath(dir));
  if (exists && options.resume) {
    manifest = await resumedManifest(dir, options.settings, layout, now, sum, repaired);
  } else if (exists || !options.resume) {
    await fsp.rm(manifestPath(dir), { force: true });
  }
  await alignShards(dir, manifest, layout.itemBytes);
  return new StoreWriter(dir, manifest, sum, repaired, layout, unlock);
}

/** The manifest of an empty store. */
function freshManifest(settings: RecordedSettings, layout: StoreLayout, now: string): DatasetManifest {
  const { shape, dtype, itemBytes, shardItems, split } = layout;
  return {
    schema: DATASET_SCHEMA,
    version: DATASET_VERSION,
    shape,
    dtype,
    itemBytes,
    shardItems,
    settings,
    split,
    stats: computeStats([], new Float64Array(0)),
    shards: [],
    sources: {},
    items: [],
    created: now,
    updated: now,
  };
}

/**
 * The existing store's manifest, cut to what can be kept: it must have the same shape, dtype and settings; kept
 * items are checked against the shards (sizes and checksums), and from the first damaged item on, everything is
 * dropped (listed in `repaired`) and the sources it came from are made again. `sum` receives the kept items' sum.
 * @throws ReplaceableDatasetError when the store was made with other settings or shape.
 */
async function resumedManifest(
  dir: string,
  settings: RecordedSettings,
  layout: StoreLayout,
  now: string,
  sum: Float64Array,
  repaired: DatasetProblem[],
): Promise<DatasetManifest> {
  const old = await readManifest(dir);
  const same =
    canonicalJson(old.shape) === canonicalJson(layout.shape) && old.dtype === layout.dtype && canonicalJson(old.settings) === canonicalJson(settings);
  if (!same) {
    throw new ReplaceableDatasetError(`${dir}: holds a dataset made with other settings or shape; choose another output folder or start afresh (--overwrite)`);
  }
  const check = await checkDatasetFiles(dir, old, { checksums: true });
  repaired.push(...check.problems);
  const { keep, redo } = keptItems(old, check.firstBad);
  const sources = { ...old.sources };
  for (const source of redo) delete sources[source];
  await recoverSum(dir, old, keep, layout, sum);
  return { ...old, split: layout.split, shardItems: old.shardItems, sources, items: old.items.slice(0, keep), updated: now };
}

/**
 * How many of a store's items a resuming writer keeps, and the sources to make again: items from the first damaged
 * one (`firstBad`) on, and the items of a source that never finished, are dropped from the end, so re-running it
 * cannot duplicate them; a source with items on both sides of the cut (not written in one run) goes wholly.
 */
function keptItems(old: DatasetManifest, firstBad: number | undefined): { keep: number; redo: Set<string> } {
  let keep = Math.min(old.items.length, firstBad ?? Infinity);
  const redo = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = keep; i < old.items.length; i++) redo.add(old.items[i]!.source);
    while (keep > 0 && (redo.has(old.items[keep - 1]!.source) || old.sources[old.items[keep - 1]!.source]?.status !== 'done')) {
      keep--;
      changed = true;
    }
    const first = old.items.findIndex((it, i) => i < keep && redo.has(it.source));
    if (first >= 0) {
      keep = first;
      changed = true;
    }
  }
  return { keep, redo };
}

/** Fills `sum` with the sum of the first `keep` items of a store, from its mean when all are kept. */
async function recoverSum(dir: string, old: DatasetManifest, keep: number, layout: StoreLayout, sum: Float64Array): Promise<void> {
  const { values, dtype } = layout;
  const oldMean = meanSpectrogram(old);
  if (oldMean && old.stats.count > 0) {
    // The running sum is recovered from the mean of what was there, then corrected for dropped items below.
    for (let i = 0; i < values; i++) sum[i] = oldMean[i]! * old.stats.count;
  }
  if (keep < old.items.length) {
    // Rare (damage, or a library user committed mid-source): recompute the sum from the kept items.
    sum.fill(0);
    await forEachStoredItem(dir, old, keep, (_i, bytes) => {
      const v = dtype === 'float32' ? new Float32Array(bytes.buffer, bytes.byteOffset, values) : new Uint16Array(bytes.buffer, bytes.byteOffset, values);
      accumulate(sum, v, dtype === 'float32' ? 1 : 1 / 65535);
    });
  }
}

/** Makes the shard files agree with the manifest (and its `shards` list with its items): cuts interrupted appends, removes shards beyond it. */
async function alignShards(dir: string, manifest: DatasetManifest, itemBytes: number): Promise<void> {
  const committedCount = manifest.items.length;
  const shardCount = Math.ceil(committedCount / manifest.shardItems);
  manifest.shards = [];
  for (let s = 0; s < shardCount; s++) {
    const items = Math.min(manifest.shardItems, committedCount - s * manifest.shardItems);
    manifest.shards.push({ file: shardName(s), items });
  }
  for (const name of await fsp.readdir(dir)) {
    const m = /^shard-(\d{5})\.bin$/.exec(name);
    if (!m) continue;
    const s = Number(m[1]);
    const file = path.join(dir, name);
    if (s >= shardCount) await fsp.rm(file, { force: true });
    else await fsp.truncate(file, manifest.shards[s]!.items * itemBytes);
  }
}

/** The writer `createDatasetWriter` returns: appends to the shards, keeps the manifest in memory until a commit. */
class StoreWriter implements DatasetWriter {
  readonly shape: [number, number];
  private readonly items: DatasetItem[];
  private readonly sources: Record<string, SourceRecord>;
  private readonly fds = new Map<number, number>();
  private readonly dirty = new Set<number>();
  private committed: number;
  private closed = false;

  constructor(
    readonly dir: string,
    private manifest: DatasetManifest,
    /** The sum of the stored items' values, for the mean spectrogram. */
    private readonly sum: Float64Array,
    readonly repaired: DatasetProblem[],
    private readonly layout: StoreLayout,
    private readonly unlock: () => void,
  ) {
    this.shape = layout.shape;
    this.items = manifest.items;
    this.committed = this.items.length;
    this.sources = manifest.sources;
  }

  get count(): number {
    return this.items.length;
  }

  isDone(source: string): boolean {
    return this.sources[source]?.status === 'done';
  }

  markSource(source: string, record: SourceRecord): void {
    this.sources[source] = record;
  }

  append(meta: ItemMeta, data: Float32Array): number {
    if (this.closed) throw new Error('dataset writer is closed');
    const { values, itemBytes, dtype, shape } = this.layout;
    if (data.length !== values) {
      throw new RangeError(`item has ${data.length} values, the dataset's shape ${shape[0]}x${shape[1]} needs ${values}`);
    }
    const index = this.items.length;
    const shard = Math.floor(index / this.manifest.shardItems);
    const byteOffset = (index % this.manifest.shardItems) * itemBytes;
    const bytes = encodeItem(data, dtype);
    fs.writeSync(this.fdFor(shard), bytes, 0, bytes.length, byteOffset);
    this.dirty.add(shard);
    // The sum follows what is stored, so rollback and resume subtract and recover exactly that.
    if (dtype === 'float32') accumulate(this.sum, data, 1);
    else accumulate(this.sum, new Uint16Array(bytes.buffer, bytes.byteOffset, values), 1 / 65535);
    this.items.push({
      ...meta,
      index,
      group: meta.group ?? meta.source,
      split: meta.split ?? 'train',
      ...(meta.split && { fixedSplit: true as const }),
      shard,
      byteOffset,
      crc: crc32(bytes),
    });
    return index;
  }

  async commit(): Promise<DatasetManifest> {
    if (this.closed) throw new Error('dataset writer is closed');
    const { items, manifest } = this;
    // Data first: the manifest must never point at bytes that are not on disk.
    for (const s of this.dirty) fs.fdatasyncSync(this.fds.get(s)!);
    this.dirty.clear();
    const splits = assignSplits(items, this.layout.split);
    const shards: ShardRecord[] = [];
    for (let s = 0; s * manifest.shardItems < items.length; s++) {
      shards.push({ file: shardName(s), items: Math.min(manifest.shardItems, items.length - s * manifest.shardItems) });
    }
    for (let i = 0; i < items.length; i++) if (!items[i]!.fixedSplit) items[i]!.split = splits[i]!;
    this.manifest = {
      ...manifest,
      shards,
      stats: computeStats(items, this.sum),
      items,
      sources: this.sources,
      updated: new Date().toISOString(),
    };
    await writeFileAtomic(manifestPath(this.dir), JSON.stringify(this.manifest));
    this.committed = items.length;
    return this.manifest;
  }

  rollback(count: number): void {
    if (!(count >= this.committed && count <= this.items.length)) {
      throw new RangeError(`can only roll back uncommitted items (${this.committed}..${this.items.length}), asked for ${count}`);
    }
    // Take the dropped items out of the running sum by reading their bytes back (still in the page cache).
    const { itemBytes, dtype } = this.layout;
    const bytes = new Uint8Array(itemBytes);
    for (const it of this.items.splice(count)) {
      fs.readSync(this.fdFor(it.shard), bytes, 0, itemBytes, it.byteOffset);
      const v = dtype === 'float32' ? new Float32Array(bytes.buffer) : new Uint16Array(bytes.buffer);
      accumulate(this.sum, v, dtype === 'float32' ? -1 : -1 / 65535);
    }
  }

  async finish(): Promise<DatasetManifest> {
    const m = await this.commit();
    this.close();
    return m;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fd of this.fds.values()) fs.closeSync(fd);
    this.fds.clear();
    this.unlock();
  }

  private fdFor(shard: number): number {
    let fd = this.fds.get(shard);
    if (fd === undefined) {
      const file = path.join(this.dir, shardName(shard));
      fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+');
      this.fds.set(shard, fd);
    }
    return fd;
  }
}

/** Options for iterating batches. */
export interface BatchOptions {
  /** Shuffle seed; the order of epoch e is a function of (seed, e) alone. Default 0. */
  seed?: number;
  /** Epoch number, mixed into the shuffle. Default 0. */
  epoch?: number;
  /** Default true. */
  shuffle?: boolean;
  /** Drop a last, smaller batch. Default false. */
  dropLast?: boolean;
}

export const DEFAULT_BATCHES: Required<BatchOptions> = { seed: 0, epoch: 0, shuffle: true, dropLast: false };

/** A batch: the item indices and their data laid out [count, bins, frames]. */
export interface Batch {
  indices: number[];
  data: Float32Array;
}

/** A read-only view of a dataset directory that reads items by file offset. */
export interface SpectrogramDataset {
  readonly dir: string;
  readonly manifest: DatasetManifest;
  /** [bins, frames]. */
  readonly shape: [number, number];
  /** Number of items. */
  readonly size: number;
  /** Item indices of a split, or of all items. */
  indices(split?: Split | 'all'): number[];
  /** Reads items into one array [n, bins, frames] (into `out` when given, which must be large enough). */
  read(indices: readonly number[], out?: Float32Array): Promise<Float32Array>;
  /** Batches of `indices`, shuffled per epoch; reads one batch ahead, so memory stays at about two batches. */
  batches(indices: readonly number[], batchSize: number, options?: BatchOptions): AsyncGenerator<Batch>;
  /** The mean normalised spectrogram, if the store has one. */
  meanSpectrogram(): Float32Array | undefined;
  close(): Promise<void>;
}

/**
 * A seeded permutation of `indices` (Fisher-Yates), reproducible from (seed, epoch).
 * @example shuffled([0, 1, 2, 3], 7, 0) // the same order every time
 */
export function shuffled(indices: readonly number[], seed: number, epoch: number): number[] {
  const out = indices.slice();
  const rand = mulberry32((Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Opens a dataset directory for reading.
 * @throws UserError for a missing, corrupt or newer manifest, or shards shorter than it records.
 * @example
 * const ds = await openDataset('data/fsdd');
 * for await (const { data, indices } of ds.batches(ds.indices('train'), 64, { seed: 1, epoch })) train(data, indices.length);
 * await ds.close();
 */
export async function openDataset(dir: string): Promise<SpectrogramDataset> {
  assertLittleEndian();
  const manifest = await readManifest(dir);
  await checkShardSizes(dir, manifest);
  const values = manifest.shape[0] * manifest.shape[1];
  const shards = new ShardReader(dir, manifest);
  const dataset: SpectrogramDataset = {
    dir,
    manifest,
    shape: manifest.shape,
    size: manifest.items.length,
    indices(split = 'all') {
      return manifest.items.filter((it) => split === 'all' || it.split === split).map((it) => it.index);
    },
    async read(indices, out) {
      const need = indices.length * values;
      if (out && out.length < need) throw new RangeError(`out holds ${out.length} values, ${need} needed`);
      const dest = out ?? new Float32Array(need);
      // Consecutive items of one shard are read in one call (sequential evaluation passes).
      const reads: Promise<void>[] = [];
      for (let k = 0; k < indices.length; ) {
        const first = manifest.items[indices[k]!];
        if (!first) throw new RangeError(`item ${indices[k]} is out of range (dataset has ${manifest.items.length})`);
        let n = 1;
        while (k + n < indices.length && indices[k + n] === indices[k]! + n && manifest.items[indices[k + n]!]?.shard === first.shard) n++;
        reads.push(shards.readRun(first, n, dest, k * values));
        k += n;
      }
      await Promise.all(reads);
      return dest;
    },
    batches: (indices, batchSize, options = {}) => readBatches(dataset, indices, batchSize, options),
    meanSpectrogram: () => meanSpectrogram(manifest),
    close: () => shards.close(),
  };
  return dataset;
}

/** Refuses a dataset whose shards are missing or shorter than the manifest records, saying how to mend it. */
async function checkShardSizes(dir: string, manifest: DatasetManifest): Promise<void> {
  const repair = `the dataset is damaged: soundvae verify ${dir} lists what, and re-running the same preprocess command remakes it`;
  for (const shard of manifest.shards) {
    const file = path.join(dir, shard.file);
    let size: number;
    try {
      size = (await fsp.stat(file)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`${file}: shard missing; ${repair}`);
      throw fileError(file, err);
    }
    if (size < shard.items * manifest.itemBytes) {
      throw new UserError(`${file}: truncated shard (${size} bytes, the manifest records ${shard.items * manifest.itemBytes}); ${repair}`);
    }
  }
}

/** Reads runs of consecutive items from a dataset's shards, each opened once, on first use. */
class ShardReader {
  private readonly handles = new Map<number, Promise<fsp.FileHandle>>();

  constructor(
    private readonly dir: string,
    private readonly manifest: DatasetManifest,
  ) {}

  /** Items `first` and the `count - 1` after it (one shard) into `out` from value `at`, as float32 in [0, 1]. */
  async readRun(first: DatasetItem, count: number, out: Float32Array, at: number): Promise<void> {
    const { itemBytes, dtype, shape } = this.manifest;
    const fh = await this.handle(first.shard);
    const bytes = count * itemBytes;
    const file = () => path.join(this.dir, this.manifest.shards[first.shard]!.file);
    if (dtype === 'float32') {
      const view = new Uint8Array(out.buffer, out.byteOffset + at * 4, bytes);
      const { bytesRead } = await fh.read(view, 0, bytes, first.byteOffset);
      if (bytesRead !== bytes) throw new UserError(`${file()}: short read`);
    } else {
      const q = new Uint16Array(count * shape[0] * shape[1]);
      const { bytesRead } = await fh.read(new Uint8Array(q.buffer), 0, bytes, first.byteOffset);
      if (bytesRead !== bytes) throw new UserError(`${file()}: short read`);
      dequantise(q, out, at);
    }
  }

  async close(): Promise<void> {
    const all = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(all.map(async (h) => (await h).close()));
  }

  private handle(shard: number): Promise<fsp.FileHandle> {
    let h = this.handles.get(shard);
    if (!h) {
      h = fsp.open(path.join(this.dir, this.manifest.shards[shard]!.file), 'r');
      this.handles.set(shard, h);
    }
    return h;
  }
}

/** `SpectrogramDataset.batches`: the items in (shuffled) order, a batch at a time, the next one read ahead. */
async function* readBatches(dataset: SpectrogramDataset, indices: readonly number[], batchSize: number, options: BatchOptions): AsyncGenerator<Batch> {
  const o = { ...DEFAULT_BATCHES, ...options };
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  const order = o.shuffle ? shuffled(indices, o.seed, o.epoch) : indices.slice();
  const starts: number[] = [];
  for (let s = 0; s < order.length; s += batchSize) {
    if (o.dropLast && s + batchSize > order.length) break;
    starts.push(s);
  }
  const load = (s: number) => {
    const idx = order.slice(s, s + batchSize);
    return dataset.read(idx).then((data) => ({ indices: idx, data }));
  };
  let next = starts.length ? load(starts[0]!) : undefined;
  try {
    for (let b = 0; b < starts.length; b++) {
      const current = await next!;
      next = b + 1 < starts.length ? load(starts[b + 1]!) : undefined;
      yield current;
    }
  } finally {
    // A consumer that stops early must not leave a failed read-ahead unhandled.
    next?.catch(() => undefined);
  }
}

/**
 * Checks that a batch read from `ds` holds only finite values in [0, 1] (what preprocessing stores) and returns its
 * data; otherwise throws a UserError naming the item, its shard and its source, so damaged data is not mistaken for a
 * training problem.
 */
export function checkBatchValues(ds: SpectrogramDataset, batch: Batch): Float32Array {
  const data = batch.data;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v >= 0 && v <= 1) continue;
    const values = ds.shape[0] * ds.shape[1];
    const index = batch.indices[Math.floor(i / values)]!;
    const item = ds.manifest.items[index];
    const where = item
      ? `${path.join(ds.dir, ds.manifest.shards[item.shard]?.file ?? shardName(item.shard))}: item ${index} (${item.source} at ${item.offset} s)`
      : `${ds.dir}: item ${index}`;
    throw new UserError(
      `${where} holds ${v} at value ${i % values}, outside [0, 1]: the dataset is damaged (soundvae verify ${ds.dir} lists what; ` +
        're-running the same preprocess command remakes damaged items)',
    );
  }
  return data;
}
