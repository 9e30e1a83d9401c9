/**
 * The self-contained HTML of a drift report: verdict and reasons, what was read from the capture, the
 * statistics table and per feature the baseline vs the window as inline SVG bars. No scripts, no external
 * resources (a Content-Security-Policy meta forbids them too), every text HTML-escaped: feature names,
 * categories and problem examples come from users' data and callers' requests.
 */
import type { FeatureDrift } from '../drift';
import type { DriftWindowReport } from './report';

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const e = escapeHtml;

/** Categories drawn per feature; the rest are summed into one bar. */
const MAX_CATEGORIES = 20;
/** Longest category label under a bar. */
const MAX_LABEL = 14;

function num(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a < 1e-3 || a >= 1e6 ? x.toExponential(2) : Number(x.toPrecision(4)).toString();
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

function shares(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
}

/**
 * Baseline (grey) and window (blue) shares per bin or category as an SVG bar chart.
 * @returns an `<svg>` element as text
 */
export function histogramSvg(feature: FeatureDrift): string {
  const h = feature.histogram;
  let labels: string[];
  let baseline: number[];
  let current: number[];
  if ('categories' in h) {
    const order = h.categories
      .map((name, i) => ({ name, b: h.baseline[i] ?? 0, c: h.current[i] ?? 0 }))
      .sort((x, y) => y.b + y.c - (x.b + x.c));
    const shown = order.slice(0, MAX_CATEGORIES);
    const rest = order.slice(MAX_CATEGORIES);
    if (rest.length > 0) {
      shown.push({
        name: `${rest.length} more`,
        b: rest.reduce((a, r) => a + r.b, 0),
        c: rest.reduce((a, r) => a + r.c, 0),
      });
    }
    labels = shown.map((s) => (s.name.length > MAX_LABEL ? `${s.name.slice(0, MAX_LABEL - 1)}…` : s.name));
    baseline = shares(shown.map((s) => s.b));
    current = shares(shown.map((s) => s.c));
  } else {
    labels = h.edges.slice(0, -1).map((edge) => num(edge));
    baseline = shares(h.baseline);
    current = shares(h.current);
  }
  const n = Math.max(1, baseline.length);
  const width = 360;
  const height = 140;
  const plot = 100;
  const slot = width / n;
  const bar = Math.max(1, slot / 2 - 1);
  const top = Math.max(0.0001, ...baseline, ...current);
  const bars: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = i * slot;
    const bh = ((baseline[i] ?? 0) / top) * plot;
    const ch = ((current[i] ?? 0) / top) * plot;
    const label = labels[i] ?? '';
    bars.push(
      `<rect x="${(x + 1).toFixed(1)}" y="${(plot - bh).toFixed(1)}" width="${bar.toFixed(1)}" height="${bh.toFixed(1)}" class="b"><title>${e(label)} baseline ${pct(baseline[i] ?? 0)}</title></rect>`,
      `<rect x="${(x + 1 + bar).toFixed(1)}" y="${(plot - ch).toFixed(1)}" width="${bar.toFixed(1)}" height="${ch.toFixed(1)}" class="c"><title>${e(label)} window ${pct(current[i] ?? 0)}</title></rect>`,
    );
    if (n <= 12 || i % Math.ceil(n / 12) === 0) {
      bars.push(
        `<text x="${(x + 1).toFixed(1)}" y="${plot + 14}" transform="rotate(30 ${(x + 1).toFixed(1)} ${plot + 14})">${e(label)}</text>`,
      );
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${e(`${feature.name}: baseline vs window`)}">${bars.join('')}</svg>`;
}

function statisticsRow(f: FeatureDrift): string {
  const s = f.statistics;
  const cells = [
    e(f.name),
    e(f.type),
    f.drifted ? '<strong class="drift">drift</strong>' : 'no',
    e(f.method),
    `${num(f.score)} / ${num(f.threshold)}`,
    num(s.ksStatistic),
    num(s.ksPValue),
    num(s.psi),
    num(s.normalizedWasserstein),
    num(s.chiSquare),
    num(s.chiSquarePValue),
    num(s.jensenShannon),
    s.unseenRate === undefined ? '–' : pct(s.unseenRate),
    s.nullRateChange === undefined ? '–' : num(s.nullRateChange),
    s.outOfRangeRate === undefined ? '–' : pct(s.outOfRangeRate),
    num(s.adjustedPValue),
  ];
  return `<tr${f.drifted ? ' class="drifted"' : ''}>${cells.map((c) => `<td>${c}</td>`).join('')}</tr><tr class="why"><td colspan="16">${e(f.reason)}</td></tr>`;
}

const HEADERS = [
  'feature',
  'type',
  'drifted',
  'method',
  'score / threshold',
  'KS D',
  'KS p',
  'PSI',
  'Wasserstein/σ',
  'χ²',
  'χ² p',
  'JS distance',
  'unseen',
  'null-rate change',
  'out of range',
  'adjusted p',
];

function featureSection(title: string, features: readonly FeatureDrift[]): string {
  if (features.length === 0) return '';
  const table = `<table><thead><tr>${HEADERS.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${features.map(statisticsRow).join('')}</tbody></table>`;
  const charts = features
    .map(
      (f) =>
        `<figure${f.drifted ? ' class="drifted"' : ''}><figcaption>${e(f.name)}${f.drifted ? ' — drift' : ''}</figcaption>${histogramSvg(f)}</figure>`,
    )
    .join('');
  return `<h2>${e(title)}</h2>${table}<div class="charts">${charts}</div>`;
}

/** The report as one self-contained HTML page. */
export function renderDriftReportHtml(report: DriftWindowReport): string {
  const { drift, capture } = report;
  const verdictClass = drift.verdict === 'Drift' ? 'drift' : drift.verdict === 'NoDrift' ? 'ok' : 'none';
  const problems = Object.entries(capture.problems.counts)
    .map(([kind, count]) => `<tr><td>${e(kind)}</td><td>${count}</td></tr>`)
    .join('');
  const examples = capture.problems.examples
    .map(
      (x) =>
        `<li><code>${e(x.kind)}</code> ${e(x.file ?? '')}${x.line === undefined ? '' : `:${x.line}`} — ${e(x.message)}</li>`,
    )
    .join('');
  const title = `Drift report: ${report.model} v${report.version}, window ${report.windowId}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}
td:first-child,th:first-child{text-align:left}tr.why td{text-align:left;color:#555;font-size:12px;border-top:0}
tr.drifted td{background:#fdecea}.verdict{font-size:20px;font-weight:bold;padding:4px 10px;border-radius:4px}
.verdict.drift,strong.drift{color:#b71c1c}.verdict.ok{color:#1b5e20}.verdict.none{color:#795548}
.charts{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0;border:1px solid #ddd;padding:6px}
figure.drifted{border-color:#b71c1c}figcaption{font-weight:bold}
svg rect.b{fill:#9e9e9e}svg rect.c{fill:#1e88e5}svg text{font-size:9px;fill:#444}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}
</style></head><body>
<h1>${e(title)}</h1>
<p><span class="verdict ${verdictClass}">${e(drift.verdict)}</span>
 drift share ${pct(drift.driftShare)} · ${drift.rows.current} rows in the window vs ${drift.rows.reference} in the baseline (run ${e(report.runId)})</p>
<ul>${drift.reasons.map((r) => `<li>${e(r)}</li>`).join('')}</ul>
<p>Window (${e(report.from)}, ${e(report.until)}] · checked ${e(report.checkedAt)} ·
 settings: minSamples ${report.settings.minSamples}, driftShare ${pct(report.settings.driftShare)},
 ${e(report.settings.correction)} at alpha ${report.settings.alpha}${report.settings.criticalFeatures.length > 0 ? `, critical: ${report.settings.criticalFeatures.map(e).join(', ')}` : ''}</p>
<h2>Capture read</h2>
<p>${capture.files} files, ${capture.bytes} bytes, ${capture.records} records, ${capture.requestRows} request rows,
 ${capture.rows} rows used, ${capture.predictions} predictions${capture.predictionBaseline ? '' : ' (no prediction baseline: predictions not tested)'}${(capture.internalRecords ?? 0) > 0 ? `; ${capture.internalRecords} records of the stack's own invocations skipped` : ''}.</p>
${capture.problems.total === 0 ? '<p>No unreadable input.</p>' : `<table><thead><tr><th>problem</th><th>count</th></tr></thead><tbody>${problems}</tbody></table><ul>${examples}</ul>`}
<p class="legend"><span style="background:#9e9e9e"></span>baseline<span style="background:#1e88e5"></span>window</p>
${featureSection('Features', drift.features)}
${featureSection('Predictions', drift.prediction ?? [])}
</body></html>
`;
}
