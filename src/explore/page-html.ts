/** The explorer's page: static markup and style; page/main.ts (served as /app.js) brings it to life. */
import { escapeHtml } from '../report/escape.ts';

/** The page's HTML for a checkpoint called `title`. */
export function explorePageHtml(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>soundvae explore · ${escapeHtml(title)}</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
  header { padding: 10px 20px; background: #fff; border-bottom: 1px solid #ddd; }
  header h1 { font-size: 18px; margin: 0; }
  #status { margin: 2px 0 0; color: #555; }
  main { display: flex; flex-wrap: wrap; gap: 20px; padding: 16px 20px; }
  section { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 12px; }
  h2 { font-size: 14px; margin: 12px 0 6px; }
  canvas { display: block; border: 1px solid #ccc; background: #fff; }
  #map { cursor: crosshair; touch-action: none; }
  .tabs button.on { background: #333; color: #fff; }
  #legend span { display: inline-block; margin: 2px 8px 2px 0; white-space: nowrap; }
  #legend i { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 4px; }
  .hint { color: #666; max-width: 520px; }
  .slider { display: grid; grid-template-columns: 150px 220px 50px; align-items: center; gap: 6px; }
  #now { min-height: 2.9em; max-width: 512px; }
  button { font: inherit; padding: 3px 10px; }
  output { font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<header>
  <h1>soundvae explore · ${escapeHtml(title)}</h1>
  <p id="status">loading the model…</p>
</header>
<main>
  <section>
    <div class="tabs"><button id="view-pca" class="on">PCA</button> <button id="view-umap">UMAP</button> <span id="axes"></span></div>
    <canvas id="map" width="520" height="440"></canvas>
    <div id="legend"></div>
    <p class="hint">Click a dot to hear that dataset item. Click or drag anywhere else to hear the latent code there,
    decoded in this page (PCA: the point itself, with the other directions at their sliders; UMAP: a blend of the
    nearest items' codes). ▲ marks what you hear; A and B the morph's ends.</p>
  </section>
  <section>
    <canvas id="spec" width="512" height="256"></canvas>
    <p id="now">Nothing yet.</p>
    <p><button id="play" disabled>Play again</button> <button id="download" disabled>Download WAV</button></p>
    <h2>Principal directions (standard deviations of the dataset's codes)</h2>
    <div id="sliders"></div>
    <h2>Sample</h2>
    <div class="slider"><label for="label">from</label><select id="label"></select><span></span></div>
    <div class="slider"><label for="temperature">temperature</label><input id="temperature" type="range" min="0" max="2" step="0.05" value="1"><output id="temperature-value">1.00</output></div>
    <p><button id="sample">Sample</button></p>
    <h2>Morph A → B</h2>
    <p><button id="set-a" disabled>A = what I hear</button> <button id="set-b" disabled>B = what I hear</button></p>
    <div class="slider"><label for="morph">A → B</label><input id="morph" type="range" min="0" max="1" step="0.01" value="0" disabled><output id="morph-value">0.00</output></div>
  </section>
</main>
<script src="/app.js"></script>
</body>
</html>
`;
}
