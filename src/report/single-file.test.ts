import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inlineAssets, makeSingleFile } from './single-file.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'soundvae-single-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a report as one file', () => {
  it('inlines the sounds and pictures it links to as data: URIs, and nothing else', async () => {
    mkdirSync(path.join(dir, 'reconstruct'));
    writeFileSync(path.join(dir, 'reconstruct', 'a b.wav'), Buffer.from('RIFFwav'));
    writeFileSync(path.join(dir, 'reconstruct', 'a.png'), Buffer.from([137, 80, 78, 71]));
    writeFileSync(path.join(dir, 'curves.svg'), '<svg/>');
    const html =
      '<img src="reconstruct/a.png"><audio src="reconstruct/a%20b.wav"></audio><img src="curves.svg"><img src="curves.svg">' +
      '<img src="https://example.com/x.png"><img src="missing.png"><script src="app.js"></script>';
    const out = await inlineAssets(html, dir);
    expect(out.files).toBe(3);
    expect(out.html).toContain(`src="data:image/png;base64,${Buffer.from([137, 80, 78, 71]).toString('base64')}"`);
    expect(out.html).toContain(`src="data:audio/wav;base64,${Buffer.from('RIFFwav').toString('base64')}"`);
    expect(out.html.match(/data:image\/svg\+xml;base64,/g)).toHaveLength(2);
    expect(out.html).toContain('src="https://example.com/x.png"');
    expect(out.html).toContain('src="missing.png"');
    expect(out.html).toContain('src="app.js"');
  });

  it('rewrites index.html in place, so it works without the folders beside it', async () => {
    const file = path.join(dir, 'index.html');
    writeFileSync(file, '<img src="curves.svg">');
    const r = await makeSingleFile(file);
    expect(r.files).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(`<img src="data:image/svg+xml;base64,${Buffer.from('<svg/>').toString('base64')}">`);
  });
});
