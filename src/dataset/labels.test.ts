import { describe, expect, it } from 'vitest';
import { compileLabelPattern, groupOf, labelReader } from './labels.ts';

describe('labels', () => {
  it('reads FSDD names', () => {
    const r = labelReader({ from: 'fsdd' });
    expect(r.read('/data/fsdd/7_jackson_32.wav')).toEqual({ label: '7', labels: { digit: '7', speaker: 'jackson', take: '32' } });
    expect(r.read('/x/readme.wav')).toEqual({ label: undefined, labels: {} });
    expect(labelReader({ from: 'fsdd', field: 'speaker' }).read('3_theo_1.wav').label).toBe('theo');
  });

  it('reads custom patterns with literal separators', () => {
    const { match } = compileLabelPattern('take{n}-{name}.v{version}');
    expect(match('take12-lead guitar.v3')).toEqual({ n: '12', name: 'lead guitar', version: '3' });
    expect(match('take12_lead')).toBeUndefined();
    expect(() => compileLabelPattern('plain')).toThrow(/no \{field\}/);
    expect(() => labelReader({ from: '{a}_{b}', field: 'c' })).toThrow(/not in the pattern/);
  });

  it('reads the parent folder', () => {
    expect(labelReader({ from: 'folder' }).read('/music/jazz/a.mp3')).toEqual({ label: 'jazz', labels: { folder: 'jazz' } });
    expect(labelReader().read('/a/b.wav')).toEqual({ labels: {} });
  });

  it('groups by source, folder or field', () => {
    expect(groupOf('source', '/a/b.wav', {})).toBe('/a/b.wav');
    expect(groupOf('folder', '/a/b.wav', {})).toBe('/a');
    expect(groupOf('speaker', '/a/1_x_2.wav', { speaker: 'x' })).toBe('speaker:x');
    expect(groupOf('speaker', '/a/odd.wav', {})).toBe('/a/odd.wav');
  });
});
