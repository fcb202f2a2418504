/**
 * The listening report: one self-contained `index.html` (inline CSS, no scripts, no network) that links its
 * audio and pictures by relative paths, so the folder can be zipped, moved and opened from file://.
 *
 * The input is a plain data object (`ReportData`): the commands fill it from a checkpoint, and the demo and
 * classification reports can fill it from anything else. Every text field is escaped; only `svg` and `html`
 * fields of the documented sections are inserted as markup, and the callers make those themselves.
 */
import path from 'node:path';
import { writeFileAtomic } from '../fsutil.ts';
import type { Decibels } from '../units.ts';
import { meanScores, type Scores } from '../dsp/metrics.ts';
import { escapeHtml, escapeUrlPath } from './escape.ts';

export type { Scores };

/** A picture beside the report, with its display size in CSS pixels. */
export interface ImageRef {
  /** Path relative to the report folder. */
  src: string;
  width?: number;
  height?: number;
  alt: string;
}

/** A playable clip, optionally with its spectrogram picture. */
export interface AudioClip {
  /** WAV path relative to the report folder. */
  src: string;
  image?: ImageRef;
  /** RMS and peak level of the clip in dBFS, shown beside the player. */
  levels?: { rms: Decibels; peak: Decibels };
}

/** Quality of a rebuilt clip against the original's STFT magnitude; lower is better for both. */

/** One input heard three ways: as recorded, after phase loss alone, and through the VAE. */
export interface ReconstructionRow {
  name: string;
  label?: string;
  original: AudioClip;
  oracle: AudioClip & { scores: Scores };
  reconstruction: AudioClip & { scores: Scores };
}

export interface GeneratedItem {
  name: string;
  clip: AudioClip;
  /** e.g. "nearest training item: 7_jackson_32 (LSD 9.1 dB)". */
  note?: string;
  /** The nearest training item itself, to hear beside the sample. */
  nearest?: AudioClip;
}

/** A walk through latent space between two sounds. */
export interface InterpolationStrip {
  from: string;
  to: string;
  method: 'linear' | 'spherical';
  /** Steps in order, t = 0 ... 1. */
  steps: AudioClip[];
}

export interface LatentMap {
  title: string;
  /** An inline SVG document (from scatterSvg). */
  svg: string;
  note?: string;
}

export interface ReportTable {
  title: string;
  columns: string[];
  rows: (string | number)[][];
  note?: string;
}

export interface ReportData {
  title: string;
  subtitle?: string;
  /** Key facts shown at the top: checkpoint, dataset, epochs, sample rate... */
  facts?: { label: string; value: string }[];
  reconstructions?: ReconstructionRow[];
  generated?: { items: GeneratedItem[]; note?: string };
  /** Samples drawn per label value (label-conditioned generation), a row each. */
  generatedByLabel?: { field: string; rows: { label: string; items: GeneratedItem[] }[]; note?: string };
  interpolations?: InterpolationStrip[];
  /** The training curves picture (curves.svg copied beside the report). */
  curves?: ImageRef;
  latentMaps?: LatentMap[];
  tables?: ReportTable[];
  /** Extra sections of the caller's own markup (trusted: the caller escapes its text). */
  sections?: { id: string; title: string; html: string }[];
  /** When the report was made, shown in the footer. */
  createdAt?: string;
}

export const REPORT_FILE = 'index.html';

/**
 * Renders the report as an HTML document.
 * @example await writeFileAtomic(path.join(out, 'index.html'), renderReport({ title: 'soundvae', generated: { items } }));
 */
export function renderReport(data: ReportData): string {
  const parts: Section[] = [
    data.reconstructions?.length ? reconstructionSection(data.reconstructions) : undefined,
    data.generated?.items.length ? generatedSection(data.generated.items, data.generated.note) : undefined,
    data.generatedByLabel?.rows.length ? labelSection(data.generatedByLabel) : undefined,
    data.interpolations?.length ? interpolationSection(data.interpolations) : undefined,
    data.latentMaps?.length ? latentSection(data.latentMaps) : undefined,
    data.curves ? curvesSection(data.curves) : undefined,
    ...(data.tables ?? []).map((t, i) => tableSection(t, `table-${i + 1}`)),
    ...(data.sections ?? []),
  ].filter((p): p is Section => p !== undefined);
  const sections = parts.map(renderSection);
  const nav = parts.map((p) => `<a href="#${escapeHtml(p.id)}">${escapeHtml(p.title)}</a>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(data.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(data.title)}</h1>
${data.subtitle ? `<p class="subtitle">${escapeHtml(data.subtitle)}</p>` : ''}
${facts(data.facts ?? [])}
${nav ? `<nav>${nav}</nav>` : ''}
</header>
<main>
${sections.join('\n') || '<p class="empty">Nothing to show yet.</p>'}
</main>
<footer>Made by soundvae${data.createdAt ? ` on ${escapeHtml(data.createdAt)}` : ''}. Open offline; every file is beside this page.</footer>
</body>
</html>
`;
}

/** Writes `index.html` into the report folder atomically; returns its path. */
export async function writeReport(dir: string, data: ReportData): Promise<string> {
  const file = path.join(dir, REPORT_FILE);
  await writeFileAtomic(file, renderReport(data));
  return file;
}

// ---------------------------------------------------------------------------------------------------------------
// Sections

/** A titled part of the page; `html` is its body. */
interface Section {
  id: string;
  title: string;
  html: string;
}

function section(id: string, title: string, html: string): Section {
  return { id, title, html };
}

function renderSection(s: Section): string {
  return `<section id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.title)}</h2>\n${s.html}\n</section>`;
}

function facts(list: { label: string; value: string }[]): string {
  if (list.length === 0) return '';
  return `<dl class="facts">${list.map((f) => `<div><dt>${escapeHtml(f.label)}</dt><dd>${escapeHtml(f.value)}</dd></div>`).join('')}</dl>`;
}

function image(img: ImageRef | undefined): string {
  if (!img) return '';
  const size = img.width && img.height ? ` width="${Math.round(img.width)}" height="${Math.round(img.height)}"` : '';
  return `<img src="${escapeHtml(escapeUrlPath(img.src))}" alt="${escapeHtml(img.alt)}"${size}>`;
}

function player(clip: AudioClip): string {
  // preload="auto": the files are local and small, so every player is ready to play at once.
  return `<audio controls preload="auto" src="${escapeHtml(escapeUrlPath(clip.src))}"></audio>`;
}

function levelLine(clip: AudioClip): string {
  const l = clip.levels;
  if (!l) return '';
  const f = (v: number) => (v > -120 ? v.toFixed(1) : '−∞');
  return `<p class="levels" title="RMS and peak level in dB relative to full scale">RMS <b>${f(l.rms)}</b> · peak <b>${f(l.peak)}</b> dBFS</p>`;
}

function clipFigure(clip: AudioClip, caption: string, extra = ''): string {
  return `<figure class="clip">${image(clip.image)}<figcaption>${caption}</figcaption>${player(clip)}${levelLine(clip)}${extra}</figure>`;
}

function generatedCard(g: GeneratedItem): string {
  const near = g.nearest
    ? `<details class="nearest"><summary>hear the nearest training item</summary>${player(g.nearest)}${levelLine(g.nearest)}</details>`
    : '';
  return clipFigure(g.clip, escapeHtml(g.name), (g.note ? `<p class="note">${escapeHtml(g.note)}</p>` : '') + near);
}

const fmt = {
  sc: (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} dB` : '–'),
  lsd: (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)} dB` : '–'),
};

function scoreLine(s: Scores): string {
  return `<p class="scores"><span title="spectral convergence">SC <b>${fmt.sc(s.spectralConvergence)}</b></span><span title="log-spectral distance">LSD <b>${fmt.lsd(s.logSpectralDistance)}</b></span></p>`;
}

function reconstructionSection(rows: ReconstructionRow[]): Section {
  const oracle = meanScores(rows.map((r) => r.oracle.scores));
  const recon = meanScores(rows.map((r) => r.reconstruction.scores));
  const summary = `<div class="summary">
<div class="stat"><h3>Oracle</h3><p>Griffin-Lim from the true magnitude: what losing the phase costs.</p>${oracle ? scoreLine(oracle) : ''}</div>
<div class="stat"><h3>Reconstruction</h3><p>Through the VAE, then Griffin-Lim: model error and phase error together.</p>${recon ? scoreLine(recon) : ''}</div>
<div class="stat help"><h3>Reading the scores</h3><p><b>SC</b>, spectral convergence, 20&nbsp;log10(‖Ŝ−S‖/‖S‖), and <b>LSD</b>, log-spectral distance, compare STFT magnitudes with the original's. Lower is better; the gap between the two columns is what the model loses.</p></div>
</div>`;
  const items = rows.map(
    (r) => `<article class="row">
<h3>${escapeHtml(r.name)}${r.label ? ` <span class="tag">${escapeHtml(r.label)}</span>` : ''}</h3>
<div class="trio">
${clipFigure(r.original, 'Original')}
${clipFigure(r.oracle, 'Oracle', scoreLine(r.oracle.scores))}
${clipFigure(r.reconstruction, 'Reconstruction', scoreLine(r.reconstruction.scores))}
</div>
</article>`,
  );
  const table = `<details><summary>All ${rows.length} items as a table</summary><table class="data">
<thead><tr><th>item</th><th>label</th><th>oracle SC</th><th>oracle LSD</th><th>recon. SC</th><th>recon. LSD</th></tr></thead>
<tbody>${rows
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.name)}</td><td>${escapeHtml(r.label ?? '')}</td><td>${fmt.sc(r.oracle.scores.spectralConvergence)}</td><td>${fmt.lsd(r.oracle.scores.logSpectralDistance)}</td><td>${fmt.sc(r.reconstruction.scores.spectralConvergence)}</td><td>${fmt.lsd(r.reconstruction.scores.logSpectralDistance)}</td></tr>`,
    )
    .join('')}</tbody>
${oracle && recon ? `<tfoot><tr><th colspan="2">mean</th><th>${fmt.sc(oracle.spectralConvergence)}</th><th>${fmt.lsd(oracle.logSpectralDistance)}</th><th>${fmt.sc(recon.spectralConvergence)}</th><th>${fmt.lsd(recon.logSpectralDistance)}</th></tr></tfoot>` : ''}
</table></details>`;
  return section('reconstructions', 'Reconstructions', summary + items.join('\n') + table);
}

function generatedSection(items: GeneratedItem[], note?: string): Section {
  const cards = items.map(generatedCard);
  return section('generated', 'Generated samples', `${note ? `<p class="lead">${escapeHtml(note)}</p>` : ''}<div class="grid">${cards.join('\n')}</div>`);
}

function labelSection(data: NonNullable<ReportData['generatedByLabel']>): Section {
  const rows = data.rows.map(
    (r) =>
      `<article class="row"><h3>${escapeHtml(data.field)} <span class="tag">${escapeHtml(r.label)}</span></h3><div class="grid">${r.items.map(generatedCard).join('\n')}</div></article>`,
  );
  return section('by-label', `Generated per ${escapeHtml(data.field)}`, `${data.note ? `<p class="lead">${escapeHtml(data.note)}</p>` : ''}${rows.join('\n')}`);
}

function interpolationSection(strips: InterpolationStrip[]): Section {
  const body = strips.map((s) => {
    const n = s.steps.length;
    const steps = s.steps.map((clip, i) => clipFigure(clip, `t = ${n > 1 ? (i / (n - 1)).toFixed(2) : '0'}`));
    return `<article class="strip"><h3>${escapeHtml(s.from)} → ${escapeHtml(s.to)} <span class="tag">${escapeHtml(s.method)}</span></h3><div class="steps">${steps.join('')}</div></article>`;
  });
  const lead =
    '<p class="lead">Two sounds are encoded and the decoder is walked along the line between their latent means: <b>linear</b> mixes the vectors; <b>spherical</b> (slerp) keeps their length, which suits a Gaussian prior better.</p>';
  return section('interpolations', 'Interpolations', lead + body.join('\n'));
}

function latentSection(maps: LatentMap[]): Section {
  const figures = maps.map(
    (m) => `<figure class="map">${m.svg}<figcaption>${escapeHtml(m.title)}${m.note ? ` — ${escapeHtml(m.note)}` : ''}</figcaption></figure>`,
  );
  return section(
    'latent',
    'Latent map',
    `<p class="lead">The latent means of the dataset's items, flattened to two dimensions and coloured by label: items with the same label should gather.</p><div class="maps">${figures.join('')}</div>`,
  );
}

function curvesSection(curves: ImageRef): Section {
  return section('curves', 'Training curves', `<figure class="curves">${image(curves)}</figure>`);
}

function tableSection(t: ReportTable, id: string): Section {
  const head = `<tr>${t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = t.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(String(c))}</td>`).join('')}</tr>`).join('');
  return section(
    id,
    t.title,
    `${t.note ? `<p class="lead">${escapeHtml(t.note)}</p>` : ''}<table class="data"><thead>${head}</thead><tbody>${body}</tbody></table>`,
  );
}

const CSS = `
:root{--bg:#f5f6f8;--card:#fff;--ink:#1d2330;--muted:#6b7280;--line:#e3e6eb;--accent:#6d3fc0;--shadow:0 1px 2px rgba(16,24,40,.06),0 1px 3px rgba(16,24,40,.08)}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{background:linear-gradient(135deg,#231942,#5e548e);color:#fff;padding:28px max(24px,calc(50% - 600px)) 18px}
header h1{margin:0 0 4px;font-size:28px;letter-spacing:-.01em}
.subtitle{margin:0 0 14px;opacity:.85}
.facts{display:flex;flex-wrap:wrap;gap:8px;margin:0 0 14px}
.facts div{background:rgba(255,255,255,.12);border-radius:8px;padding:4px 10px}
.facts dt{font-size:11px;text-transform:uppercase;letter-spacing:.06em;opacity:.75}
.facts dd{margin:0;font-weight:600}
nav{display:flex;flex-wrap:wrap;gap:6px}
nav a{color:#fff;text-decoration:none;background:rgba(255,255,255,.16);padding:4px 12px;border-radius:999px;font-size:13px}
nav a:hover{background:rgba(255,255,255,.3)}
main{max-width:1200px;margin:0 auto;padding:8px 24px 32px}
section{margin-top:28px}
h2{font-size:21px;margin:0 0 12px;padding-bottom:6px;border-bottom:2px solid var(--line)}
h3{font-size:15px;margin:0 0 10px}
.lead{color:var(--muted);margin:0 0 14px;max-width:80ch}
.summary{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:12px;margin-bottom:16px}
.stat{background:var(--card);border-radius:12px;box-shadow:var(--shadow);padding:14px 16px}
.stat p{margin:0 0 6px;color:var(--muted);font-size:13px}
.stat .scores{font-size:20px;color:var(--ink)}
.row,.strip{background:var(--card);border-radius:12px;box-shadow:var(--shadow);padding:14px 16px;margin-bottom:14px}
.trio{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:14px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:14px}
.grid .clip{background:var(--card);border-radius:12px;box-shadow:var(--shadow);padding:10px}
.steps{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:10px}
figure{margin:0}
.clip img{display:block;width:100%;height:auto;border-radius:6px;background:#fff}
.clip figcaption{font-weight:600;font-size:13px;margin:6px 0 4px}
audio{width:100%;height:36px}
.scores{display:flex;gap:14px;margin:6px 0 0;font-size:13px;color:var(--muted)}
.levels{margin:4px 0 0;font-size:12px;color:var(--muted)}
.levels b{color:var(--ink);font-variant-numeric:tabular-nums}
.nearest summary{font-size:12px;color:var(--muted);cursor:pointer;margin-top:4px}
.scores b{color:var(--ink);font-variant-numeric:tabular-nums}
.note{margin:6px 0 0;font-size:12px;color:var(--muted)}
.tag{display:inline-block;font-size:11px;font-weight:600;color:var(--accent);background:#efe9fb;border-radius:999px;padding:1px 8px;vertical-align:2px;margin-left:6px}
.maps{display:flex;flex-wrap:wrap;gap:14px}
.map{background:var(--card);border-radius:12px;box-shadow:var(--shadow);padding:10px;max-width:100%}
.map svg{max-width:100%;height:auto;display:block}
.map figcaption,.curves figcaption{color:var(--muted);font-size:13px;margin-top:4px}
.curves{background:var(--card);border-radius:12px;box-shadow:var(--shadow);padding:10px;overflow-x:auto}
.curves img{max-width:100%;height:auto;display:block}
details{margin-top:8px}
summary{cursor:pointer;color:var(--accent);font-weight:600}
table.data{border-collapse:collapse;margin-top:8px;background:var(--card);font-size:13px;font-variant-numeric:tabular-nums}
table.data th,table.data td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left}
table.data tfoot th{border-top:2px solid var(--line)}
.empty{color:var(--muted)}
footer{color:var(--muted);font-size:12px;text-align:center;padding:20px}
@media (max-width:760px){.trio{grid-template-columns:1fr}}
`;
