// Charts drawn as SVG, with a title and a legend; each page also shows the
// same numbers as a table, for screen readers and for copying.
import { h, formatReal } from './ui.js';

// Eight colours that stay apart for the common colour-vision deficiencies
// (Okabe-Ito, darkened for contrast on white).
export const PALETTE = ['#0b5cad', '#c2410c', '#0b6e4f', '#a21caf', '#8a6d00', '#0e7490', '#b3261e', '#4b5563'];

function niceMax(max) {
  if (max <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= max) return m * step;
  return 10 * step;
}

function ticks(min, max, n = 4) {
  const out = [];
  for (let i = 0; i <= n; i++) out.push(min + ((max - min) * i) / n);
  return out;
}

// An axis tick, grouped for reading ("12,000"); a data value exactly as
// the CLI prints it ("12345", "0.4862").
const tick = (v) => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en') : formatReal(v));
const value = (v) => (v === null || v === undefined ? 'no value' : formatReal(v));

// series: [{name, points: Map(x -> y)}]; xs: the x categories in order.
export function lineChart({ title, xs, series, yLabel = '', yMin = null, yMax = null }) {
  const width = 960, height = 320, left = 56, right = 36, top = 14, bottom = 46;
  const values = series.flatMap((s) => [...s.points.values()]).filter((v) => v !== null && Number.isFinite(v));
  let lo = yMin ?? Math.min(0, ...values), hi = yMax ?? niceMax(Math.max(...values, 0));
  if (hi === lo) hi = lo + 1;
  // Counts get whole-number ticks: "3", never "3.75".
  const steps = values.every(Number.isInteger) && Number.isInteger(hi - lo) && hi - lo <= 8 ? hi - lo : 4;
  const x = (i) => left + (xs.length <= 1 ? (width - left - right) / 2 : (i * (width - left - right)) / (xs.length - 1));
  const y = (v) => top + ((hi - v) * (height - top - bottom)) / (hi - lo);
  const every = Math.max(1, Math.ceil(xs.length / 10));
  const svg = h('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title },
    h('title', {}, title),
    h('g', { class: 'grid' }, ticks(lo, hi, steps).map((t) => h('line', { x1: left, x2: width - right, y1: y(t), y2: y(t) }))),
    h('g', { class: 'axis' },
      ticks(lo, hi, steps).map((t) => h('text', { x: left - 6, y: y(t) + 4, 'text-anchor': 'end' }, tick(t))),
      xs.map((v, i) => (i % every === 0 ? h('text', { x: x(i), y: height - bottom + 16, 'text-anchor': 'middle' }, v) : null)),
      h('line', { x1: left, x2: width - right, y1: y(lo), y2: y(lo) })),
    series.map((s, k) => {
      const color = PALETTE[k % PALETTE.length];
      const points = xs.map((v, i) => [i, s.points.get(v)]).filter(([, v]) => v !== undefined && v !== null);
      const d = points.map(([i, v], j) => `${j ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join('');
      return h('g', { 'data-series': s.name },
        h('path', { d, fill: 'none', stroke: color, 'stroke-width': 2.5 }),
        points.map(([i, v]) => h('circle', { cx: x(i), cy: y(v), r: 3.5, fill: color },
          h('title', {}, `${s.name}, ${xs[i]}: ${value(v)}`))));
    }));
  // The same numbers as a table, for screen readers (the drawing is one
  // image to them) and for copying.
  const numbers = h('details', { class: 'chart-data' }, h('summary', {}, 'The numbers in this chart'),
    h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, ''), series.map((s) => h('th', { scope: 'col', class: 'num' }, s.name)))),
      h('tbody', {}, xs.map((x) => h('tr', {}, h('th', { scope: 'row' }, x),
        series.map((s) => h('td', { class: 'num' }, s.points.has(x) && s.points.get(x) !== null ? formatReal(s.points.get(x)) : ''))))))));
  return h('figure', { class: 'chart' }, yLabel ? h('figcaption', { class: 'muted' }, yLabel) : null, svg,
    legend(series.map((s) => s.name)), numbers);
}

// items: [{label, value}], drawn as horizontal bars (long labels fit, and
// a phone's width is enough).
export function barChart({ title, items, valueLabel = '' }) {
  const shown = items.slice(0, 40);
  const width = 720, bar = 20, gap = 6, left = 190, right = 70, top = 8;
  const height = top + shown.length * (bar + gap) + 8;
  const max = niceMax(Math.max(0, ...shown.map((i) => i.value ?? 0)));
  const min = Math.min(0, ...shown.map((i) => i.value ?? 0));
  const scale = (v) => ((v - min) * (width - left - right)) / (max - min || 1);
  const svg = h('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title },
    h('title', {}, title),
    shown.map((item, i) => {
      const yy = top + i * (bar + gap);
      const v = item.value ?? 0;
      const x0 = left + scale(Math.min(0, v)), w = item.value === null ? 0 : Math.abs(scale(v) - scale(0));
      return h('g', { 'data-bar': item.label },
        h('text', { x: left - 6, y: yy + bar * 0.72, 'text-anchor': 'end' }, item.label.length > 30 ? `${item.label.slice(0, 29)}…` : item.label),
        item.value === null ? null : h('rect', { x: x0, y: yy, width: Math.max(1, w), height: bar, fill: PALETTE[0] }, h('title', {}, `${item.label}: ${value(item.value)}`)),
        h('text', { x: x0 + w + 4, y: yy + bar * 0.72 }, value(item.value)));
    }));
  return h('figure', { class: 'chart' }, svg,
    items.length > shown.length ? h('figcaption', { class: 'muted' }, `The first ${shown.length} of ${items.length} bars; the table has them all.`) : null,
    valueLabel ? h('figcaption', { class: 'muted' }, valueLabel) : null);
}

export function legend(names) {
  return h('ul', { class: 'legend' }, names.map((n, k) => h('li', {}, h('i', { class: `swatch-${k % PALETTE.length}`, 'data-color': PALETTE[k % PALETTE.length] }), n)));
}
