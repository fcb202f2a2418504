/**
 * Labels and groups from file paths.
 *
 * A label pattern names the parts of a file name: `{digit}_{speaker}_{take}` reads FSDD's `7_jackson_32.wav` as
 * { digit: '7', speaker: 'jackson', take: '32' }. `folder` takes the parent folder (`jazz/track01.mp3` -> jazz).
 * The first field is the item's main label unless another is named.
 */
import path from 'node:path';

/** Shorthands for common layouts. */
export const LABEL_SCHEMES: Record<string, string> = {
  /** Free Spoken Digit Dataset: 7_jackson_32.wav */
  fsdd: '{digit}_{speaker}_{take}',
};

/** How labels are read: 'none', 'folder', a pattern, or a scheme name from LABEL_SCHEMES. */
export interface LabelOptions {
  /** Default 'none'. */
  from: string;
  /** Which field is the main label; default the first field of the pattern ('folder' for folder labels). */
  field?: string;
}

export const DEFAULT_LABELS: LabelOptions = { from: 'none' };

/** Reads labels from a path; undefined fields when the name does not match. */
export interface LabelReader {
  /** The field names it can produce. */
  fields: string[];
  /** The main label's field, if any. */
  field?: string;
  read(file: string): { label?: string; labels: Record<string, string> };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Compiles a file-name pattern with `{field}` placeholders into a matcher of the base name (without extension).
 * A field matches as few characters as it can, and never a path separator.
 * @example compileLabelPattern('{digit}_{speaker}_{take}')('7_jackson_32') // { digit: '7', speaker: 'jackson', take: '32' }
 */
export function compileLabelPattern(pattern: string): { fields: string[]; match: (name: string) => Record<string, string> | undefined } {
  const fields: string[] = [];
  let source = '';
  let last = 0;
  for (const m of pattern.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
    source += escapeRegex(pattern.slice(last, m.index));
    fields.push(m[1]!);
    source += '([^/\\\\]+?)';
    last = m.index! + m[0].length;
  }
  source += escapeRegex(pattern.slice(last));
  if (!fields.length) throw new RangeError(`label pattern "${pattern}" has no {field}`);
  if (new Set(fields).size !== fields.length) throw new RangeError(`label pattern "${pattern}" repeats a field`);
  const re = new RegExp(`^${source}$`);
  return {
    fields,
    match(name) {
      const m = re.exec(name);
      return m ? Object.fromEntries(fields.map((f, i) => [f, m[i + 1]!])) : undefined;
    },
  };
}

/**
 * Makes a label reader.
 * @param options `from`: 'none', 'folder', 'fsdd' (or another LABEL_SCHEMES name) or a pattern; `field`: the main label.
 * @example labelReader({ from: 'fsdd' }).read('/data/7_jackson_32.wav') // { label: '7', labels: { digit: '7', speaker: 'jackson', take: '32' } }
 * @example labelReader({ from: 'folder' }).read('/music/jazz/a.mp3') // { label: 'jazz', labels: { folder: 'jazz' } }
 */
export function labelReader(options: Partial<LabelOptions> = {}): LabelReader {
  const { from, field } = { ...DEFAULT_LABELS, ...options };
  if (from === 'none') return { fields: [], read: () => ({ labels: {} }) };
  if (from === 'folder') {
    return {
      fields: ['folder'],
      field: 'folder',
      read(file) {
        const folder = path.basename(path.dirname(file));
        return { label: folder, labels: { folder } };
      },
    };
  }
  const pattern = LABEL_SCHEMES[from] ?? from;
  const { fields, match } = compileLabelPattern(pattern);
  const main = field ?? fields[0]!;
  if (!fields.includes(main)) throw new RangeError(`label field "${main}" is not in the pattern "${pattern}"`);
  return {
    fields,
    field: main,
    read(file) {
      const base = path.basename(file, path.extname(file));
      const labels = match(base) ?? {};
      return { label: labels[main], labels };
    },
  };
}

/**
 * The group of an item, whose clips must stay on one side of the split.
 * Paths are taken relative to `root` with '/' separators, so the same files split the same way wherever the
 * folder lives (the split hashes group names).
 * @param by 'source' (the file), 'folder' (its parent folder), or a label field (e.g. 'speaker').
 * @param root the folder paths are relative to: the inputs' common folder (see `commonFolder`).
 * @example groupOf('speaker', '/d/7_jackson_32.wav', { speaker: 'jackson' }, '/d') // 'speaker:jackson'
 * @example groupOf('folder', '/data/jazz/a/1.mp3', {}, '/data') // 'jazz/a'
 */
export function groupOf(by: string, file: string, labels: Record<string, string>, root: string): string {
  const relative = path.relative(root, file).split(path.sep).join('/');
  if (by === 'source') return relative;
  if (by === 'folder') return path.posix.dirname(relative);
  const value = labels[by];
  // A file without that field is its own group rather than joining a shared "undefined" one.
  return value === undefined ? relative : `${by}:${value}`;
}

/**
 * The deepest folder that contains every file (absolute paths).
 * @example commonFolder(['/d/a/1.wav', '/d/b/2.wav']) // '/d'
 */
export function commonFolder(files: readonly string[]): string {
  if (files.length === 0) return path.parse(process.cwd()).root;
  let parts = path.dirname(files[0]!).split(path.sep);
  for (const f of files) {
    const other = path.dirname(f).split(path.sep);
    let n = 0;
    while (n < parts.length && n < other.length && parts[n] === other[n]) n++;
    parts = parts.slice(0, n);
  }
  return parts.join(path.sep) || path.parse(files[0]!).root;
}
