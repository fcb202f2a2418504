/**
 * Checksums of a checkpoint folder's files (`checksums.json`: relative path -> bytes and CRC-32), written by
 * saveCheckpoint just before config.json, checked by loadCheckpoint and `soundvae verify`. Free of tfjs, so
 * verifying a run starts fast.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.ts';
import { crc32, exists } from '../fsutil.ts';

export const CHECKSUMS_FILE = 'checksums.json';

/** The contents of checksums.json. */
export interface ChecksumsJson {
  algorithm: 'crc32';
  files: Record<string, { bytes: number; crc32: number }>;
}

/** Files under `dir`, as paths relative to it with '/' separators, sorted. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/**
 * The checksums of every file in `dir` (but checksums.json), plus `extra` files about to be written (name -> bytes).
 */
export async function computeChecksums(dir: string, extra: Record<string, Uint8Array> = {}): Promise<ChecksumsJson> {
  const files: ChecksumsJson['files'] = {};
  for (const rel of await listFiles(dir)) {
    if (rel === CHECKSUMS_FILE) continue;
    const bytes = await fs.readFile(path.join(dir, rel));
    files[rel] = { bytes: bytes.byteLength, crc32: crc32(bytes) };
  }
  for (const [rel, bytes] of Object.entries(extra)) files[rel] = { bytes: bytes.byteLength, crc32: crc32(bytes) };
  return { algorithm: 'crc32', files };
}

/** Result of checking one checkpoint folder. */
export interface CheckpointCheck {
  dir: string;
  /** Files compared with a recorded checksum. */
  checked: number;
  bytes: number;
  /** "FILE: what is wrong" lines; empty when whole. */
  problems: string[];
  /** False for checkpoints saved before checksums were recorded (only their presence can be checked). */
  hasChecksums: boolean;
}

/**
 * Checks every file of a checkpoint folder against its checksums.json, byte for byte.
 * @example const { problems } = await checkCheckpointFiles('runs/a/last');
 */
export async function checkCheckpointFiles(dir: string): Promise<CheckpointCheck> {
  const result: CheckpointCheck = { dir, checked: 0, bytes: 0, problems: [], hasChecksums: false };
  const sumsPath = path.join(dir, CHECKSUMS_FILE);
  let sums: ChecksumsJson | undefined;
  try {
    sums = JSON.parse(await fs.readFile(sumsPath, 'utf8')) as ChecksumsJson;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') result.problems.push(`${sumsPath}: unreadable or not JSON (the checkpoint is corrupt)`);
  }
  if (!sums) {
    for (const rel of [
      'config.json',
      'training.json',
      'optimizer.json',
      'optimizer.bin',
      'encoder/model.json',
      'encoder/weights.bin',
      'decoder/model.json',
      'decoder/weights.bin',
    ]) {
      if (!(await exists(path.join(dir, rel)))) result.problems.push(`${path.join(dir, rel)}: missing`);
    }
    return result;
  }
  if (!sums.files || typeof sums.files !== 'object') {
    result.problems.push(`${sumsPath}: no file list (the checkpoint is corrupt)`);
    return result;
  }
  result.hasChecksums = true;
  for (const [rel, want] of Object.entries(sums.files)) {
    const file = path.join(dir, ...rel.split('/'));
    let bytes: Uint8Array;
    try {
      bytes = await fs.readFile(file);
    } catch (err) {
      result.problems.push(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable'}`);
      continue;
    }
    result.checked++;
    result.bytes += bytes.byteLength;
    if (bytes.byteLength !== want.bytes) result.problems.push(`${file}: ${bytes.byteLength} bytes, ${want.bytes} recorded`);
    else if (crc32(bytes) !== want.crc32) result.problems.push(`${file}: checksum mismatch (its bytes changed since it was saved)`);
  }
  return result;
}

/**
 * Throws a one-line UserError when a checkpoint folder with recorded checksums does not match them
 * (random bytes in weights.bin of the right size would otherwise load and generate silence).
 */
export async function assertCheckpointIntact(dir: string): Promise<void> {
  const check = await checkCheckpointFiles(dir);
  if (check.hasChecksums && check.problems.length) {
    throw new UserError(`${check.problems[0]} (the checkpoint is corrupt${check.problems.length > 1 ? `; ${check.problems.length} problems` : ''})`);
  }
}
