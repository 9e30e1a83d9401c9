/// <reference lib="dom" />
/** Charts as inline SVG built with DOM calls (no library, no markup strings). */
import { h, s } from './dom';
import { num } from './format';

/** One line of a chart: its name and its points as [x, y]. */
export interface Series {
  name: string;
  points: [number, number][];
}

/** How a chart draws its axes. */
export interface ChartOptions {
  /** The chart's title, also its accessible name. */
  title: string;
  /** x values are epoch ms (ticks as times) rather than numbers. */
  time?: boolean;
  xLabel?: string;
  yLabel?: string;
  /** Draw markers only (e.g. one point per version), no joining line. */
  pointsOnly?: boolean;
  /** Ticks of x at these values only (e.g. version numbers). */
  integerX?: boolean;
}

const WIDTH = 640;
const HEIGHT = 240;
const PAD = { left: 56, right: 40, top: 30, bottom: 40 };
const COLOURS = ['#0b57d0', '#b3261e', '#146c2e', '#7a4d00', '#6f2da8'];

function ticks(min: number, max: number, count: number): number[] {
  if (min === max) return [min];
  const step = (max - min) / (count - 1);
  return Array.from({ length: count }, (_, i) => min + step * i);
}

/** Round tick values (1, 2 or 5 times a power of ten) covering [min, max]. */
function niceTicks(min: number, max: number, count: number): number[] {
  const raw = (max - min) / Math.max(1, count - 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const out: number[] = [];
  // The last tick is the first at or above max, so the line stays inside the axis.
  for (let v = Math.floor(min / step) * step; out.length < 50; v += step) {
    out.push(Number(v.toPrecision(12)));
    if (v >= max - step * 1e-9) break;
  }
  return out;
}

function timeTick(t: number, span: number): string {
  const date = new Date(t);
  return span > 2 * 86_400_000
    ? date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
    : span < 600_000
      ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
      : date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/**
 * A line chart of one or more series, with axes, a legend, and the data as a table in a disclosure
 * (the numbers read by screen readers and copied by people).
 */
export function lineChart(series: Series[], options: ChartOptions): HTMLElement {
  const all = series.flatMap((line) => line.points);
  const figure = h('figure', { class: 'chart' });
  const titleId = `chart-${Math.random().toString(36).slice(2)}`;
  figure.append(h('figcaption', { id: titleId }, options.title));
  if (all.length === 0) {
    figure.append(h('p', { class: 'empty' }, 'No data points yet.'));
    return figure;
  }
  let [xMin, xMax] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let [yMin, yMax] = [Math.min(0, ...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  // One point: a minute either side of a time, one unit either side of a number.
  const pad = options.time ? 60_000 : 1;
  if (xMin === xMax) [xMin, xMax] = [xMin - pad, xMax + pad];
  if (yMin === yMax) yMax = yMin + 1;
  const yTicks = niceTicks(yMin, yMax, 5);
  [yMin, yMax] = [Math.min(yMin, ...yTicks), Math.max(yMax, ...yTicks)];
  const x = (v: number) => PAD.left + ((v - xMin) / (xMax - xMin)) * (WIDTH - PAD.left - PAD.right);
  const y = (v: number) =>
    HEIGHT - PAD.bottom - ((v - yMin) / (yMax - yMin)) * (HEIGHT - PAD.top - PAD.bottom);

  const svg = s('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: 'img',
    'aria-labelledby': titleId,
    class: 'chart-svg',
    preserveAspectRatio: 'xMidYMid meet',
  });
  svg.append(s('title', {}, options.title));
  const axes = s('g', { class: 'axes' });
  axes.append(
    s('line', { x1: PAD.left, y1: HEIGHT - PAD.bottom, x2: WIDTH - PAD.right, y2: HEIGHT - PAD.bottom }),
    s('line', { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: HEIGHT - PAD.bottom }),
  );
  for (const v of yTicks) {
    axes.append(
      s('line', { class: 'grid', x1: PAD.left, y1: y(v), x2: WIDTH - PAD.right, y2: y(v) }),
      s('text', { x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, num(v)),
    );
  }
  const xTicks = options.integerX
    ? [...new Set(all.map((p) => p[0]))].sort((a, b) => a - b).slice(0, 20)
    : options.time
      ? ticks(xMin, xMax, 5)
      : niceTicks(xMin, xMax, 5).filter((v) => v >= xMin && v <= xMax);
  for (const v of xTicks) {
    const label = options.time ? timeTick(v, xMax - xMin) : num(v);
    axes.append(s('text', { x: x(v), y: HEIGHT - PAD.bottom + 16, 'text-anchor': 'middle' }, label));
  }
  if (options.xLabel) {
    axes.append(
      s('text', { x: (WIDTH + PAD.left) / 2, y: HEIGHT - 6, 'text-anchor': 'middle' }, options.xLabel),
    );
  }
  if (options.yLabel) {
    axes.append(
      s(
        'text',
        // Above the axis, not rotated beside it: it never runs into the tick labels on a narrow window.
        { x: 4, y: 16, 'text-anchor': 'start' },
        options.yLabel,
      ),
    );
  }
  svg.append(axes);

  series.forEach((line, i) => {
    const colour = COLOURS[i % COLOURS.length] ?? '#0b57d0';
    const points = [...line.points].sort((a, b) => a[0] - b[0]);
    // Dense lines (a hundred rounds) keep small markers: each still names its point on hover.
    const marker = options.pointsOnly ? 5 : points.length > 30 ? 1.5 : 3;
    const group = s('g', { class: 'series', stroke: colour, fill: colour });
    if (!options.pointsOnly && points.length > 1) {
      group.append(
        s('polyline', {
          fill: 'none',
          'stroke-width': 2,
          points: points.map((p) => `${x(p[0])},${y(p[1])}`).join(' '),
        }),
      );
    }
    for (const [px, py] of points) {
      const label = `${line.name}: ${options.time ? new Date(px).toLocaleString() : num(px)} → ${num(py)}`;
      group.append(s('circle', { cx: x(px), cy: y(py), r: marker }, s('title', {}, label)));
    }
    svg.append(group);
  });
  figure.append(svg);

  if (series.length > 1) {
    figure.append(
      h(
        'ul',
        { class: 'legend' },
        ...series.map((line, i) =>
          h(
            'li',
            {},
            h('span', { class: `swatch swatch-${i % COLOURS.length}`, 'aria-hidden': 'true' }),
            line.name,
          ),
        ),
      ),
    );
  }
  figure.append(dataTable(series, options));
  return figure;
}

function dataTable(series: Series[], options: ChartOptions): HTMLElement {
  const rows = series.flatMap((line) =>
    line.points.map(([px, py]) =>
      h(
        'tr',
        {},
        h('td', {}, line.name),
        h('td', {}, options.time ? new Date(px).toLocaleString() : num(px)),
        h('td', {}, num(py)),
      ),
    ),
  );
  return h(
    'details',
    { class: 'chart-data' },
    h('summary', {}, 'Data'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Series'),
            h('th', { scope: 'col' }, options.xLabel ?? 'x'),
            h('th', { scope: 'col' }, options.yLabel ?? 'value'),
          ),
        ),
        h('tbody', {}, ...rows.slice(0, 500)),
      ),
    ),
  );
}
