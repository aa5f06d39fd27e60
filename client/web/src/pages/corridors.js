// Corridors: migrant-worker flows between countries for a period and a
// direction, drawn on the region's map and sized by count, with the mirror
// table of a selected corridor (`lmx flows --mirror`).
import { call } from '../api.js';
import { setQuery } from '../app.js';
import { loadWorld, fit, pathOf } from '../map.js';
import { h, errorBox, freshness, sortableTable, loading, formatReal, fill } from '../ui.js';

const DIRECTIONS = { OUTFLOW: 'Outflows, as the origin reported them', INFLOW: 'Inflows, as the destination reported them' };

// Why a corridor has no mirror rows: mirror statistics compare what two
// members reported, so a corridor to a country outside the region has none.
function notMirrored(id, origins) {
  const members = new Set((origins || []).map((o) => o.origin));
  const outside = id.split('-').filter((c) => !members.has(c));
  if (outside.length) return `${outside.join(' and ')} ${outside.length > 1 ? 'are' : 'is'} not a member of the region: mirror statistics compare what the two members at either end reported. The table above has what was reported.`;
  return 'Neither side reported this corridor in this period.';
}

export async function render(main, url) {
  const state = {
    period: url.searchParams.get('period') || '',
    direction: DIRECTIONS[url.searchParams.get('direction')] ? url.searchParams.get('direction') : 'OUTFLOW',
    corridor: url.searchParams.get('corridor') || '',
  };
  const controls = h('form', { class: 'row', 'aria-label': 'Which flows' });
  const mapBox = h('div', { class: 'map', id: 'map' }, loading());
  const tableBox = h('div', {});
  const mirrorBox = h('div', { id: 'mirror' });
  main.append(h('h1', {}, 'Corridors'),
    h('p', { class: 'lead' }, 'Migrant workers between countries, as the members reported them. A line runs from the country workers left to the country they went to; its width is the count. Select a corridor to compare what both ends reported.'),
    controls, mapBox, h('h2', {}, 'Corridors'), tableBox, mirrorBox);

  let completeness;
  try {
    completeness = await call('QueryService/Completeness', { dataset: 'DATASET_FLOW' });
  } catch (e) {
    fill(mapBox, errorBox(e));
    return;
  }
  const periods = [...new Set((completeness.rows || []).flatMap((r) => (r.periods || []).map((p) => p.period)))].sort();
  if (!state.period) state.period = periods[periods.length - 1] || '';
  const save = () => setQuery({ period: state.period, direction: state.direction, corridor: state.corridor });

  fill(controls, 
    h('div', { class: 'field' }, h('label', { for: 'period' }, 'Period'),
      h('select', { id: 'period', onchange: (e) => { state.period = e.target.value; state.corridor = ''; save(); draw(); } },
        periods.map((p) => h('option', { value: p, selected: p === state.period }, p)))),
    h('div', { class: 'field' }, h('label', { for: 'direction' }, 'Direction'),
      h('select', { id: 'direction', onchange: (e) => { state.direction = e.target.value; save(); draw(); } },
        Object.entries(DIRECTIONS).map(([k, v]) => h('option', { value: k, selected: k === state.direction }, v)))));

  // A later choice of period or corridor wins over an earlier one whose
  // answer comes back after it.
  let draws = 0, mirrors = 0;
  async function draw() {
    const mine = ++draws;
    fill(mapBox, loading());
    let answer, world;
    try {
      [answer, world] = await Promise.all([
        call('QueryService/Aggregate', { dataset: 'DATASET_FLOW', by: [{ dimension: 'country' }, { dimension: 'direction' }, { dimension: 'counterpart' }], filter: { period: state.period } }),
        loadWorld(),
      ]);
    } catch (e) {
      if (mine !== draws) return;
      fill(mapBox, errorBox(e));
      fill(tableBox);
      return;
    }
    if (mine !== draws) return;
    const count = answer.columns.indexOf('count') - 3;
    const corridors = (answer.rows || []).filter((r) => r.keys[1] === state.direction).map((r) => {
      const [country, , counterpart] = r.keys;
      const [from, to] = state.direction === 'OUTFLOW' ? [country, counterpart] : [counterpart, country];
      return { id: `${from}-${to}`, from, to, reporter: country, count: Number(r.measures[count].integer ?? 0) };
    });
    drawMap(world, corridors, answer);
    fill(tableBox, corridors.length ? sortableTable([
      { key: 'id', label: 'Corridor', cell: (c) => h('a', { href: `?period=${encodeURIComponent(state.period)}&direction=${state.direction}&corridor=${c.id}`, onclick: (e) => { e.preventDefault(); e.stopPropagation(); select(c.id); } }, `${c.from} → ${c.to}`) },
      { key: 'count', label: 'Workers', num: true },
      { key: 'reporter', label: 'Reported by' },
    ], corridors, { sort: { key: 'count', desc: true }, caption: 'Corridors', attrs: (c) => ({ 'data-corridor': c.id, 'data-count': String(c.count) }) })
      : h('p', {}, `No ${state.direction === 'OUTFLOW' ? 'outflows' : 'inflows'} reported for ${state.period}.`), freshness(answer.origins));
    if (state.corridor) mirror(state.corridor);
    else fill(mirrorBox);
  }

  function drawMap(world, corridors, answer) {
    const width = 900, height = 460;
    const places = new Set(corridors.flatMap((c) => [c.from, c.to]));
    for (const o of answer.origins || []) places.add(o.origin);
    const known = [...places].filter((p) => world.countries.has(p));
    if (!known.length) { fill(mapBox, h('p', {}, 'No country of this data is on the map.')); return; }
    const { project, bounds } = fit(known.map((p) => world.countries.get(p).centroid), width, height);
    const members = new Set((answer.origins || []).map((o) => o.origin));
    const max = Math.max(1, ...corridors.map((c) => c.count));
    const svg = h('svg', { viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': `Map of ${corridors.length} corridors, ${state.period}`, id: 'corridor-map' },
      h('title', {}, `Corridors of ${state.period}`),
      h('defs', {}, h('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 8, refY: 5, markerUnits: 'userSpaceOnUse', markerWidth: 9, markerHeight: 9, orient: 'auto-start-reverse' },
        h('path', { d: 'M0,0L10,5L0,10z', fill: '#b3261e' }))),
      [...world.countries.values()].map((c) => {
        const d = pathOf(c.polygons, project, bounds);
        return d ? h('path', { d, class: `land${members.has(c.alpha3) ? ' member' : ''}`, 'data-country': c.alpha3 }, h('title', {}, c.name)) : null;
      }),
      corridors.filter((c) => world.countries.has(c.from) && world.countries.has(c.to) && c.from !== c.to).map((c) => {
        const [x1, y1] = project(world.countries.get(c.from).centroid), [x2, y2] = project(world.countries.get(c.to).centroid);
        // Bowed to the right of the direction of travel, so A→B and B→A
        // are two lines.
        const mx = (x1 + x2) / 2 + (y2 - y1) * 0.18, my = (y1 + y2) / 2 - (x2 - x1) * 0.18;
        return h('path', {
          d: `M${x1.toFixed(1)},${y1.toFixed(1)}Q${mx.toFixed(1)},${my.toFixed(1)} ${x2.toFixed(1)},${y2.toFixed(1)}`,
          class: `corridor${c.id === state.corridor ? ' selected' : ''}`, 'stroke-width': (1 + 7 * Math.sqrt(c.count / max)).toFixed(1),
          'marker-end': 'url(#arrow)', 'data-corridor': c.id, 'data-count': String(c.count), tabindex: 0, role: 'button',
          'aria-label': `${c.from} to ${c.to}: ${c.count} workers`, onclick: () => select(c.id),
          onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(c.id); } },
        }, h('title', {}, `${c.from} → ${c.to}: ${c.count}`));
      }),
      known.map((p) => {
        const [x, y] = project(world.countries.get(p).centroid);
        return h('g', {}, h('circle', { cx: x, cy: y, r: 3, class: 'place' }), h('text', { x: x + 5, y: y - 5 }, p));
      }));
    const off = [...places].filter((p) => !world.countries.has(p));
    fill(mapBox, svg, off.length ? h('p', { class: 'muted' }, `Not on the map: ${off.join(', ')} (in the table below).`) : null);
  }

  function select(id) {
    state.corridor = id;
    save();
    for (const path of mapBox.querySelectorAll('.corridor')) path.classList.toggle('selected', path.dataset.corridor === id);
    mirror(id);
  }

  async function mirror(id) {
    const mine = ++mirrors;
    fill(mirrorBox, h('h2', { id: 'mirror-title' }, `Mirror statistics: ${id.replace('-', ' → ')}, ${state.period}`), loading());
    try {
      const answer = await call('QueryService/MirrorFlows', { corridor: id, period: state.period });
      if (mine !== mirrors) return;
      const rows = answer.rows || [];
      fill(mirrorBox, h('h2', { id: 'mirror-title' }, `Mirror statistics: ${id.replace('-', ' → ')}, ${state.period}`),
        h('p', { class: 'muted' }, 'The origin’s outflow beside the destination’s inflow, as ', h('code', {}, 'lmx flows --mirror'), ' shows them.'),
        rows.length ? sortableTable([
          { key: 'origin', label: 'Origin' }, { key: 'destination', label: 'Destination' }, { key: 'period', label: 'Period' },
          { key: 'occupation', label: 'Occupation' }, { key: 'sex', label: 'Sex' },
          { key: 'outflow', label: 'Outflow (origin)', num: true, value: (r) => (r.outflow === undefined ? null : Number(r.outflow)) },
          { key: 'inflow', label: 'Inflow (destination)', num: true, value: (r) => (r.inflow === undefined ? null : Number(r.inflow)) },
          { key: 'difference', label: 'Difference', num: true, value: (r) => (r.difference === undefined ? null : Number(r.difference)) },
          { key: 'relative', label: 'Relative', num: true, cell: (r) => (r.relative === undefined ? '' : formatReal(r.relative)) },
          { key: 'missing', label: 'Missing' },
        ], rows, { caption: 'Mirror table', attrs: () => ({ 'data-mirror': '' }) }) : h('p', {}, notMirrored(id, answer.origins)),
        freshness(answer.origins));
    } catch (e) {
      fill(mirrorBox, errorBox(e));
    }
  }

  save();
  await draw();
}
