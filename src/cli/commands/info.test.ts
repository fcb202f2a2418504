import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { encodeWav } from '../../audio/wav-write.ts';
import { describeFiles, formatAudioInfo } from './info.ts';

describe('info on files', () => {
  it('describes good files and gives one-line errors for bad ones', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'soundvae-info-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const good = path.join(dir, 'tone.wav');
    writeFileSync(good, encodeWav([new Float32Array(8000), new Float32Array(8000)], 16000, { encoding: 'float32' }));
    const bad = path.join(dir, 'bad.wav');
    writeFileSync(bad, encodeWav(new Float32Array(100), 16000).subarray(0, 20));
    const [a, b] = await describeFiles([good, bad]);
    expect(a).toMatchObject({ ok: true, container: 'wav', codec: 'float', sampleRate: 16000, channels: 2, bitDepth: 32, frames: 8000 });
    expect(formatAudioInfo(a as never)).toBe(`${good}: wav/float, 16000 Hz, 2 ch, 32-bit, 0.500 s (8000 frames)`);
    expect(b!.ok).toBe(false);
    expect((b as { error: string }).error).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: truncated`));
    expect((b as { error: string }).error).not.toContain('\n');
  });
});
