/**
 * `npm run check:layers`: the stage folders under src/ import only downwards, and no files import in a circle.
 *
 * Order, top to bottom (a folder may import from folders of a lower rank, or from its own):
 *   cli > explore > report > generate, classify > train > model, dataset, demo > backend > audio > dsp > shared files (src/*.ts)
 * Folders of the same rank may import one another only where it makes no circle between them.
 * Type-only imports count too: a type names a dependency as much as a value does.
 * Prints every upward import and every circle, and exits 1 when there is one.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

const RANK: Record<string, number> = {
  '': 0, // src/*.ts: errors, fsutil, units, progress
  dsp: 1,
  audio: 2,
  backend: 3,
  dataset: 4,
  model: 4,
  demo: 4,
  train: 5,
  generate: 6,
  classify: 6,
  report: 7,
  explore: 8,
  cli: 9,
};

const src = path.resolve(import.meta.dirname, '..', 'src');

async function sourceFiles(): Promise<string[]> {
  const entries = await fs.readdir(src, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && /\.(ts|mjs)$/.test(e.name) && !/\.test\.ts$/.test(e.name) && !/test-fixture\.ts$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Relative imports of a file (static, dynamic and `export ... from`), resolved to absolute paths. */
async function importsOf(file: string): Promise<string[]> {
  const text = await fs.readFile(file, 'utf8');
  const found = new Set<string>();
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)) found.add(path.resolve(path.dirname(file), m[1]!));
  return [...found];
}

const folderOf = (file: string) => path.relative(src, file).split(path.sep).slice(0, -1)[0] ?? '';
const rel = (file: string) => path.relative(src, file);

const files = await sourceFiles();
const graph = new Map<string, string[]>();
for (const f of files)
  graph.set(
    f,
    (await importsOf(f)).filter((t) => graph.has(t) || files.includes(t)),
  );

const upward: string[] = [];
const folderEdges = new Map<string, Set<string>>();
for (const [from, tos] of graph) {
  for (const to of tos) {
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === b) continue;
    if ((RANK[b] ?? 0) > (RANK[a] ?? 0)) upward.push(`${rel(from)} -> ${rel(to)}  (${a || 'src'} imports ${b}, a later stage)`);
    if (!folderEdges.has(a)) folderEdges.set(a, new Set());
    folderEdges.get(a)!.add(b);
  }
}

/** Each circle once, as its path, found by depth-first search over `edges`. */
function circles(edges: Map<string, Iterable<string>>): string[][] {
  const out: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of edges.get(n) ?? []) {
      if (state.get(m) === 'open') {
        const loop = stack.slice(stack.indexOf(m));
        const key = [...loop].sort().join('|');
        if (!seen.has(key)) {
          seen.add(key);
          out.push([...loop, m]);
        }
      } else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of edges.keys()) if (!state.has(n)) visit(n);
  return out;
}

const fileCircles = circles(graph);
const folderCircles = circles(folderEdges);
for (const u of upward) console.log(`upward: ${u}`);
for (const c of fileCircles) console.log(`circle: ${c.map(rel).join(' -> ')}`);
for (const c of folderCircles) console.log(`folder circle: ${c.map((f) => f || 'src').join(' -> ')}`);
console.log(`${files.length} files: ${upward.length} upward imports, ${fileCircles.length} file circles, ${folderCircles.length} folder circles`);
process.exitCode = upward.length + fileCircles.length + folderCircles.length > 0 ? 1 : 0;
