// Which sources dist/ was built from: scripts/build.ts writes the stamp, bin/soundvae.js compares it with src/ at
// each start (a walk of about 200 file names and mtimes, a few milliseconds) and runs dist/ only when they agree.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** The stamp's path inside dist/. */
export const BUILD_STAMP = 'build.json';

/** The compiled sources under src/ (TypeScript and the workers' .mjs entries; not tests) and their newest mtime. */
export function sourceStamp(root) {
  const files = [];
  let newest = 0;
  for (const entry of readdirSync(path.join(root, 'src'), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith('.test.ts') || !/\.(ts|mjs)$/.test(entry.name)) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    newest = Math.max(newest, statSync(file).mtimeMs);
    files.push(path.relative(root, file));
  }
  files.sort();
  return { newest, files };
}

/** True when dist/ holds a build of the sources as they are now. */
export function distIsFresh(root) {
  let built;
  try {
    built = JSON.parse(readFileSync(path.join(root, 'dist', BUILD_STAMP), 'utf8'));
  } catch {
    return false;
  }
  const now = sourceStamp(root);
  return built.newest === now.newest && built.files === now.files.length;
}
