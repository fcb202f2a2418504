import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWav } from '../../audio/index.ts';
import { initBackend } from '../../backend/backend.ts';
import { FIXTURE_CLIP, FIXTURE_RATE, FIXTURE_TONES, fixtureTone, makeClassifierFixture } from '../../classify/test-fixture.ts';

const bin = path.resolve(__dirname, '../../../bin/soundvae.js');

describe('soundvae classify predict and report', () => {
  let root: string;
  let classifier: string;
  beforeAll(async () => {
    await initBackend('cpu');
    root = mkdtempSync(path.join(tmpdir(), 'soundvae-classify-cli-'));
    ({ classifier } = await makeClassifierFixture(root));
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('predicts the readable files, reports a bad one on one line and exits 1', async () => {
    const good = path.join(root, 'three.wav');
    await writeWav(good, fixtureTone(FIXTURE_TONES['3']!, FIXTURE_CLIP, 9), FIXTURE_RATE);
    const bad = path.join(root, 'bad.wav');
    writeFileSync(bad, 'not audio');
    const r = spawnSync('node', [bin, 'classify', 'predict', '--classifier', classifier, '--backend', 'cpu', good, bad], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`${good.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\n  1 clip: 3 \\d+\\.\\d%`));
    expect(r.stdout).toMatch(/bad\.wav: skipped: /);
    expect(r.stderr).toMatch(/1 of 2 files skipped/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('writes the report page and refuses a folder that is not a classifier', () => {
    const out = path.join(root, 'page');
    const r = spawnSync('node', [bin, 'classify', 'report', '--classifier', classifier, '--out', out, '--backend', 'cpu', '--no-umap'], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^accuracy \d+\.\d%, top-3 100\.0% on 6 validation items/);
    expect(existsSync(path.join(out, 'index.html'))).toBe(true);
    const bad = spawnSync('node', [bin, 'classify', 'report', '--classifier', root, '--out', out], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/classifier\.json: missing/);
  }, 60_000);
  it('similar --classifier finds a file itself first among the dataset items; naming no space is one line', () => {
    const file = path.join(root, 'audio', '2_tester_5.wav');
    const r = spawnSync('node', [bin, 'similar', '--classifier', classifier, '--backend', 'cpu', '--top', '3', file], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`${file}:`);
    expect(lines[1]).toMatch(/^\s+1\. 2_tester_5\.wav @ 0\.00 s\s+label 2\s+distance 0\.00$/);
    expect(lines.slice(1, 4).every((l) => /^\s+\d\. \d_tester_\d\.wav/.test(l))).toBe(true);
    const none = spawnSync('node', [bin, 'similar', file], { encoding: 'utf8' });
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/--checkpoint RUN or --classifier DIR/);
  }, 60_000);
});
