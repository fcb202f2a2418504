/**
 * Checks shared by every command, with one wording for a bad option value: "--NAME VALUE: expected WHAT", VALUE as
 * the user typed it. No tfjs here: these run before any command module is loaded.
 */
import { UserError } from '../errors.ts';

/** What `--backend` (and SOUNDVAE_BACKEND) accept; backend.ts's BACKEND_ORDER after 'auto' (options.test.ts checks). */
export const BACKEND_CHOICES = ['auto', 'tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

/** The one-line error for a bad option value. @example optionError('batch-size', 'abc', 'a positive integer') */
export function optionError(name: string, typed: unknown, expected: string): UserError {
  return new UserError(`--${name} ${String(typed)}: expected ${expected}`);
}

/**
 * Checks that `value` is a whole number in [min, max] (max optional).
 * @example expectInteger('count', 0, 1, 10000) // throws "--count 0: expected a whole number from 1 to 10000"
 */
export function expectInteger(name: string, value: number, min: number, max = Infinity): number {
  if (Number.isInteger(value) && value >= min && value <= max) return value;
  const expected = max !== Infinity ? `a whole number from ${min} to ${max}` : min === 1 ? 'a positive integer' : `a whole number >= ${min}`;
  throw optionError(name, value, expected);
}

/** Checks that `value` is a number in [min, max) (`maxExclusive`) or [min, max]. */
export function expectRange(name: string, value: number, min: number, max = Infinity, maxExclusive = false): number {
  const ok = Number.isFinite(value) && value >= min && (maxExclusive ? value < max : value <= max);
  if (ok) return value;
  const expected = max === Infinity ? `a number >= ${min}` : `a number in [${min}, ${max}${maxExclusive ? ')' : ']'}`;
  throw optionError(name, value, expected);
}

/** What the user typed after `--name` (or `--name=`), for echoing a value yargs turned into NaN. */
export function typedValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${name}`) return argv[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

/**
 * Rejects number options that did not parse (yargs makes them NaN) and an unknown --backend, before any command runs.
 * `parsed` is yargs' argv (kebab-case and camelCase keys), `argv` the words as typed.
 */
export function checkCommonOptions(parsed: Record<string, unknown>, argv: readonly string[]): void {
  for (const [key, value] of Object.entries(parsed)) {
    if (/[A-Z]/.test(key) || key === '$0' || key === '_') continue;
    const bad = typeof value === 'number' ? Number.isNaN(value) : Array.isArray(value) && value.some((v) => Number.isNaN(v));
    if (bad) throw optionError(key, typedValue(argv, key) ?? value, 'a number');
  }
  const backend = parsed.backend;
  if (backend !== undefined && !(BACKEND_CHOICES as readonly unknown[]).includes(backend)) {
    throw optionError('backend', backend, `one of ${BACKEND_CHOICES.join(', ')}`);
  }
}
