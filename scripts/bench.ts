/**
 * Benchmarks: `npm run bench -- <suite> [options]`. Each suite is a script in this folder named
 * bench-<suite>.ts that prints what it measured. Benchmarks are never timed assertions in tests.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const suites = readdirSync(here)
  .filter((f) => /^bench-.+\.ts$/.test(f))
  .map((f) => f.slice('bench-'.length, -'.ts'.length));
const [suite, ...rest] = process.argv.slice(2);
if (!suite || !suites.includes(suite)) {
  console.error(`usage: npm run bench -- <${suites.join('|')}> [options]`);
  process.exit(suite ? 1 : 0);
}
process.argv = [process.argv[0]!, path.join(here, `bench-${suite}.ts`), ...rest];
await import(pathToFileURL(path.join(here, `bench-${suite}.ts`)).href);
