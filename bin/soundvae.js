#!/usr/bin/env node
// Runs the compiled CLI in dist/ (built by `npm ci` through the `prepare` script, or `npm run build`), and the
// TypeScript sources through tsx when dist/ is missing or older than src/ (while developing), or when
// SOUNDVAE_FROM_SOURCE=1.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { distIsFresh } from './stamp.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let main;
if (process.env.SOUNDVAE_FROM_SOURCE !== '1' && distIsFresh(root)) {
  ({ main } = await import('../dist/src/cli/main.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
await main(process.argv.slice(2));
