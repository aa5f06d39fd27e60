// Explore: any dataset, grouped by any of `lmx aggregate`'s dimensions and
// filtered, as a sortable table and a chart, with CSV, the `lmx` command
// and the SDMX URL that give the same numbers. The whole view is in the
// URL's query, so a link reproduces it.
import { call } from '../api.js';
import { setQuery } from '../app.js';
import { barChart, lineChart } from '../chart.js';
import { DATASETS, h, errorBox, freshness, formatValue, numberOf, sortableTable, toCsv, download, loading, shellWord, fill } from '../ui.js';

const LEVELS = { occupation: ['1 major group', '2 sub-major group', '3 minor group', '4 unit group'], activity: ['1 section', '2 division'] };
const FILTERS = ['country', 'occupation', 'period', 'from', 'to', 'as_of'];
// Every other dimension filters by its codes (Filter.where; `lmx aggregate
// --sex=F`), with an example of its codes.
const WHERE = {
  sex: 'F or M', age: 'Y25T54', direction: 'OUTFLOW', counterpart: 'SAU,ARE', channel: 'PUBLIC_SERVICE',
  region: 'KE-30', activity: 'C or 10', education: '3',
};
const whereDims = (dataset) => DATASETS[dataset].dims.filter((d) => d in WHERE);
// The filters a view of `dataset` has: the common ones, then its dimensions'.
const filtersOf = (dataset) => [...FILTERS, ...whereDims(dataset)];

// The view from the URL: {dataset, by: [{dimension, level}], country, ...}.
export function viewFromUrl(params) {
  const dataset = Object.hasOwn(DATASETS, params.get('dataset') || '') ? params.get('dataset') : 'shortages';
  const by = (params.get('by') || 'country').split(',').filter(Boolean).map((part) => {
    const [dimension, level] = part.split(':');
    return { dimension, level: level ? Number(level) : 0 };
  }).filter((g) => DATASETS[dataset].dims.includes(g.dimension));
  const view = { dataset, by: by.length ? by : [{ dimension: 'country', level: 0 }] };
  for (const f of filtersOf(dataset)) view[f] = params.get(f) || '';
  view.show = params.get('show') === 'chart' ? 'chart' : 'table';
  view.sort = params.get('sort') || '';
  return view;
}

const byText = (by) => by.map((g) => (g.level ? `${g.dimension}:${g.level}` : g.dimension)).join(',');

export function command(view) {
  const words = ['lmx', 'aggregate', view.dataset, `--by=${byText(view.by)}`];
  for (const f of filtersOf(view.dataset)) if (view[f]) words.push(`--${f}=${view[f]}`);
  return words.map(shellWord).join(' ');
}

// The SDMX REST data query for the same observations (SDMX has no
// grouping: a tool sums them over the dimensions left out).
export function sdmxUrl(view) {
  const flow = DATASETS[view.dataset].sdmx;
  const parts = flow === 'FLOW' ? 7 : 4;
  const key = new Array(parts).fill('');
  if (view.country) key[0] = view.country.split(',').join('+');
  if (view.occupation && /^\d{4}$/.test(view.occupation)) key[flow === 'FLOW' ? 3 : 1] = view.occupation;
  // The key's positions of the other dimensions (node/http/sdmx_dataflows.cc).
  const positions = flow === 'FLOW' ? { direction: 1, counterpart: 2, sex: 4, age: 5, channel: 6 } : { region: 2, activity: 3 };
  for (const [dim, at] of Object.entries(positions)) {
    if (dim === 'activity' && /[A-Za-z]/.test(view[dim] || '')) continue;  // a section: no SDMX code
    if (view[dim]) key[at] = view[dim].split(',').map((c) => c.trim()).filter(Boolean).join('+');
  }
  const params = [];
  // lmx's --period is the periods within it, as SDMX's ge:+le: reads.
  if (view.period) params.push(`c[TIME_PERIOD]=ge:${view.period}+le:${view.period}`);
  else if (view.from || view.to) params.push(`c[TIME_PERIOD]=${[view.from && `ge:${view.from}`, view.to && `le:${view.to}`].filter(Boolean).join('+')}`);
  if (view.as_of && !/^\d+$/.test(view.as_of)) params.push(`asOf=${encodeURIComponent(view.as_of)}`);
  return `${location.origin}/sdmx/3.0/data/dataflow/LMX/${flow}/1.0/${key.join('.')}${params.length ? `?${params.join('&')}` : ''}`;
}

// The filters of a view that the SDMX key and c[TIME_PERIOD] cannot carry.
function sdmxGaps(view) {
  const gaps = [];
  if (view.occupation && !/^\d{4}$/.test(view.occupation)) gaps.push(`occupation ${view.occupation} (a group: SDMX keys take unit groups)`);
  if (view.as_of && /^\d+$/.test(view.as_of)) gaps.push(`as of version ${view.as_of}`);
  if (view.education) gaps.push(`education ${view.education}`);
  if (view.activity && /[A-Za-z]/.test(view.activity)) gaps.push(`activity section ${view.activity}`);
  return gaps;
}

function request(view) {
  const filter = {};
  if (view.country) filter.countries = view.country.split(',').map((c) => c.trim()).filter(Boolean);
  for (const f of ['occupation', 'period', 'from', 'to']) if (view[f]) filter[f] = view[f];
  if (view.as_of) filter.asOf = view.as_of;
  const where = Object.fromEntries(whereDims(view.dataset).filter((d) => view[d]).map((d) => [d, view[d]]));
  if (Object.keys(where).length) filter.where = where;
  return { dataset: DATASETS[view.dataset].enum, by: view.by.map((g) => (g.level ? g : { dimension: g.dimension })), filter };
}

// The answer as `lmx aggregate --format=csv` writes it.
export function answerCsv(answer) {
  return toCsv(answer.columns || [], (answer.rows || []).map((r) => [...r.keys, ...r.measures.map(formatValue), r.countries ?? '0']));
}

export async function render(main, url) {
  const view = viewFromUrl(url.searchParams);
  const form = h('form', { id: 'explore-form', 'aria-label': 'What to show' });
  const out = h('section', { id: 'result', 'aria-label': 'Result' });
  // What a screen reader hears of an answer: one line, not the table.
  const said = h('p', { class: 'sr-only', 'aria-live': 'polite' });
  main.append(h('h1', {}, 'Explore'),
    h('p', { class: 'lead' }, 'Group any dataset by its dimensions and filter it. The table, the chart and the download are the node’s own aggregate, the numbers ', h('code', {}, 'lmx aggregate'), ' prints.'),
    form, said, out);

  // The grouping dimensions in the order they were ticked: the table's
  // columns and the `--by` of the command follow it.
  let order = view.by.map((g) => g.dimension);
  const orderText = h('p', { class: 'muted', id: 'by-order', 'aria-live': 'polite' });
  function drawOrder() {
    orderText.textContent = order.length ? `Rows by ${order.join(', then ')}.` : 'Tick at least one dimension.';
  }
  function drawForm() {
    const dims = DATASETS[view.dataset].dims;
    const chosen = new Map(view.by.map((g) => [g.dimension, g.level]));
    order = view.by.map((g) => g.dimension);
    drawOrder();
    fill(form, 
      h('div', { class: 'row' },
        h('div', { class: 'field' }, h('label', { for: 'dataset' }, 'Dataset'),
          h('select', { id: 'dataset', name: 'dataset', onchange: (e) => {
            for (const f of FILTERS) view[f] = form.querySelector(`#f-${f}`).value.trim();
            view.dataset = e.target.value;
            view.by = view.by.filter((g) => DATASETS[view.dataset].dims.includes(g.dimension));
            if (!view.by.length) view.by = [{ dimension: 'country', level: 0 }];
            drawForm();
          } }, Object.entries(DATASETS).map(([key, d]) => h('option', { value: key, selected: key === view.dataset }, d.label))))),
      h('fieldset', {}, h('legend', {}, 'Group by, in the order you tick them'),
        h('div', { class: 'checks' }, dims.map((dim) => {
          const box = h('input', { type: 'checkbox', id: `by-${dim}`, name: 'by', value: dim, checked: chosen.has(dim),
            onchange: (e) => {
              order = order.filter((d) => d !== dim);
              if (e.target.checked) order.push(dim);
              drawOrder();
            } });
          const levels = LEVELS[dim];
          const level = levels ? h('select', { id: `level-${dim}`, 'aria-label': `${dim} level` },
            levels.map((text, i) => h('option', { value: String(i + 1), selected: (chosen.get(dim) || levels.length) === i + 1 }, text))) : null;
          return h('span', {}, h('label', { for: `by-${dim}` }, box, dim), level ? [' ', level] : null);
        })), orderText),
      h('fieldset', {}, h('legend', {}, 'Filter'),
        h('div', { class: 'row' },
          field('country', 'Countries (ISO codes, comma-separated)', 'KEN,UGA'),
          field('occupation', 'Occupation (ISCO-08, any level)', '2221 or 22'),
          field('period', 'Period', '2025-Q3'),
          field('from', 'From', '2024-01'),
          field('to', 'To', '2025-12'),
          field('as_of', 'As of (date or version)', '2026-06-30')),
        h('div', { class: 'row' }, whereDims(view.dataset).map((d) => field(d, d[0].toUpperCase() + d.slice(1), WHERE[d])))),
      h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Show')));
  }
  function field(name, text, placeholder) {
    return h('div', { class: 'field' }, h('label', { for: `f-${name}` }, text),
      h('input', { type: 'text', id: `f-${name}`, name, value: view[name] || '', placeholder, size: 14 }));
  }
  function readForm() {
    view.dataset = form.querySelector('#dataset').value;
    const ticked = new Set([...form.querySelectorAll('input[name=by]:checked')].map((box) => box.value));
    order = [...order.filter((d) => ticked.has(d)), ...[...ticked].filter((d) => !order.includes(d))];
    view.by = order.map((dimension) => {
      const level = form.querySelector(`#level-${dimension}`);
      const n = level ? Number(level.value) : 0;
      return { dimension, level: level && n !== LEVELS[dimension].length ? n : 0 };
    });
    for (const f of filtersOf(view.dataset)) view[f] = form.querySelector(`#f-${f}`).value.trim();
  }
  // The URL holds the view on screen: the form's when Show is pressed,
  // else the answered one with its table or chart and sort.
  function saveUrl(v = answered ? { ...answered, show: view.show, sort: view.sort } : view) {
    setQuery({ dataset: v.dataset, by: byText(v.by), ...Object.fromEntries(filtersOf(v.dataset).map((f) => [f, v[f]])),
      show: v.show === 'chart' ? 'chart' : '', sort: v.sort });
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    readForm();
    if (!view.by.length) { fill(out, h('div', { class: 'error', role: 'alert' }, 'Choose at least one dimension to group by.')); return; }
    view.sort = '';
    saveUrl(view);
    run();
  });

  // The answer on screen and the view it answers: the form may change
  // after it, and nothing drawn from the answer may follow the form until
  // Show is pressed again. A newer Show cancels an older one still running.
  let answer = null, answered = null, controller = null;
  async function run() {
    if (controller) controller.abort();
    controller = new AbortController();
    const asked = JSON.parse(JSON.stringify(view));
    const signal = controller.signal;
    fill(out, loading());
    try {
      const got = await call('QueryService/Aggregate', request(asked), { signal });
      if (signal.aborted) return;
      answer = got;
      answered = asked;
    } catch (e) {
      if (!signal.aborted) fill(out, errorBox(e));
      return;
    }
    drawAnswer();
  }

  function drawAnswer() {
    const v = { ...answered, show: view.show, sort: view.sort };
    said.textContent = `${(answer.rows || []).length} rows of ${DATASETS[v.dataset].label.toLowerCase()} by ${byText(v.by)}`;
    const columns = answer.columns || [];
    const keys = v.by.length;
    const rows = (answer.rows || []).map((r) => {
      const o = {};
      r.keys.forEach((k, i) => { o[columns[i]] = k; });
      r.measures.forEach((m, i) => { o[columns[keys + i]] = m; });
      o.countries = r.countries ?? '0';
      return o;
    });
    const [sortKey, sortDir] = v.sort.split(':');
    const table = sortableTable(columns.map((c, i) => ({
      key: c, label: c, num: i >= keys,
      value: i >= keys ? (r) => numberOf(r[c]) : (r) => r[c],
      cell: i >= keys ? (r) => formatValue(r[c]) : null,
    })), rows, {
      sort: sortKey ? { key: sortKey, desc: sortDir === 'desc' } : null,
      onSort: (s) => { view.sort = `${s.key}:${s.desc ? 'desc' : 'asc'}`; saveUrl(); },
      caption: 'Aggregate', attrs: () => ({ 'data-row': '' }),
    });
    const measures = columns.slice(keys, -1);
    const measure = measures.includes('count') ? 'count' : measures.includes('vacancies') ? 'vacancies' : measures.includes('mean_index') ? 'mean_index' : measures[0];
    const periodAt = v.by.findIndex((g) => g.dimension === 'period');
    let chart;
    if (!rows.length) chart = h('p', {}, 'Nothing matches.');
    else if (periodAt >= 0) {
      const series = new Map();
      const xs = new Set();
      for (const r of answer.rows) {
        const name = r.keys.filter((_, i) => i !== periodAt).join(' · ') || measure;
        if (!series.has(name)) series.set(name, new Map());
        series.get(name).set(r.keys[periodAt], numberOf(r.measures[columns.indexOf(measure) - keys]));
        xs.add(r.keys[periodAt]);
      }
      const list = [...series.entries()].map(([name, points]) => ({ name, points })).slice(0, 12);
      chart = h('div', {}, lineChart({ title: `${measure} by period`, xs: [...xs].sort(), series: list, yLabel: measure }),
        series.size > 12 ? h('p', { class: 'muted' }, `The first 12 of ${series.size} series; the table has them all.`) : null);
    } else {
      chart = barChart({ title: `${measure} by ${byText(v.by)}`, valueLabel: measure,
        items: answer.rows.map((r) => ({ label: r.keys.join(' · '), value: numberOf(r.measures[columns.indexOf(measure) - keys]) })) });
    }
    const tableButton = h('button', { type: 'button', id: 'show-table', 'aria-pressed': String(v.show === 'table'), onclick: () => { view.show = 'table'; saveUrl(); drawAnswer(); } }, 'Table');
    const chartButton = h('button', { type: 'button', id: 'show-chart', 'aria-pressed': String(v.show === 'chart'), onclick: () => { view.show = 'chart'; saveUrl(); drawAnswer(); } }, 'Chart');
    fill(out, 
      h('div', { class: 'row' }, h('div', { class: 'tabs', role: 'group', 'aria-label': 'View' }, tableButton, chartButton),
        h('button', { type: 'button', class: 'secondary', id: 'download', onclick: () => download(`${v.dataset}-by-${byText(v.by).replace(/[:,]/g, '-')}.csv`, answerCsv(answer)) }, 'Download CSV'),
        h('span', { class: 'muted', 'data-rows': String(rows.length) }, `${rows.length} rows`)),
      v.show === 'chart' ? chart : table,
      freshness(answer.origins),
      h('h2', {}, 'The same numbers elsewhere'),
      h('p', {}, 'In a terminal:'), h('code', { class: 'code-line', id: 'command' }, command(v)),
      h('p', {}, 'Over SDMX REST (the observations; SDMX tools sum them by the dimensions above):'),
      sdmxGaps(v).length ? h('p', { class: 'muted' }, `The SDMX query cannot say ${sdmxGaps(v).join(', ')}; filter those in your tool.`) : null,
      h('code', { class: 'code-line', id: 'sdmx-url' }, sdmxUrl(v)),
      h('p', {}, 'Over the JSON API: ', h('code', {}, 'POST /api/v1/QueryService/Aggregate'), ' with ', h('code', { id: 'api-body' }, JSON.stringify(request(v)))));
  }

  drawForm();
  if (url.searchParams.has('dataset') || url.searchParams.has('by')) await run();
  else fill(out, h('p', { class: 'muted' }, 'Choose a dataset and dimensions, then Show.'));
}
