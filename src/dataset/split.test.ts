import { describe, expect, it } from 'vitest';
import { assignSplits, parseHoldout } from './split.ts';

function items(groups: number, per: number) {
  const out = [];
  for (let g = 0; g < groups; g++) for (let k = 0; k < per; k++) out.push({ group: `g${g}`, labels: { take: String(k) } });
  return out;
}

describe('assignSplits', () => {
  it('never puts a group on both sides and comes near the fraction', () => {
    const its = items(50, 4);
    for (const seed of [0, 1, 2]) {
      const s = assignSplits(its, { validation: 0.2, seed });
      const sides = new Map<string, Set<string>>();
      its.forEach((it, i) => sides.set(it.group, (sides.get(it.group) ?? new Set()).add(s[i]!)));
      for (const set of sides.values()) expect(set.size).toBe(1);
      const val = s.filter((x) => x === 'validation').length;
      expect(Math.abs(val - 40)).toBeLessThanOrEqual(4);
    }
  });

  it('is reproducible from the seed and independent of item order', () => {
    const its = items(20, 3);
    const a = assignSplits(its, { validation: 0.25, seed: 5 });
    const rev = [...its].reverse();
    const b = assignSplits(rev, { validation: 0.25, seed: 5 }).reverse();
    expect(b).toEqual(a);
    expect(assignSplits(its, { validation: 0.25, seed: 6 })).not.toEqual(a);
  });

  it('keeps at least one group on each side', () => {
    const s = assignSplits(items(2, 10), { validation: 0.05, seed: 0 });
    expect(new Set(s)).toEqual(new Set(['train', 'validation']));
    expect(assignSplits(items(3, 2), { validation: 0 }).every((x) => x === 'train')).toBe(true);
  });

  it('holds out by a label value', () => {
    const its = items(3, 10);
    const s = assignSplits(its, { holdout: parseHoldout('take=0-4') });
    its.forEach((it, i) => expect(s[i]).toBe(Number(it.labels.take) <= 4 ? 'validation' : 'train'));
  });

  it('parses holdout rules', () => {
    expect(parseHoldout('take=0-2,7')).toEqual({ field: 'take', values: ['0', '1', '2', '7'] });
    expect(parseHoldout('speaker=jackson, nicolas')).toEqual({ field: 'speaker', values: ['jackson', 'nicolas'] });
    expect(() => parseHoldout('take')).toThrow(/FIELD=/);
  });
});
