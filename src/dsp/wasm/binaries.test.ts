import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// Every kernel source in this folder, with the module that scripts/build-wasm.sh generates from it.
const sources = readdirSync(new URL('.', import.meta.url)).filter((f) => f.endsWith('.c')).sort();

describe('the embedded WebAssembly kernels', () => {
  it('include the known kernels', () => {
    expect(sources).toEqual(expect.arrayContaining(['griffinlim.c', 'pghi.c', 'resample.c']));
  });

  for (const source of sources) {
    const name = source.slice(0, -2);
    it(`${name}-binary.ts was built from ${source} in the tree`, async () => {
      const hash = createHash('sha256').update(readFileSync(new URL(`./${source}`, import.meta.url))).digest('hex');
      const binary = (await import(`./${name}-binary.ts`)) as { SOURCE_SHA256: string; WASM_BASE64: string };
      expect(hash, `${source} changed since the last build: run \`npm run build:wasm\` (needs clang and lld)`).toBe(binary.SOURCE_SHA256);
      expect(WebAssembly.validate(Buffer.from(binary.WASM_BASE64, 'base64'))).toBe(true);
    });
  }
});
