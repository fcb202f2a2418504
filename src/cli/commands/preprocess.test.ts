import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeWav } from '../../audio/wav-write.ts';

const bin = path.resolve(__dirname, '../../../bin/soundvae.js');

describe('soundvae preprocess', () => {
  it('makes a dataset, reports a bad file on one line, exits 1 with --strict, and info summarises it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'soundvae-preprocess-cli-'));
    try {
      for (const [digit, speaker] of [
        [1, 'ann'],
        [2, 'bob'],
        [3, 'cy'],
      ] as const) {
        const x = Float32Array.from({ length: 3000 }, (_, i) => 0.4 * Math.sin((2 * Math.PI * (300 + 50 * digit) * i) / 8000));
        writeFileSync(path.join(dir, `${digit}_${speaker}_0.wav`), encodeWav(x, 8000));
      }
      writeFileSync(path.join(dir, '4_dan_0.wav'), 'not audio');
      const out = path.join(dir, 'ds');
      const args = [
        bin,
        'preprocess',
        dir,
        '--out',
        out,
        '--labels',
        'fsdd',
        '--group-by',
        'speaker',
        '--validation',
        '0.34',
        '--workers',
        '1',
        '--strict',
        '--json',
      ];
      const r = spawnSync('node', args, { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const summary = JSON.parse(r.stdout);
      expect(summary).toMatchObject({ files: 4, clips: 3, items: 3, shape: [256, 64] });
      expect(summary.failed).toHaveLength(1);
      expect(summary.failed[0].file).toBe(path.join(dir, '4_dan_0.wav'));

      const info = spawnSync('node', [bin, 'info', out], { encoding: 'utf8' });
      expect(info.status).toBe(0);
      expect(info.stdout).toMatch(/3 spectrograms of 256 x 64/);
      expect(info.stdout).toMatch(/labels\s+1 1, 2 1, 3 1/);
      expect(info.stdout).toMatch(/preset digits, 8000 Hz/);

      const bad = spawnSync('node', [bin, 'preprocess', dir, '--out', out, '--hop', '0'], { encoding: 'utf8' });
      expect(bad.status).toBe(1);
      expect(bad.stderr.trim().split('\n')[0]).toMatch(/^soundvae: .*hop/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails (rc 1) when no input gives an item, naming what it found, and leaves no empty dataset', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'soundvae-preprocess-empty-'));
    try {
      const empty = path.join(dir, 'empty');
      const junk = path.join(dir, 'junk');
      mkdirSync(empty);
      mkdirSync(junk);
      writeFileSync(path.join(junk, 'notes.txt'), 'hello');
      writeFileSync(path.join(junk, 'x.wav'), 'not audio');
      const out = path.join(dir, 'ds');
      const r = spawnSync('node', [bin, 'preprocess', empty, '--out', out, '--quiet'], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(`soundvae: no usable audio in ${empty}: no audio files`);
      expect(existsSync(out)).toBe(false);
      const j = spawnSync('node', [bin, 'preprocess', junk, '--out', out, '--quiet'], { encoding: 'utf8' });
      expect(j.status).toBe(1);
      expect(j.stderr.trim().split('\n').at(-1)).toMatch(
        /^soundvae: no usable audio in .*junk: 1 audio file, 1 unreadable \(.*x\.wav: not an audio file.*\), 1 other file \(\.txt 1\)$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
