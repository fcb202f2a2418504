/**
 * Compiles src/ to plain JavaScript in dist/ (`npm run build`; `npm ci` runs it through the `prepare` script), so the
 * CLI starts without transpiling TypeScript. One output file per source file (no bundling), so the commands' lazy
 * imports stay lazy and worker threads find their modules beside them; `.ts` import specifiers become `.js`.
 * The worker entry points (`*.mjs`, which register tsx when run from source) are rewritten to import the compiled
 * worker directly. dist/build.json records the sources' newest mtime: bin/soundvae.js runs dist only while it matches.
 *
 * The build goes to a temporary folder first and replaces dist/ in one rename, so a half-built tree is never used.
 */
import { build, type Plugin } from 'esbuild';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_STAMP, sourceStamp, type BuildStamp } from '../bin/stamp.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const t0 = performance.now();
const stamp: BuildStamp = sourceStamp(root);
const entries = stamp.files.filter((f) => f.endsWith('.ts'));
const workerBoots = stamp.files.filter((f) => f.endsWith('.mjs'));

const tmp = path.join(root, `.dist-${process.pid}`);
const dist = path.join(root, 'dist');
rmSync(tmp, { recursive: true, force: true });

/**
 * Packages bundled into the module that imports them: yargs (its ~40 ESM files cost more to resolve and load than
 * the rest of `soundvae --help`).
 */
const BUNDLED = new Set(['yargs', 'yargs/helpers']);

/** Keeps every import as it is (no bundling), with relative `.ts` specifiers renamed to `.js`. */
const externalImports: Plugin = {
  name: 'external-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point' || BUNDLED.has(args.path)) return undefined;
      if (args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const spec = args.path.startsWith('.') ? args.path.replace(/\.ts$/, '.js') : args.path;
      return { path: spec, external: true };
    });
  },
};

try {
  await build({
    entryPoints: entries.map((f) => path.join(root, f)),
    outdir: tmp,
    outbase: root,
    bundle: true,
    plugins: [externalImports],
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  for (const file of workerBoots) {
    const source = readFileSync(path.join(root, file), 'utf8');
    const target = /await import\('(\.\/[^']+)\.ts'\);/.exec(source)?.[1];
    if (!target) throw new Error(`${file}: no "await import('./x.ts')" to rewrite`);
    const out = path.join(tmp, file);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `// Compiled worker entry (from ${file} by scripts/build.ts).\nawait import('${target}.js');\n`);
  }
  writeFileSync(path.join(tmp, BUILD_STAMP), `${JSON.stringify({ ...stamp, files: stamp.files.length })}\n`);
  rmSync(dist, { recursive: true, force: true });
  renameSync(tmp, dist);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`soundvae: built dist/ from ${entries.length} modules in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
