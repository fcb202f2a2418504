import { describe, expect, it } from 'vitest';
import { BACKEND_ORDER } from '../backend/backend.ts';
import { BACKEND_CHOICES, checkCommonOptions, expectInteger, expectRange, typedValue } from './options.ts';

describe('shared option checks', () => {
  it('echoes what the user typed for a number that did not parse', () => {
    const argv = ['train', '--batch-size', 'abc', '--lr=x1'];
    expect(typedValue(argv, 'batch-size')).toBe('abc');
    expect(typedValue(argv, 'lr')).toBe('x1');
    expect(() => checkCommonOptions({ 'batch-size': NaN, batchSize: NaN }, argv)).toThrow('--batch-size abc: expected a number');
    expect(() => checkCommonOptions({ lr: NaN }, argv)).toThrow('--lr x1: expected a number');
    expect(() => checkCommonOptions({ 'batch-size': 4 }, argv)).not.toThrow();
  });

  it('validates --backend against the backends the code knows', () => {
    expect(BACKEND_CHOICES).toEqual(['auto', ...BACKEND_ORDER]);
    expect(() => checkCommonOptions({ backend: 'foo' }, [])).toThrow('--backend foo: expected one of auto, tensorflow-gpu, tensorflow, webgpu, wasm, cpu');
    expect(() => checkCommonOptions({ backend: 'wasm' }, [])).not.toThrow();
  });

  it('words range errors one way', () => {
    expect(() => expectInteger('count', 0, 1, 10_000)).toThrow('--count 0: expected a whole number from 1 to 10000');
    expect(() => expectInteger('epochs', 2.5, 1)).toThrow('--epochs 2.5: expected a positive integer');
    expect(() => expectInteger('workers', -1, 0)).toThrow('--workers -1: expected a whole number >= 0');
    expect(() => expectRange('momentum', 1, 0, 1, true)).toThrow('--momentum 1: expected a number in [0, 1)');
    expect(expectInteger('count', 3, 1, 10)).toBe(3);
  });
});
