import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { COMMANDS, commandWord, loadCommands } from './index.ts';

describe('the command list', () => {
  it("gives the top-level help each module's own usage and summary", async () => {
    for (const entry of COMMANDS) {
      const module = await entry.load();
      expect({ name: entry.name, command: module.command, describe: module.describe }).toEqual({
        name: entry.name,
        command: entry.command,
        describe: entry.describe,
      });
    }
  });

  it('loads only the named command, or none for the top-level help', async () => {
    expect(await loadCommands(['info', 'x.wav'])).toHaveLength(1);
    const all = await loadCommands(['--help']);
    expect(all.map((c) => c.command)).toEqual(COMMANDS.map((c) => c.command));
    expect(all.every((c) => c.builder === undefined)).toBe(true);
  });

  it('finds the command word after a global option and its value', () => {
    expect(commandWord(['--backend', 'cpu', 'info', 'a.wav'])).toBe('info');
    expect(commandWord(['--backend=cpu', '--debug', 'train'])).toBe('train');
    expect(commandWord(['--help'])).toBeUndefined();
  });
});

/** What `soundvae ...argv` prints for --help at 100 columns (as when not on a terminal), rendered in-process. */
async function helpOf(argv: string[]): Promise<string> {
  const entry = COMMANDS.find((c) => c.name === argv[0])!;
  let out = '';
  await yargs(argv)
    .scriptName('soundvae')
    .option('backend', { type: 'string', describe: 'backend', global: true })
    .command(await entry.load())
    .help()
    .wrap(100)
    .exitProcess(false)
    .parseAsync(argv, {}, (_err, _args, output) => {
      out = output;
    });
  return out;
}

describe('every command help', () => {
  const helps = [...COMMANDS.map((c) => [c.name]), ...['train', 'eval', 'predict', 'report'].map((sub) => ['classify', sub])];

  it('describes every option and has no stray line break', async () => {
    for (const words of helps) {
      const help = await helpOf([...words, '--help']);
      expect(help, words.join(' ')).toContain('Options:');
      const lines = help.split('\n');
      // An option with nothing between its name and its [type]: undescribed.
      const undescribed = lines.filter((l) => /^\s+(-\w, )?--[\w-]+\s{2,}\[/.test(l));
      expect(undescribed, `${words.join(' ')}: options without a description`).toEqual([]);
      // A hand-wrapped paragraph line longer than the width leaves its last word alone on the next line.
      const text = lines.slice(
        0,
        lines.findIndex((l) => /^(Options|Positionals|Commands):/.test(l)),
      );
      const stray = text.filter((l, i) => /^\S+$/.test(l) && i > 0 && text[i - 1]!.length > 90 && Boolean(text[i + 1]));
      expect(stray, `${words.join(' ')}: words wrapped onto a line of their own`).toEqual([]);
    }
  });
});

/**
 * The chain of static imports from `file` that reaches a package matching `heavy`, or undefined. Each file is
 * transpiled first, so type-only imports (erased) do not count, and dynamic `import()` calls are not followed.
 */
function staticImportChain(file: string, heavy: RegExp, seen = new Set<string>()): string[] | undefined {
  if (seen.has(file)) return undefined;
  seen.add(file);
  const js = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  for (const [, from, bare] of js.matchAll(/^\s*(?:import|export)\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm)) {
    const spec = (from ?? bare)!;
    if (heavy.test(spec)) return [spec];
    if (!spec.startsWith('.')) continue;
    const next = path.resolve(path.dirname(file), spec);
    const chain = staticImportChain(next, heavy, seen);
    if (chain) return [path.relative(path.dirname(fileURLToPath(import.meta.url)), next), ...chain];
  }
  return undefined;
}

describe('command modules', () => {
  it('import TensorFlow.js only when their handler runs, so --help starts fast', () => {
    const dir = path.dirname(fileURLToPath(import.meta.url));
    expect(staticImportChain(path.join(dir, '../../generate/session.ts'), /^@tensorflow\//)).toEqual(['../../backend/backend.ts', '@tensorflow/tfjs']); // the check sees tfjs
    for (const { name } of COMMANDS) {
      expect(staticImportChain(path.join(dir, `${name}.ts`), /^@tensorflow\//), `${name}.ts imports tfjs through`).toBeUndefined();
    }
  });
});
