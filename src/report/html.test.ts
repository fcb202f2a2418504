import { describe, expect, it } from 'vitest';
import { meanScores } from '../dsp/metrics.ts';
import { renderReport, type ReportData } from './html.ts';

const scores = (sc: number, lsd: number) => ({ spectralConvergence: sc, logSpectralDistance: lsd });

describe('renderReport', () => {
  const data: ReportData = {
    title: 'Run <1> & "friends"',
    facts: [{ label: 'epochs', value: '<b>3</b>' }],
    reconstructions: [
      {
        name: 'a#1',
        label: 'x',
        original: { src: 'rec/a #1-original.wav' },
        oracle: { src: 'rec/o.wav', scores: scores(-30, 1) },
        reconstruction: { src: 'rec/r.wav', scores: scores(-10, 5) },
      },
      {
        name: 'b',
        original: { src: 'rec/b.wav' },
        oracle: { src: 'rec/o2.wav', scores: scores(-20, 3) },
        reconstruction: { src: 'rec/r2.wav', scores: scores(-6, 7) },
      },
    ],
    generated: { items: [{ name: 'sample-01', clip: { src: 'gen/s1.wav', image: { src: 'gen/s1.png', width: 300, height: 150, alt: 'spectrogram' } } }] },
    tables: [{ title: 'Confusion', columns: ['true', 'pred'], rows: [['<3', 4]] }],
  };
  const html = renderReport(data);

  it('escapes every text field and encodes relative links', () => {
    expect(html).toContain('<title>Run &lt;1&gt; &amp; &quot;friends&quot;</title>');
    expect(html).toContain('&lt;b&gt;3&lt;/b&gt;');
    expect(html).toContain('src="rec/a%20%231-original.wav"');
    expect(html).toContain('<td>&lt;3</td>');
    expect(html).not.toMatch(/https?:\/\//); // nothing fetched from the network
  });

  it('lists one player per clip, the mean scores, and a nav entry per section', () => {
    expect(html.match(/<audio /g)).toHaveLength(2 * 3 + 1);
    expect(html).toContain('<img src="gen/s1.png" alt="spectrogram" width="300" height="150">');
    expect(html).toContain('SC <b>-25.0 dB</b>'); // mean oracle SC of -30 and -20
    expect(html).toContain('LSD <b>6.00 dB</b>'); // mean reconstruction LSD of 5 and 7
    const nav = [...html.matchAll(/<a href="#([^"]+)">/g)].map((m) => m[1]);
    expect(nav).toEqual(['reconstructions', 'generated', 'table-1']);
  });

  it('averages finite scores only, and says so when there is nothing', () => {
    expect(meanScores([scores(-10, 2), scores(NaN, 1), scores(-20, 4)])).toEqual(scores(-15, 3));
    expect(meanScores([])).toBeUndefined();
    expect(renderReport({ title: 't' })).toContain('Nothing to show yet.');
  });
});
