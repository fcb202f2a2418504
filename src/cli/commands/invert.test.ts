import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { decodeWav } from '../../audio/index.ts';
import { encodeWav } from '../../audio/wav-write.ts';
import { signalSpectralConvergence } from '../../dsp/index.ts';

const bin = path.resolve(__dirname, '../../../bin/soundvae.js');

describe('soundvae invert', () => {
  it('rebuilds good files, prints their SC, skips a bad one and exits 1', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'soundvae-invert-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const x = new Float32Array(4000).map((_, i) => 0.5 * Math.sin(0.0001 * i * i));
    const good = path.join(dir, 'chirp.wav');
    writeFileSync(good, encodeWav(x, 8000, { encoding: 'float32' }));
    const bad = path.join(dir, 'bad.wav');
    writeFileSync(bad, 'not audio at all');
    const out = path.join(dir, 'out');
    const r = spawnSync(
      'node',
      [bin, 'invert', good, bad, '--out', out, '--n-fft', '256', '--hop', '64', '--iters', '10', '--init', 'pghi', '--threads', '1'],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    const sc = Number(/SC (-?[\d.]+) dB/.exec(r.stdout)?.[1]);
    expect(sc).toBeLessThan(-15);
    expect(r.stderr).toContain(`${bad}:`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const rebuilt = path.join(out, 'chirp.wav');
    expect(existsSync(rebuilt)).toBe(true);
    const y = decodeWav(new Uint8Array(readFileSync(rebuilt)), rebuilt).channels[0]!;
    expect(y.length).toBe(x.length);
    // the printed figure is what an outside scorer finds on the written file
    expect(signalSpectralConvergence(y, x, { nFft: 256, hop: 64 })).toBeCloseTo(sc, 1);
  });
});
