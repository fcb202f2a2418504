import { describe, expect, it } from 'vitest';
import { commonFolder, compileLabelPattern, groupOf, labelReader } from './labels.ts';

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
    expect(groupOf('source', '/a/b.wav', {}, '/a')).toBe('b.wav');
    expect(groupOf('folder', '/a/b.wav', {}, '/a')).toBe('.');
    expect(groupOf('folder', '/r/jazz/a/b.wav', {}, '/r')).toBe('jazz/a');
    expect(groupOf('speaker', '/a/1_x_2.wav', { speaker: 'x' }, '/a')).toBe('speaker:x');
    expect(groupOf('speaker', '/a/odd.wav', {}, '/')).toBe('a/odd.wav');
    // the same files under another folder get the same groups
    expect(groupOf('folder', '/home/u/data/jazz/b.wav', {}, '/home/u/data')).toBe(groupOf('folder', '/mnt/data/jazz/b.wav', {}, '/mnt/data'));
  });

  it('finds the folder every input lives in', () => {
    expect(commonFolder(['/d/a/1.wav', '/d/b/2.wav'])).toBe('/d');
    expect(commonFolder(['/d/a/1.wav', '/d/a/2.wav'])).toBe('/d/a');
    expect(commonFolder(['/d/a/1.wav', '/e/2.wav'])).toBe('/');
    expect(commonFolder(['/d/ab/1.wav', '/d/a/2.wav'])).toBe('/d'); // whole names, not string prefixes
  });
});
