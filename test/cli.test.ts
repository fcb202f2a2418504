import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = path.resolve(__dirname, '../bin/soundvae.js');

describe('soundvae CLI', () => {
  it('prints help listing the info command', () => {
    const out = execFileSync('node', [bin, '--help'], { encoding: 'utf8' });
    expect(out).toContain('soundvae info');
  });

  it('rejects an unknown command with exit code 1 and no stack trace', () => {
    const r = spawnSync('node', [bin, 'no-such-command'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports the active backend and why the native ones are missing', () => {
    const out = execFileSync('node', [bin, 'info', '--backends', '--json'], { encoding: 'utf8' });
    const parsed = JSON.parse(out) as { active: string; backends: { name: string; ok: boolean }[] };
    expect(parsed.backends.map((b) => b.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu']);
    expect(parsed.backends.find((b) => b.name === parsed.active)?.ok).toBe(true);
  });

  it('echoes a bad number as typed and rejects an unknown backend on any command, in one line', () => {
    const bad = spawnSync('node', [bin, 'generate', '--checkpoint', 'x', '--out', 'y', '--count', 'abc'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe('soundvae: --count abc: expected a number');
    const backend = spawnSync('node', [bin, 'info', '--backend', 'foo', '--backends'], { encoding: 'utf8' });
    expect(backend.status).toBe(1);
    expect(backend.stderr.trim()).toBe('soundvae: --backend foo: expected one of auto, tensorflow-gpu, tensorflow, webgpu, wasm, cpu');
  });

  it('demo --data on a folder without audio stops at preprocessing with rc 1, naming what it found', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'soundvae-demo-empty-'));
    try {
      const r = spawnSync('node', [bin, 'demo', '--data', empty, '--out', path.join(empty, 'demo')], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n').at(-1)).toBe(`soundvae: no usable audio in ${empty}: no audio files`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
