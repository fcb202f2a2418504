import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectInputs, globToRegExp } from './inputs.ts';

let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'soundvae-inputs-'));
  for (const f of ['a/1.wav', 'a/b/2.WAV', 'a/b/notes.txt', 'c/3.flac', 'c/.hidden.wav', 'top.mp3']) {
    await fsp.mkdir(path.dirname(path.join(dir, f)), { recursive: true });
    await fsp.writeFile(path.join(dir, f), '');
  }
});
afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

describe('collectInputs', () => {
  it('expands folders recursively, files and globs, sorted and without duplicates', async () => {
    const got = await collectInputs(['a', 'c/3.flac', '**/*.flac', 'a/b/notes.txt', 'top.*'], dir);
    expect(got.map((f) => path.relative(dir, f))).toEqual(['a/1.wav', 'a/b/2.WAV', 'c/3.flac', 'a/b/notes.txt', 'top.mp3']);
  });

  it('fails clearly on missing inputs and empty globs', async () => {
    await expect(collectInputs(['nope'], dir)).rejects.toThrow(/nope: no such file or folder/);
    await expect(collectInputs(['a/*.ogg'], dir)).rejects.toThrow(/no files match/);
  });

  it('translates globs', () => {
    expect(globToRegExp('**/*.wav').test('x/y/z.wav')).toBe(true);
    expect(globToRegExp('**/*.wav').test('z.wav')).toBe(true);
    expect(globToRegExp('*.wav').test('x/z.wav')).toBe(false);
    expect(globToRegExp('{a,b}_?.[0-9]').test('b_x.7')).toBe(true);
  });
});
