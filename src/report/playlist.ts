/**
 * The playlist page of `soundvae similar --out`: each query beside its nearest dataset items, all playable.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeWav } from '../audio/index.ts';
import { describeError } from '../errors.ts';
import { writeFileAtomic } from '../fsutil.ts';
import { safeStem, uniqueNamer } from '../generate/operations.ts';
import type { PreparedClip } from '../generate/settings.ts';
import type { Hertz } from '../units.ts';
import type { Match } from '../generate/similar.ts';
import { escapeHtml, escapeUrlPath } from './escape.ts';

/** One query and what was found for it. */
export interface PlaylistEntry {
  file: string;
  clip?: PreparedClip;
  matches: Match[];
}

/**
 * Writes `out/index.html` and the WAVs it plays (`out/sounds/`): each query's clip, then each match's clip read
 * from its source file through `readClip` (a match whose source cannot be read is listed with the reason instead).
 * @returns the page's path.
 */
export async function writePlaylist(out: string, sampleRate: Hertz, entries: PlaylistEntry[], readClip: (m: Match) => Promise<PreparedClip>): Promise<string> {
  const sounds = path.join(out, 'sounds');
  await fs.mkdir(sounds, { recursive: true });
  const name = uniqueNamer();
  const player = async (stem: string, clip: PreparedClip | undefined): Promise<string> => {
    if (!clip) return '';
    const file = `${name(stem)}.wav`;
    await writeWav(path.join(sounds, file), clip.audio, sampleRate);
    return `<audio controls preload="none" src="sounds/${escapeUrlPath(file)}"></audio>`;
  };
  const sections: string[] = [];
  for (const e of entries) {
    const rows: string[] = [];
    for (const [i, m] of e.matches.entries()) {
      let cell: string;
      try {
        cell = await player(`${safeStem(e.file)}-${i + 1}-${safeStem(m.source)}`, await readClip(m));
      } catch (err) {
        cell = `<span class="note">${escapeHtml(describeError(err))}</span>`;
      }
      const label = m.label === undefined ? '' : escapeHtml(m.label);
      rows.push(
        `<tr><td>${i + 1}</td><td>${escapeHtml(path.basename(m.source))} @ ${m.offset.toFixed(2)} s</td><td>${label}</td><td>${m.distance.toFixed(2)}</td><td>${cell}</td></tr>`,
      );
    }
    sections.push(
      `<section><h2>${escapeHtml(path.basename(e.file))}</h2><p>${await player(`${safeStem(e.file)}-query`, e.clip)}</p>` +
        `<table><thead><tr><th>#</th><th>item</th><th>label</th><th>distance</th><th>listen</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`,
    );
  }
  const page = path.join(out, 'index.html');
  await writeFileAtomic(
    page,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>soundvae: similar sounds</title>` +
      `<style>body{font:15px system-ui,sans-serif;margin:2em;max-width:60em}td,th{padding:.2em .6em;text-align:left}.note{color:#a33}</style></head>` +
      `<body><h1>Similar sounds</h1><p>Nearest dataset items in the VAE's latent space (Euclidean distance between latent means; smaller is closer).</p>${sections.join('')}</body></html>\n`,
  );
  return page;
}
