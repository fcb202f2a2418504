import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// Every kernel source in this folder, with the module that scripts/build-wasm.sh generates from it.
const files = readdirSync(new URL('.', import.meta.url)).sort();
const sources = files.filter((f) => f.endsWith('.c'));
// Every kernel's hash covers the headers too (scripts/build-wasm.sh: the source, then the headers in name order).
const headers = files.filter((f) => f.endsWith('.h'));

describe('the embedded WebAssembly kernels', () => {
  it('include the known kernels', () => {
    expect(sources).toEqual(expect.arrayContaining(['griffinlim.c', 'pghi.c', 'resample.c', 'spectrogram.c']));
  });

  for (const source of sources) {
    const name = source.slice(0, -2);
    it(`${name}-binary.ts was built from ${source} in the tree`, async () => {
      const hash = createHash('sha256');
      for (const file of [source, ...headers]) hash.update(readFileSync(new URL(`./${file}`, import.meta.url)));
      const binary = (await import(`./${name}-binary.ts`)) as { SOURCE_SHA256: string; WASM_BASE64: string };
      expect(hash.digest('hex'), `${source} or a header changed since the last build: run \`npm run build:wasm\` (needs clang and lld)`).toBe(binary.SOURCE_SHA256);
      expect(WebAssembly.validate(Buffer.from(binary.WASM_BASE64, 'base64'))).toBe(true);
    });
  }
});
