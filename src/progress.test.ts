import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration, formatNumber, formatProgressLine, renderBar } from './progress.ts';

/** A fake stream that records writes, and a clock the test moves by hand. */
function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 200, write: (t: string) => writes.push(t) } };
}

describe('progress formatting', () => {
  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(3723)).toBe('1:02:03');
    expect(formatDuration(NaN)).toBe('?');
  });

  it('formats numbers compactly', () => {
    expect(formatNumber(12.3456)).toBe('12.35');
    expect(formatNumber(12345.678)).toBe('1.235e+4');
    expect(formatNumber(0.0001)).toBe('1e-4');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(NaN)).toBe('NaN');
  });

  it('draws a bar of the asked width', () => {
    expect(renderBar(0, 4)).toBe('[>   ]');
    expect(renderBar(0.5, 10)).toBe('[=====>    ]');
    expect(renderBar(1, 4)).toBe('[====]');
    expect(renderBar(2, 4)).toBe('[====]');
  });

  it('shows rate, ETA and fields', () => {
    const line = formatProgressLine({
      label: 'epoch 1/2',
      unit: 'samples',
      done: 50,
      total: 100,
      elapsedSeconds: 10,
      fields: { loss: 1.5 },
      bar: false,
      barWidth: 10,
    });
    expect(line).toBe('epoch 1/2  50% 50/100 5 samples/s ETA 0:10 loss 1.5');
  });
});

describe('ProgressBar', () => {
  it('redraws in place on a TTY, throttled, and ends with a newline', () => {
    const { writes, stream } = fakeStream(true);
    let t = 0;
    const bar = createProgress({ total: 10, stream, now: () => t, redrawMs: 100 });
    t = 1000;
    bar.tick(1);
    t = 1050;
    bar.tick(1); // within 100 ms: not drawn
    t = 1200;
    bar.tick(1, { loss: 2 });
    bar.finish();
    expect(writes.length).toBe(3);
    expect(writes.every((w) => w.startsWith('\r\x1b[K'))).toBe(true);
    expect(writes[1]).toContain('3/10');
    expect(writes[1]).toContain('loss 2');
    expect(writes[2]!.endsWith('\n')).toBe(true);
    expect(writes[2]).toContain('in 0:01');
  });

  it('prints a plain line every few seconds when not a TTY', () => {
    const { writes, stream } = fakeStream(false);
    let t = 0;
    const bar = createProgress({ total: 100, stream, now: () => t, lineMs: 5000 });
    for (let i = 0; i < 100; i++) {
      t += 200; // 20 s in all -> about 4 lines, plus the final one
      bar.tick(1);
    }
    bar.finish();
    expect(writes.length).toBeGreaterThanOrEqual(4);
    expect(writes.length).toBeLessThanOrEqual(6);
    expect(writes.every((w) => !w.includes('\r') && w.endsWith('\n'))).toBe(true);
    expect(writes.at(-1)).toContain('100/100');
  });

  it('holds the ETA while start-up dominates, shows it once it is steady, with the whole run after it', () => {
    const { writes, stream } = fakeStream(false);
    let t = 0;
    const bar = createProgress({ total: 100, stream, now: () => t, lineMs: 0, remainingAfter: 300 });
    t = 3000; // the first unit took 3 s (workers starting): at that rate the ETA would say 4:57
    bar.tick(1);
    expect(writes.at(-1)).not.toContain('ETA');
    for (let i = 0; i < 40; i++) {
      t += 100; // then 10 units/s
      bar.tick(1);
    }
    expect(writes.slice(0, 5).join('')).not.toContain('ETA');
    const last = writes.at(-1)!;
    expect(last).toMatch(/41\/100 .* ETA \d+:\d\d \(run \d+:\d\d\)/);
  });
});
