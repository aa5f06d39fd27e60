// Region: the members as this node sees them (`lmx peers`): each origin's
// version, lag, last contact, digest agreement and refused entries, the
// peer links, and the completeness matrix of who reported what.
import { call } from '../api.js';
import { h, errorBox, formatTime, ago, loading, sortableTable, fill } from '../ui.js';

const DATASET_NAMES = { DATASET_SHORTAGE: 'shortages', DATASET_VACANCY: 'vacancies', DATASET_FLOW: 'flows' };

export async function render(main) {
  const peersBox = h('section', { 'aria-labelledby': 'origins-title' }, loading());
  const matrixBox = h('section', { 'aria-labelledby': 'matrix-title' }, loading());
  main.append(h('h1', {}, 'Region'), h('p', { class: 'lead' }, 'What this node holds of every member, and how current it is.'), peersBox, matrixBox);
  const peers = call('Federation/Peers').then((p) => {
    fill(peersBox, 
      h('h2', { id: 'origins-title' }, `Members, as node ${p.node} holds them`),
      h('p', {}, `Publishing: ${p.publishing}. Storage: ${p.storage}.`),
      sortableTable([
        { key: 'origin', label: 'Member' },
        { key: 'applied', label: 'Version here', num: true, value: (o) => Number(o.applied || 0) },
        { key: 'head', label: 'Newest known', num: true, value: (o) => Number(o.head || 0) },
        { key: 'lag', label: 'Lag', num: true, value: (o) => Number(o.head || 0) - Number(o.applied || 0), cell: (o) => String(Math.max(0, Number(o.head || 0) - Number(o.applied || 0))) },
        { key: 'publishedAt', label: 'Published', cell: (o) => (o.publishedAt ? `${formatTime(o.publishedAt)} (${ago(o.publishedAt)})` : '') },
        { key: 'lastContact', label: 'Last contact', cell: (o) => (o.lastContact ? ago(o.lastContact) : o.digest === 'self' ? 'self' : 'never') },
        { key: 'digest', label: 'Digest' },
        { key: 'trust', label: 'Trust' },
        { key: 'rejected', label: 'Refused entries', num: true, value: (o) => Number(o.rejected || 0), cell: (o) => String(o.rejected || 0) },
        { key: 'lastError', label: 'Last error' },
      ], p.origins || [], { caption: 'Origins', attrs: (o) => ({ 'data-origin': o.origin }) }),
      h('h2', {}, 'Links to peers'),
      (p.peers || []).length ? sortableTable([
        { key: 'id', label: 'Peer' }, { key: 'address', label: 'Address' },
        { key: 'connected', label: 'Connected', cell: (x) => (x.connected ? 'yes' : 'no') },
        { key: 'lastContact', label: 'Last contact', cell: (x) => (x.lastContact ? ago(x.lastContact) : 'never') },
        { key: 'lastError', label: 'Last error' },
      ], p.peers, { caption: 'Peers' }) : h('p', {}, 'This node pulls from no peer.'));
  }).catch((e) => fill(peersBox, h('h2', { id: 'origins-title' }, 'Members'), errorBox(e)));
  const matrix = call('QueryService/Completeness', {}).then((c) => {
    const rows = c.rows || [];
    const countries = [...new Set(rows.map((r) => r.country))].sort();
    const datasets = Object.keys(DATASET_NAMES).filter((d) => rows.some((r) => r.dataset === d));
    const cell = (country, dataset) => rows.find((r) => r.country === country && r.dataset === dataset);
    fill(matrixBox, h('h2', { id: 'matrix-title' }, 'Completeness: who reported which periods'),
      countries.length ? h('div', { class: 'table-wrap' }, h('table', {}, h('caption', { class: 'sr-only' }, 'Completeness matrix'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Member'), datasets.map((d) => h('th', { scope: 'col' }, DATASET_NAMES[d])))),
        h('tbody', {}, countries.map((country) => h('tr', {}, h('th', { scope: 'row' }, country), datasets.map((d) => {
          const r = cell(country, d);
          return h('td', { 'data-cell': `${country} ${DATASET_NAMES[d]}` }, r ? [(r.periods || []).map((p) => p.period).join(', '), h('br'), h('span', { class: 'muted' }, `v${r.version}, ${ago(r.publishedAt)}`)] : '—');
        }))))))
        : h('p', {}, 'No member has reported yet.'));
  }).catch((e) => fill(matrixBox, h('h2', { id: 'matrix-title' }, 'Completeness'), errorBox(e)));
  await Promise.allSettled([peers, matrix]);
}
