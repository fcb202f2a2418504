/**
 * The classification page: an offline HTML report (src/report) of a trained classifier on its validation split,
 * with the confusion matrix as a coloured table, per-class precision and recall, train vs validation curves, and
 * 2-D maps (PCA, UMAP) of the classifier's last hidden layer coloured by the true label.
 */
import path from 'node:path';
import { openDataset } from '../dataset/store.ts';
import { UserError } from '../errors.ts';
import { escapeHtml } from './escape.ts';
import { pca2, scatterSvg, umap2, type Embedding } from './embed.ts';
import { writeReport, type ReportData } from './html.ts';
import { evaluatePredictions, type ClassificationReport } from '../classify/metrics.ts';
import { EMBEDDING_LAYER, embedItems, labelledSplits, loadClassifier, loadVaeFor, type EpochRecord } from '../classify/train.ts';

export interface ClassifyReportOptions {
  classifier: string;
  out: string;
  /** Dataset to evaluate on (default: the one the classifier was trained on). */
  data?: string;
  /** Validation items on the embedding maps at most (spread evenly). */
  mapItems: number;
  /** Add a UMAP map beside PCA. */
  umap: boolean;
}

export { DEFAULT_CLASSIFY_REPORT } from '../classify/defaults.ts';

/** Plot sizes and colours of the page, in one place. */
const STYLE = {
  curves: { panelWidth: 380, panelHeight: 240, margin: { left: 48, right: 12, top: 28, bottom: 34 }, train: '#4e79a7', val: '#f28e2b' },
  /** The confusion cells' colour, at full strength for a row's whole support. */
  cell: [109, 63, 192] as const,
};

/**
 * Evaluates a classifier on its validation split and writes `out/index.html`.
 * @example await writeClassificationReport({ classifier: 'classifiers/digits', out: 'report-digits', mapItems: 1000, umap: true });
 */
export async function writeClassificationReport(options: ClassifyReportOptions): Promise<{ file: string; report: ClassificationReport }> {
  const { model, info, history } = await loadClassifier(options.classifier);
  const ds = await openDataset(options.data ?? info.data);
  const vae = info.config.kind === 'latent' ? await loadVaeFor(info) : undefined;
  try {
    const { classes, val } = labelledSplits(ds, info.labelField);
    if (classes.join() !== info.classes.join()) throw new UserError(`${ds.dir}: its classes differ from those the classifier was trained on`);
    if (val.length === 0) throw new UserError(`${ds.dir}: has no validation items to report on`);
    const { probs, embeddings } = await embedItems(
      model,
      info.config.kind,
      ds,
      val.map((v) => v.index),
      info.config.batchSize,
      vae,
    );
    const report = evaluatePredictions(
      probs,
      val.map((v) => v.cls),
      classes,
    );
    const picked = spread(val.length, options.mapItems);
    const items = picked.map((i) => ds.manifest.items[val[i]!.index]!);
    const maps = embeddingMaps(
      picked.map((i) => embeddings[i]!),
      picked.map((i) => classes[val[i]!.cls]!),
      items.map((it) => path.basename(it.source)),
      options.umap,
    );
    const layer = EMBEDDING_LAYER[info.config.kind];
    const data: ReportData = {
      title: `soundvae classifier: ${info.config.kind} on ${info.labelField}`,
      subtitle: `${path.basename(path.resolve(options.classifier))}, evaluated on the validation split of ${ds.dir}`,
      facts: [
        { label: 'accuracy', value: pct(report.accuracy) },
        { label: 'top-3', value: pct(report.top3) },
        { label: 'validation items', value: String(report.count) },
        { label: 'classes', value: String(classes.length) },
        { label: 'epochs', value: String(history.length) },
        { label: 'training time', value: `${history.reduce((s, h) => s + h.seconds, 0).toFixed(0)} s` },
      ],
      sections: [
        { id: 'confusion', title: 'Confusion matrix', html: confusionHtml(report) },
        { id: 'per-class', title: 'Per class', html: perClassHtml(report) },
        {
          id: 'curves',
          title: 'Train vs validation',
          html: `<p class="lead">Loss and accuracy per epoch: a validation curve that stalls or turns up while training keeps improving is over-fitting.</p><figure class="curves">${curvesSvg(history)}</figure>`,
        },
        {
          id: 'embedding',
          title: 'Embedding map',
          html: `<p class="lead">${escapeHtml(layer ? `The output of the classifier's last hidden layer ('${layer}')` : "The VAE's latent means the probe reads")} for ${picked.length} validation items, flattened to two dimensions and coloured by the true label: well-separated colours mean the classes are easy to tell apart.</p><div class="maps">${maps.join('')}</div>`,
        },
      ],
      createdAt: new Date().toISOString(),
    };
    return { file: await writeReport(options.out, data), report };
  } finally {
    model.dispose();
    await ds.close();
    if (vae) [vae.encoder, vae.decoder].forEach((m) => m.dispose());
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** At most `max` indices of 0..n-1, evenly spread. */
export function spread(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: max }, (_, i) => Math.floor((i * n) / max));
}

/** PCA (and UMAP) scatter figures of embedding vectors. */
function embeddingMaps(vectors: Float32Array[], labels: string[], names: string[], withUmap: boolean): string[] {
  const maps: { title: string; embedding: Embedding }[] = [{ title: 'PCA', embedding: pca2(vectors) }];
  if (withUmap && vectors.length >= 3) maps.push({ title: 'UMAP', embedding: umap2(vectors) });
  return maps.map((m) => `<figure class="map">${scatterSvg(m.embedding, labels, names, { title: m.title })}</figure>`);
}

/** Precision, recall and support per class, as a table. */
function perClassHtml(r: ClassificationReport): string {
  const rows = r.perClass.map((m) => `<tr><td>${escapeHtml(m.label)}</td><td>${pct(m.precision)}</td><td>${pct(m.recall)}</td><td>${m.support}</td></tr>`);
  return `<p class="lead">Precision: of the items predicted as the class, the share that are; recall: of the items of the class, the share found.</p><table class="data"><thead><tr><th>class</th><th>precision</th><th>recall</th><th>support</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/**
 * The confusion matrix as an HTML table; each cell is shaded by its share of the row (true class), so the
 * diagonal is the recall and off-diagonal shades show what a class is mistaken for.
 */
export function confusionHtml(r: ClassificationReport): string {
  const labels = r.perClass.map((m) => m.label);
  const [cr, cg, cb] = STYLE.cell;
  const head = `<tr><th>true \\ predicted</th>${labels.map((l) => `<th>${escapeHtml(l)}</th>`).join('')}</tr>`;
  const rows = r.confusion.map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    const cells = row.map((v, p) => {
      const share = v / total;
      const style = `background:rgba(${cr},${cg},${cb},${share.toFixed(3)});color:${share > 0.55 ? '#fff' : 'inherit'};text-align:center`;
      return `<td style="${style}" title="${escapeHtml(`true ${labels[t]}, predicted ${labels[p]}: ${v} (${pct(share)} of the row)`)}">${v || ''}</td>`;
    });
    return `<tr><th>${escapeHtml(labels[t]!)}</th>${cells.join('')}</tr>`;
  });
  return `<p class="lead">Rows: true class; columns: predicted class; counts on the ${r.count} validation items, shaded by their share of the row.</p><table class="data confusion"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Two panels (loss, accuracy), training and validation per epoch, as an inline SVG. */
export function curvesSvg(history: EpochRecord[]): string {
  const { panelWidth: w, panelHeight: h } = STYLE.curves;
  const lossMax = Math.max(1e-9, ...history.flatMap((e) => [e.trainLoss, e.valLoss ?? 0]).filter(Number.isFinite));
  const panels = [
    panel(
      'loss (cross-entropy)',
      history.map((e) => [e.epoch, e.trainLoss]),
      history.map((e) => [e.epoch, e.valLoss]),
      lossMax,
      0,
    ),
    panel(
      'accuracy',
      history.map((e) => [e.epoch, e.trainAccuracy]),
      history.map((e) => [e.epoch, e.valAccuracy]),
      1,
      w,
    ),
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * w}" height="${h}" viewBox="0 0 ${2 * w} ${h}" font-family="system-ui,sans-serif" font-size="11" role="img" aria-label="training curves">`,
    ...panels,
    '</svg>',
  ].join('\n');
}

/** One panel at x0 with y from 0 to yMax; null values (no validation) are left out. */
function panel(title: string, train: [number, number][], val: [number, number | null][], yMax: number, x0: number): string {
  const { panelWidth: w, panelHeight: h, margin: m } = STYLE.curves;
  const epochs = train.map((p) => p[0]);
  const first = Math.min(1, ...epochs);
  const last = Math.max(first + 1, ...epochs);
  const pw = w - m.left - m.right;
  const ph = h - m.top - m.bottom;
  const px = (x: number) => (x0 + m.left + ((x - first) / (last - first)) * pw).toFixed(1);
  const py = (y: number) => (m.top + (1 - y / yMax) * ph).toFixed(1);
  const out = [
    `<text x="${x0 + m.left}" y="16" font-weight="600">${escapeHtml(title)}</text>`,
    `<rect x="${x0 + m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="#fafafa" stroke="#ccc"/>`,
  ];
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    out.push(`<text x="${x0 + m.left - 4}" y="${py(f * yMax)}" text-anchor="end" dominant-baseline="middle">${Number((f * yMax).toPrecision(2))}</text>`);
  }
  const step = Math.max(1, Math.ceil((last - first) / 8));
  for (let e = first; e <= last; e += step) out.push(`<text x="${px(e)}" y="${h - m.bottom + 14}" text-anchor="middle">${e}</text>`);
  out.push(`<text x="${x0 + m.left + pw / 2}" y="${h - 4}" text-anchor="middle">epoch</text>`);
  const series = [
    { name: 'train', color: STYLE.curves.train, points: train },
    { name: 'validation', color: STYLE.curves.val, points: val.filter((p): p is [number, number] => p[1] !== null && Number.isFinite(p[1])) },
  ];
  series.forEach((s, i) => {
    if (s.points.length > 1)
      out.push(`<path d="${s.points.map((p, j) => `${j ? 'L' : 'M'}${px(p[0])},${py(p[1])}`).join(' ')}" fill="none" stroke="${s.color}" stroke-width="1.6"/>`);
    for (const p of s.points)
      out.push(`<circle cx="${px(p[0])}" cy="${py(p[1])}" r="2.6" fill="${s.color}"><title>${s.name}, epoch ${p[0]}: ${p[1].toFixed(3)}</title></circle>`);
    // The legend sits in the top margin, right of the title, clear of the lines.
    const lx = x0 + m.left + pw - 150 + i * 62;
    out.push(`<rect x="${lx}" y="11" width="12" height="3" fill="${s.color}"/><text x="${lx + 16}" y="13" dominant-baseline="middle">${s.name}</text>`);
  });
  return out.join('\n');
}
