import { describe, expect, it } from 'vitest';
import { UserError } from '../errors.ts';
import { PRESETS } from './presets.ts';
import { checkVersion, parseRecordedSettings, recordSettings, SettingsError } from './settings.ts';
import { testSettings } from './test-fixture.ts';

describe('parseRecordedSettings', () => {
  it('returns a whole record as it is (the same object: a resumed manifest keeps its bytes)', () => {
    const s = JSON.parse(JSON.stringify(recordSettings('digits', PRESETS.digits, { from: 'fsdd' })));
    expect(parseRecordedSettings(s)).toBe(s);
    const mel = testSettings({ features: { kind: 'mel', nMels: 64, fmin: 0, fmax: null, scale: 'slaney', nMfcc: 20 } });
    expect(parseRecordedSettings(mel)).toBe(mel);
    expect(parseRecordedSettings(testSettings({ db: { ref: 1, amin: 1e-5, topDb: null } })).db.topDb).toBeNull();
  });

  it('names the first missing or invalid field, one line', () => {
    const { hop: _hop, ...noHop } = testSettings();
    expect(() => parseRecordedSettings(noHop)).toThrow(new SettingsError('settings: hop missing'));
    expect(() => parseRecordedSettings(testSettings({ split: 'whole' as 'first' }))).toThrow('settings: split "whole" is invalid');
    const s = testSettings();
    expect(() => parseRecordedSettings({ ...s, db: { ref: 1, amin: 1e-5 } }, 'dataset.preprocessing')).toThrow('dataset.preprocessing: db.topDb missing');
    expect(() => parseRecordedSettings({ ...s, cleanup: { ...s.cleanup, normalise: 'loud' } })).toThrow('settings: cleanup.normalise "loud" is invalid');
    expect(() => parseRecordedSettings(undefined)).toThrow('settings missing');
    expect(() => parseRecordedSettings({ test: true })).toThrow(/settings: preset missing/);
  });
});

describe('checkVersion', () => {
  it('reads a missing version as 1 and refuses newer, older or malformed ones', () => {
    expect(checkVersion('f.json', 'dataset', undefined, 1)).toBe(1);
    expect(checkVersion('f.json', 'dataset', 1, 2)).toBe(1);
    expect(() => checkVersion('f.json', 'dataset', 3, 2)).toThrow(
      new UserError('f.json: dataset version 3 is newer than this soundvae reads (2); update soundvae'),
    );
    expect(() => checkVersion('f.json', 'checkpoint', 0, 1)).toThrow(/f.json: checkpoint version 0 is older than this soundvae reads/);
    expect(() => checkVersion('f.json', 'checkpoint', 'x', 1)).toThrow(/not a version number/);
  });
});
