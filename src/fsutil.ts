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
