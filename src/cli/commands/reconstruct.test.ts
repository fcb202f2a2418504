import { describe, expect, it } from 'vitest';
import { conversionNote } from './reconstruct.ts';

describe('reconstruct of a file unlike the checkpoint input', () => {
  it('says in one line what is converted', () => {
    expect(conversionNote({ sampleRate: 44100, channels: 2 }, 16000)).toBe("44100 Hz stereo: resampled to 16000 Hz and mixed to mono (the checkpoint's input)");
    expect(conversionNote({ sampleRate: 8000, channels: 1 }, 16000)).toBe("8000 Hz mono: resampled to 16000 Hz (the checkpoint's input)");
    expect(conversionNote({ sampleRate: 16000, channels: 6 }, 16000)).toBe("16000 Hz 6 channels: mixed to mono (the checkpoint's input)");
    expect(conversionNote({ sampleRate: 16000, channels: 1 }, 16000)).toBeUndefined();
  });
});
