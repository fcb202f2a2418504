/** Settings records for tests that write a dataset by hand (the store, training on tiny shapes). */
import { PRESETS } from './presets.ts';
import { recordSettings, type RecordedSettings } from './settings.ts';

/**
 * The `digits` preset's record, with any field changed: a whole `RecordedSettings`, as readManifest requires.
 * @example createDatasetWriter(dir, { shape: [32, 16], settings: testSettings({ hop: 4 }) })
 */
export function testSettings(changes: Partial<RecordedSettings> = {}): RecordedSettings {
  return { ...recordSettings('digits', PRESETS.digits), ...changes };
}
