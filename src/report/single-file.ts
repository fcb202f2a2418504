/**
 * One file instead of a folder: rewrites a report's index.html with every picture and sound it links to (relative
 * `src="..."` paths) inlined as data: URIs, so the page can be mailed or moved alone. Larger than the folder by a third
 * (base64), which is why the folder form stays the default.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fsutil.ts';

/** MIME types of the files a report links to. */
export const INLINE_TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.wav': 'audio/wav',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
};

/**
 * Replaces each relative `src="FILE"` in `html` whose FILE (resolved against `dir`) exists and has a known type with a
 * data: URI. Absolute URLs, data: URIs and fragments are left alone.
 * @returns the new HTML and how many files were inlined, and their bytes.
 */
export async function inlineAssets(html: string, dir: string): Promise<{ html: string; files: number; bytes: number }> {
  const refs = new Set<string>();
  for (const m of html.matchAll(/\bsrc="([^"]+)"/g)) refs.add(m[1]!);
  const uris = new Map<string, string>();
  let bytes = 0;
  for (const ref of refs) {
    if (/^([a-z][a-z0-9+.-]*:|\/\/|#)/i.test(ref)) continue;
    const file = path.resolve(dir, decodeURIComponent(ref.replace(/&amp;/g, '&')));
    const type = INLINE_TYPES[path.extname(file).toLowerCase()];
    if (!type) continue;
    const data = await fs.readFile(file).catch(() => undefined);
    if (!data) continue;
    bytes += data.length;
    uris.set(ref, `data:${type};base64,${data.toString('base64')}`);
  }
  const out = html.replace(/\bsrc="([^"]+)"/g, (all, ref: string) => (uris.has(ref) ? `src="${uris.get(ref)}"` : all));
  return { html: out, files: uris.size, bytes };
}

/**
 * Rewrites `file` (a report's index.html) in place as a single self-contained page (atomically).
 * @example await makeSingleFile('reports/digits/index.html')
 */
export async function makeSingleFile(file: string): Promise<{ files: number; bytes: number; size: number }> {
  const { html, files, bytes } = await inlineAssets(await fs.readFile(file, 'utf8'), path.dirname(file));
  await writeFileAtomic(file, html);
  return { files, bytes, size: Buffer.byteLength(html) };
}
