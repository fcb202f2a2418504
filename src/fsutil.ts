import { promises as fs } from 'node:fs';
import path from 'node:path';

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
    throw err;
  }
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
