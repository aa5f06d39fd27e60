// One occupation: each member's latest shortage status and index, the
// index over time, vacancies posted by member and month, the shortage
// lists it is on, and the broader and narrower ISCO-08 groups.
import { call } from '../api.js';
import { describe } from '../app.js';
import { lineChart } from '../chart.js';
import { h, errorBox, freshness, formatReal, formatTime, ago, statusBadge, sortableTable, loading, numberOf, fill } from '../ui.js';

// {country -> Map(period -> value)} from aggregate rows keyed (country, period).
function byCountry(answer, measure) {
  const column = answer.columns.indexOf(measure) - 2;
  const series = new Map();
  const periods = new Set();
  for (const row of answer.rows || []) {
    const [country, period] = row.keys;
    const value = numberOf(row.measures[column]);
    if (value === null) continue;
    if (!series.has(country)) series.set(country, new Map());
    series.get(country).set(period, value);
    periods.add(period);
  }
  return { xs: [...periods].sort(), series: [...series.entries()].sort().map(([name, points]) => ({ name, points })) };
}

// Which codes a row's status comes from, as `lmx shortages` says it
// (basis and observed_occupations).
function basisText(r) {
  const observed = (r.observedOccupations || []).join(', ');
  if (r.basis === 'EXACT') return 'this code';
  if (r.basis === 'BROADER') return `broader (${observed})`;
  if (r.basis === 'NARROWER') return `narrower (${observed})`;
  return observed;
}

function section(title, id) {
  const body = h('div', {}, loading());
  return [h('section', { 'aria-labelledby': id }, h('h2', { id }, title), body), body];
}

export async function render(main, url) {
  const code = url.matches[0];
  const header = h('div', {}, loading());
  const [statusSection, statusBody] = section('Status in each member', 'status-title');
  const [trendSection, trendBody] = section('Shortage index over time', 'trend-title');
  const [vacancySection, vacancyBody] = section('Vacancies posted, by member and month', 'vacancy-title');
  const [listSection, listBody] = section('On the members’ shortage lists', 'list-title');
  main.append(header, statusSection, trendSection, vacancySection, listSection);

  const shown = call('ClassificationService/Show', { id: 'ISCO08', code }).then((isco) => {
    const c = isco.code;
    fill(header, 
      h('p', { class: 'crumbs' }, h('a', { href: '/' }, 'ISCO-08'), (isco.ancestors || []).map((a) => [' › ', h('a', { href: `/occupation/${a.code}` }, `${a.code} ${a.label}`)])),
      h('h1', { 'data-occupation': c.code }, `${c.code} ${c.label}`),
      h('p', { class: 'lead' }, `ISCO-08 ${c.levelName}.`,
        (isco.mappedFrom || []).length ? ` National codes mapped onto it: ${isco.mappedFrom.map((m) => `${m.origin} ${m.classification} ${m.code}`).join(', ')}.` : ''),
      (isco.ancestors || []).length ? h('p', {}, 'Broader: ', h('a', { href: `/occupation/${c.parent}` }, `${c.parent} ${isco.ancestors[isco.ancestors.length - 1].label}`)) : null,
      (isco.children || []).length ? [h('p', {}, 'Narrower:'), h('ul', { class: 'chips', 'aria-label': 'Narrower groups' },
        isco.children.map((k) => h('li', {}, h('a', { href: `/occupation/${k.code}` }, `${k.code} ${k.label}`))))] : null);
    return isco;
  }).catch((e) => { fill(header, h('h1', {}, `ISCO-08 ${code}`), errorBox(e)); });

  const statuses = call('QueryService/Shortages', { occupation: code }).then((answer) => {
    const rows = answer.rows || [];
    fill(statusBody, 
      rows.length ? sortableTable([
        { key: 'country', label: 'Member' },
        { key: 'period', label: 'Period' },
        { key: 'status', label: 'Status', cell: (r) => statusBadge(r.status) },
        { key: 'shortageIndex', label: 'Index', num: true, cell: (r) => (r.shortageIndex === undefined ? '' : formatReal(r.shortageIndex)) },
        { key: 'hardToFill', label: 'Hard to fill', num: true, value: (r) => (r.hardToFill === undefined ? null : Number(r.hardToFill)), cell: (r) => r.hardToFill ?? '' },
        { key: 'basis', label: 'Basis', cell: (r) => basisText(r) },
        { key: 'subnational', label: 'Scope', cell: (r) => (r.subnational ? 'subnational' : 'national') },
        { key: 'publishedAt', label: 'Published', cell: (r) => h('span', { title: formatTime(r.publishedAt) }, `${formatTime(r.publishedAt)} (${ago(r.publishedAt)})`) },
      ], rows, { caption: 'Latest status per member', attrs: (r) => ({ 'data-country': r.country }) })
        : h('p', {}, 'No member has reported a shortage status for this occupation yet.'),
      freshness(answer.origins));
  }).catch((e) => fill(statusBody, errorBox(e)));

  // A measure of `dataset` for this occupation by member and period, as a
  // line per member into `body`, or `none` when nobody reported it.
  const chart = (body, dataset, measure, none, options) => call('QueryService/Aggregate', {
    dataset, by: [{ dimension: 'country' }, { dimension: 'period' }], filter: { occupation: code },
  }).then((answer) => {
    const { xs, series } = byCountry(answer, measure);
    fill(body, xs.length ? lineChart({ ...options, xs, series }) : h('p', {}, none), freshness(answer.origins));
  }).catch((e) => fill(body, errorBox(e)));
  const trend = chart(trendBody, 'DATASET_SHORTAGE', 'mean_index', 'No shortage index reported for this occupation.',
    { title: `Mean shortage index of ${code} by member and period`, yMin: -1, yMax: 1, yLabel: 'index (−1 surplus … +1 shortage)' });
  const vacancies = chart(vacancyBody, 'DATASET_VACANCY', 'vacancies', 'No vacancies posted for this occupation.',
    { title: `Vacancies posted for ${code} by member and month`, yLabel: 'vacancies' });

  const lists = describe().then(async (d) => {
    const members = (d.origins || []).map((o) => o.origin);
    const answers = await Promise.all(members.map((country) => call('QueryService/ShortageList', { country }).catch((e) => ({ country, error: e }))));
    fill(listBody, h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Member', 'On the list', 'Why', 'Periods'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, answers.map((a, i) => {
        const country = members[i];
        if (a.error) return h('tr', {}, h('td', {}, country), h('td', { colspan: 3 }, a.error.message));
        const entries = (a.entries || []).filter((e) => e.occupation === code || e.occupation.startsWith(code));
        const exact = entries.find((e) => e.occupation === code);
        return h('tr', { 'data-list-country': country, 'data-listed': entries.length ? 'yes' : 'no' },
          h('td', {}, h('a', { href: `/lists?country=${country}` }, country)),
          h('td', {}, entries.length ? (exact ? 'yes' : `yes, ${entries.map((e) => e.occupation).join(', ')}`) : 'no'),
          h('td', {}, entries.map((e) => {
            const why = [e.persistent ? 'persistent' : '', e.acute ? 'acute' : ''].filter(Boolean).join(', ');
            return entries.length > 1 || !exact ? `${e.occupation}: ${why}` : why;
          }).join('; ')),
          h('td', {}, (a.periods || []).join(', ')));
      })))), h('p', { class: 'muted' }, 'Each member’s list follows the node’s rule; the Shortage lists page shows the rule and the evidence.'));
  }).catch((e) => fill(listBody, errorBox(e)));

  await Promise.allSettled([shown, statuses, trend, vacancies, lists]);
}
