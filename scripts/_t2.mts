import { GriffinLim, magnitude, stft } from '../src/dsp/index.ts';
function chirpPlusNoise(rate = 22050, seconds = 0.74) { const n = Math.round(rate * seconds); let seed = 1; return new Float32Array(n).map((_, i) => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; const t = i / rate; return 0.5 * Math.sin(2 * Math.PI * (200 * t + (0.5 * 5000 * t * t) / seconds)) + 0.05 * ((seed / 2 ** 32) * 2 - 1); }); }
const x = chirpPlusNoise();
const g = new GriffinLim();
for (const [hop, iterations] of [[256, 32], [128, 32], [128, 100], [256, 32], [128, 32], [128, 100]]) {
  const S = magnitude(stft(x, { nFft: 512, hop }));
  const ts: number[] = [];
  for (let i = 0; i < 15; i++) { const t0 = performance.now(); g.run(S, { nFft: 512, hop, iterations, length: x.length, measure: false }); ts.push(performance.now() - t0); }
  ts.sort((a, b) => a - b);
  console.log(hop, iterations, 'min', ts[0]!.toFixed(2), 'median', ts[7]!.toFixed(2), 'max', ts[14]!.toFixed(2));
}
