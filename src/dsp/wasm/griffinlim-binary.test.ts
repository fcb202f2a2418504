import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SOURCE_SHA256 } from './griffinlim-binary.ts';

describe('the embedded Griffin-Lim kernel', () => {
  it('was built from the C source in the tree', () => {
    const source = readFileSync(new URL('./griffinlim.c', import.meta.url));
    const hash = createHash('sha256').update(source).digest('hex');
    expect(hash, 'griffinlim.c changed since the last build: run `npm run build:wasm` (needs clang and lld)').toBe(SOURCE_SHA256);
  });
});
