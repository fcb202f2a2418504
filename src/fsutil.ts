import { promises as fs } from 'node:fs';
import fsSync from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describeError, fileError, UserError } from './errors.ts';

/**
 * Writes a file atomically: data goes to a temporary file in the same folder, then a rename
 * replaces the target, so a crash never leaves a half-written file under the real name.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw writeError(file, err);
  }
}

/** Error codes that mean the disk (or the user's quota) is full. */
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);

/** Whether an error is a full disk or quota. */
export function isDiskFull(err: unknown): boolean {
  return DISK_FULL.has((err as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/**
 * The error to report for a failed write of `file`: "FILE: disk full (...)" for ENOSPC/EDQUOT, else "FILE: cause".
 * UserErrors pass through unchanged.
 */
export function writeError(file: string, err: unknown): Error {
  if (err instanceof UserError) return err;
  if (isDiskFull(err)) return new UserError(`${file}: disk full (${describeError(err)})`, { cause: err });
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code ? fileError(file, err) : (err as Error);
}

/** CRC-32 (zlib's polynomial) of bytes, continuing from `value`. */
export function crc32(data: Uint8Array, value = 0): number {
  const native = (zlib as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
  if (native) return native(data, value);
  let c = ~value >>> 0;
  for (let i = 0; i < data.length; i++) {
    c ^= data[i]!;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

/** Whether a process id is alive on this machine. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes a lock on folder `dir`: the file `dir/name` created exclusively, holding this process's pid. A lock left by
 * a process that died (a crash, kill -9) is taken over; one held by a live process throws a UserError naming its pid.
 * @param what the activity, for the message: "is writing this dataset", "is training into this run folder"
 * @returns the function that releases it (idempotent)
 * @example
 * const unlock = takeDirLock('runs/a', '.train.lock', 'is training into this run folder');
 * try { ... } finally { unlock(); }
 */
export function takeDirLock(dir: string, name: string, what: string): () => void {
  const file = path.join(dir, name);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fsSync.writeFileSync(file, String(process.pid), { flag: 'wx' });
      let held = true;
      return () => {
        if (!held) return;
        held = false;
        fsSync.rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError(file, err);
      let pid = NaN;
      try {
        pid = Number(fsSync.readFileSync(file, 'utf8'));
      } catch {
        // removed in between by its owner: try again
      }
      if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
        throw new UserError(`${dir}: another soundvae process (pid ${pid}) ${what}; wait for it or stop it (if pid ${pid} is not soundvae, remove ${file})`);
      }
      fsSync.rmSync(file, { force: true });
    }
  }
  throw new UserError(`${dir}: cannot take the lock ${file}`);
}

/** Whether a path exists. */
export async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

/** Flushes a folder's entries (the renames in it) to disk; best effort where folders cannot be opened. */
export async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await fs.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // not supported on this platform: the rename is still atomic, only its durability is the OS's
  }
}

/**
 * Replaces folder `dir` by the finished folder `tmp`: dir -> dir.old, tmp -> dir, remove dir.old. At every instant
 * either `dir` or `dir.old` holds a whole copy, so a crash never leaves only a half-written folder.
 */
export async function replaceDir(tmp: string, dir: string): Promise<void> {
  const old = `${dir}.old`;
  // When dir is missing, dir.old may be the only whole copy (an earlier replace died): keep it until tmp is in place.
  if (await exists(dir)) {
    await fs.rm(old, { recursive: true, force: true });
    await fs.rename(dir, old);
  }
  await fs.rename(tmp, dir);
  await syncDir(path.dirname(dir));
  await fs.rm(old, { recursive: true, force: true });
}
