/**
 * Turning command-line inputs (files, folders, glob patterns) into a sorted list of audio files.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { hasAudioExtension } from '../audio/decode.ts';
import { UserError } from '../errors.ts';

/** Whether a string holds glob syntax. */
export function isGlob(text: string): boolean {
  return /[*?[{]/.test(text);
}

/**
 * A glob pattern as a regular expression over '/'-separated paths: `*` and `?` stay within a path part,
 * `**` spans parts, `[abc]` and `{a,b}` as in the shell.
 * @example globToRegExp('data/**\/*.wav').test('data/a/b/c.wav') // true
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let inBraces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // '**/' matches zero or more whole folders; a bare '**' anything
        if (glob[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '{') {
      inBraces++;
      re += '(?:';
    } else if (c === '}' && inBraces) {
      inBraces--;
      re += ')';
    } else if (c === ',' && inBraces) re += '|';
    else re += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Every file under a folder, recursively (symbolic links to files included, hidden entries skipped). */
async function* walk(dir: string): AsyncGenerator<string> {
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(full);
    else if (e.isFile()) yield full;
    else if (e.isSymbolicLink()) {
      const st = await fsp.stat(full).catch(() => undefined);
      if (st?.isFile()) yield full;
      else if (st?.isDirectory()) yield* walk(full);
    }
  }
}

/**
 * Expands inputs into absolute file paths, in input order, each folder and glob sorted, duplicates removed.
 * Folders contribute their audio files (by extension, the audio layer's AUDIO_EXTENSIONS) recursively; globs match files relative to the current
 * folder (or absolute).
 * @throws UserError for an input that does not exist or a glob that matches nothing.
 * @example await collectInputs(['data/fsdd', 'extra/*.flac', 'one.ogg'])
 */
export async function collectInputs(inputs: readonly string[], cwd = process.cwd()): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (file: string) => {
    const abs = path.resolve(cwd, file);
    if (!seen.has(abs)) {
      seen.add(abs);
      out.push(abs);
    }
  };
  for (const input of inputs) {
    const abs = path.resolve(cwd, input);
    const st = await fsp.stat(abs).catch(() => undefined);
    if (st?.isFile()) {
      add(abs);
    } else if (st?.isDirectory()) {
      for await (const f of walk(abs)) if (hasAudioExtension(f)) add(f);
    } else if (isGlob(input)) {
      // Walk from the longest folder prefix without glob syntax.
      const parts = abs.split(path.sep);
      const firstGlob = parts.findIndex((p) => isGlob(p));
      const root = parts.slice(0, firstGlob).join(path.sep) || path.sep;
      const re = globToRegExp(parts.slice(firstGlob).join('/'));
      let matched = 0;
      const rootStat = await fsp.stat(root).catch(() => undefined);
      if (rootStat?.isDirectory()) {
        for await (const f of walk(root)) {
          if (!re.test(path.relative(root, f).split(path.sep).join('/'))) continue;
          matched++;
          add(f);
        }
      }
      if (matched === 0) throw new UserError(`${input}: no files match`);
    } else {
      throw new UserError(`${input}: no such file or folder`);
    }
  }
  return out;
}
