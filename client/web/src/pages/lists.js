// Shortage lists and partnerships: each member's occupational shortage
// list, with its rule and the evidence per period, filterable by ISCO
// group; and the skills-partnership candidates of `lmx match`, ranked,
// with their scores explained.
import { call } from '../api.js';
import { describe, setQuery } from '../app.js';
import { h, errorBox, freshness, formatReal, statusBadge, sortableTable, loading, fill } from '../ui.js';

function ruleText(rule, periods) {
  const parts = [];
  if (rule.minPeriods) parts.push(`SHORTAGE in at least ${rule.minPeriods} of the last ${rule.lastPeriods || periods.length} periods (persistent)`);
  if (rule.indexAbove !== undefined) parts.push(`a shortage index above ${formatReal(rule.indexAbove)} in the latest (acute)`);
  return `${parts.join(', or ')}. Periods: ${periods.join(', ') || 'none'}.`;
}

export async function render(main, url) {
  const state = { country: url.searchParams.get('country') || '', group: url.searchParams.get('group') || '', level: url.searchParams.get('level') || '2' };
  const listBox = h('section', { 'aria-labelledby': 'list-title' });
  const matchBox = h('section', { 'aria-labelledby': 'match-title' });
  main.append(h('h1', {}, 'Shortage lists and partnerships'),
    h('p', { class: 'lead' }, 'Each member’s occupational shortage list, by the node’s rule, with the evidence behind every entry; then the pairs of members where one is short of what the other has in surplus, the candidates for a skills partnership.'),
    listBox, matchBox);
  const save = () => setQuery({ country: state.country, group: state.group, level: state.level === '2' ? '' : state.level });

  let members = [];
  try {
    const d = await describe();
    members = (d.origins || []).map((o) => o.origin);
    if (!state.country) state.country = d.country;
  } catch (e) {
    fill(listBox, errorBox(e));
    return;
  }

  let lists = 0, matches = 0;
  async function drawList() {
    const mine = ++lists;  // a later choice of member wins
    fill(listBox, h('h2', { id: 'list-title' }, `${state.country}’s shortage list`), loading());
    let list;
    try {
      list = await call('QueryService/ShortageList', { country: state.country });
    } catch (e) {
      if (mine !== lists) return;
      fill(listBox, h('h2', { id: 'list-title' }, `${state.country}’s shortage list`), controls(), errorBox(e));
      return;
    }
    if (mine !== lists) return;
    const entries = (list.entries || []).filter((e) => !state.group || e.occupation.startsWith(state.group));
    fill(listBox, h('h2', { id: 'list-title' }, `${state.country}’s shortage list`), controls(),
      h('p', {}, h('strong', {}, 'Rule: '), ruleText(list.rule || {}, list.periods || [])),
      entries.length ? sortableTable([
        { key: 'occupation', label: 'ISCO-08', cell: (e) => h('a', { href: `/occupation/${e.occupation}` }, e.occupation) },
        { key: 'label', label: 'Occupation' },
        { key: 'listed', label: 'Listed as', value: (e) => listed(e), cell: (e) => listed(e) },
        { key: 'shortagePeriods', label: 'Periods in shortage', num: true, value: (e) => e.shortagePeriods || 0, cell: (e) => `${e.shortagePeriods || 0} of ${(list.periods || []).length}` },
        { key: 'evidence', label: 'Evidence', value: () => 0, cell: (e) => h('ul', { class: 'evidence' }, (e.evidence || []).map((v) => h('li', {}, `${v.period}: `, statusBadge(v.status),
          v.shortageIndex !== undefined ? ` index ${formatReal(v.shortageIndex)}` : '', v.hardToFill !== undefined ? `, ${v.hardToFill} hard to fill` : ''))) },
      ], entries, { caption: 'Shortage list', attrs: (e) => ({ 'data-list': `${state.country} ${e.occupation}` }) })
        : h('p', {}, state.group ? `No occupation of group ${state.group} is on the list.` : 'The list is empty: no occupation meets the rule.'),
      freshness(list.origins));
  }
  const listed = (e) => [e.persistent ? 'persistent' : '', e.acute ? 'acute' : ''].filter(Boolean).join(', ');

  function controls() {
    return h('form', { class: 'row', onsubmit: (e) => e.preventDefault() },
      h('div', { class: 'field' }, h('label', { for: 'country' }, 'Member'),
        h('select', { id: 'country', onchange: (e) => { state.country = e.target.value; save(); drawList(); } },
          members.map((m) => h('option', { value: m, selected: m === state.country }, m)))),
      h('div', { class: 'field' }, h('label', { for: 'group' }, 'ISCO group (code prefix)'),
        h('input', { type: 'text', id: 'group', value: state.group, size: 6, inputmode: 'numeric', placeholder: '2 or 22',
          onchange: (e) => { state.group = e.target.value.trim(); save(); drawList(); } })));
  }

  async function drawMatch() {
    const mine = ++matches;  // a later choice of level wins
    fill(matchBox, h('h2', { id: 'match-title' }, 'Partnership candidates'), loading());
    let answer;
    const levelSelect = h('select', { id: 'level', onchange: (e) => { state.level = e.target.value; save(); drawMatch(); } },
      [['1', 'major group'], ['2', 'sub-major group'], ['3', 'minor group'], ['4', 'unit group']].map(([v, t]) => h('option', { value: v, selected: v === state.level }, t)));
    const top = [h('h2', { id: 'match-title' }, 'Partnership candidates'),
      h('p', { class: 'muted' }, 'Ranked by score = gap × (1 + log10(1 + positions posted in the destination)), where gap = (destination index − origin index) / 2; a status without an index counts as ±0.5. Existing flows are shown, not scored (docs/policy.md).'),
      h('div', { class: 'row' }, h('div', { class: 'field' }, h('label', { for: 'level' }, 'Compare at ISCO level'), levelSelect))];
    try {
      answer = await call('QueryService/Match', { level: Number(state.level) });
    } catch (e) {
      if (mine === matches) fill(matchBox, ...top, errorBox(e));
      return;
    }
    if (mine !== matches) return;
    const rows = (answer.rows || []).map((r, i) => ({ ...r, rank: i + 1 }));
    const gap = (r) => ((r.destinationIndex ?? 0.5) - (r.originIndex ?? -0.5)) / 2;
    fill(matchBox, ...top,
      rows.length ? sortableTable([
        { key: 'rank', label: '#', num: true },
        { key: 'occupation', label: 'ISCO-08', cell: (r) => h('span', {}, h('a', { href: `/occupation/${r.occupation}` }, r.occupation), ` ${r.label}`) },
        { key: 'destination', label: 'Short in', cell: (r) => `${r.destination} (${r.destinationPeriod}${r.destinationIndex !== undefined ? `, ${formatReal(r.destinationIndex)}` : ''})` },
        { key: 'origin', label: 'Surplus in', cell: (r) => `${r.origin} (${r.originPeriod}${r.originIndex !== undefined ? `, ${formatReal(r.originIndex)}` : ''})` },
        { key: 'positions', label: 'Positions posted', num: true, value: (r) => Number(r.positions || 0), cell: (r) => `${r.positions || 0} in ${r.vacancies || 0} vacancies` },
        { key: 'flows', label: 'Flows now', value: (r) => Number(r.inflow || r.outflow || 0), cell: (r) => `${r.inflow ?? '–'} in / ${r.outflow ?? '–'} out` },
        { key: 'score', label: 'Score', num: true, value: (r) => r.score, cell: (r) => h('span', { title: `gap ${formatReal(gap(r))} × (1 + log10(1 + ${r.positions || 0}))` }, formatReal(r.score)) },
        { key: 'why', label: 'Why', value: () => 0, cell: (r) => `gap ${formatReal(gap(r))} × vacancy term ${formatReal(1 + Math.log10(1 + Number(r.positions || 0)))}` },
      ], rows, { caption: 'Partnership candidates', attrs: (r) => ({ 'data-match': `${r.occupation} ${r.destination} ${r.origin}` }) })
        : h('p', {}, 'No pair of members has a shortage on one side and a surplus on the other.'),
      h('p', { class: 'muted' }, `Flows and vacancies counted in: ${answer.window || 'each pair’s window'}.`),
      freshness(answer.origins));
  }

  await Promise.all([drawList(), drawMatch()]);
}
