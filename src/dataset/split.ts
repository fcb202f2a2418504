/**
 * Group-aware, seedable train/validation splits.
 *
 * Items that share a group (clips of one recording, one speaker, one album folder) always land on the same
 * side, so validation measures generalisation to unseen recordings rather than to unseen slices of seen ones.
 * Groups are ordered by a seeded hash of their name, not by arrival order, so the same groups and seed give
 * the same split however the files were listed or resumed.
 */

export type Split = 'train' | 'validation';

/** Hold out every item whose label `field` has one of `values` (e.g. FSDD takes 0-4 as validation). */
export interface Holdout {
  field: string;
  values: string[];
}

/** How to split a dataset into train and validation. */
export interface SplitOptions {
  /** Target fraction of items in validation, in [0, 1). Default 0.1. Ignored when `holdout` is given. */
  validation: number;
  /** Seed for the group order. Default 0. */
  seed: number;
  /** Rule-based validation set instead of a random fraction of groups. */
  holdout?: Holdout;
}

export const DEFAULT_SPLIT: SplitOptions = { validation: 0.1, seed: 0 };

/** What the splitter needs to know about an item. */
export interface SplitItem {
  group: string;
  labels?: Record<string, string>;
}

/**
 * A 32-bit FNV-1a hash of a string, mixed with a seed; stable across runs and machines.
 * @example hashString('jackson', 0) !== hashString('jackson', 1)
 */
export function hashString(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Final avalanche (murmur3's fmix32) so close seeds give unrelated orders.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Assigns each item to train or validation, keeping groups whole.
 *
 * Random mode: groups are visited in seeded-hash order and moved to validation while that brings the validation
 * count closer to `validation * items`; with at least two groups, each side gets at least one group when the
 * fraction is above 0. Holdout mode: an item goes to validation when its label `holdout.field` is one of
 * `holdout.values` (groups are not consulted: the rule itself defines the sides).
 *
 * @param items the items, in store order.
 * @param options fraction, seed, optional holdout rule; defaults in DEFAULT_SPLIT.
 * @returns one split per item.
 * @example assignSplits([{ group: 'a' }, { group: 'a' }, { group: 'b' }], { validation: 0.3, seed: 1 })
 */
export function assignSplits(items: readonly SplitItem[], options: Partial<SplitOptions> = {}): Split[] {
  const { validation, seed, holdout } = { ...DEFAULT_SPLIT, ...options };
  if (holdout) {
    const values = new Set(holdout.values);
    return items.map((it) => (values.has(it.labels?.[holdout.field] ?? '\u0000') ? 'validation' : 'train'));
  }
  if (!(validation >= 0 && validation < 1)) throw new RangeError(`validation fraction must be in [0, 1), got ${validation}`);
  const sizes = new Map<string, number>();
  for (const it of items) sizes.set(it.group, (sizes.get(it.group) ?? 0) + 1);
  const groups = [...sizes.keys()].sort((a, b) => hashString(a, seed) - hashString(b, seed) || (a < b ? -1 : 1));
  const target = validation * items.length;
  const held = new Set<string>();
  let count = 0;
  for (const g of groups) {
    if (held.size === groups.length - 1) break; // always leave something to train on
    const size = sizes.get(g)!;
    if (Math.abs(count + size - target) < Math.abs(count - target)) {
      held.add(g);
      count += size;
    }
  }
  // A positive fraction with few, large groups still gets one group to validate on.
  if (held.size === 0 && validation > 0 && groups.length >= 2) held.add(groups[0]!);
  return items.map((it) => (held.has(it.group) ? 'validation' : 'train'));
}

/**
 * Parses a holdout rule written on the command line: `FIELD=V1,V2,...` where a value may be an integer
 * range `A-B`.
 * @example parseHoldout('take=0-4') // { field: 'take', values: ['0','1','2','3','4'] }
 * @example parseHoldout('speaker=jackson,nicolas')
 */
export function parseHoldout(text: string): Holdout {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) throw new RangeError(`holdout must look like FIELD=V1,V2 or FIELD=A-B, got "${text}"`);
  const field = text.slice(0, eq).trim();
  const values: string[] = [];
  for (const part of text.slice(eq + 1).split(',')) {
    const range = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(part);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      for (let v = Math.min(a, b); v <= Math.max(a, b); v++) values.push(String(v));
    } else if (part.trim()) {
      values.push(part.trim());
    }
  }
  return { field, values };
}
