// Small DOM helpers shared by the pages: elements, tables, numbers as the
// CLI prints them, freshness, errors, CSV.

// Children as nodes: arrays flattened, null/undefined/false skipped,
// anything else as text.
function nodes(children) {
  return children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false)
    .map((c) => (c instanceof Node ? c : document.createTextNode(String(c))));
}

// h('a', {href: '/x'}, 'text', child...) makes an element. Attributes
// starting with "on" are listeners; `null`/`false` children are skipped.
export function h(tag, attributes = {}, ...children) {
  const svg = ['svg', 'g', 'path', 'line', 'rect', 'circle', 'text', 'title', 'desc', 'polyline', 'defs', 'marker'].includes(tag);
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.setAttribute('class', value);
    else if (key in el && !svg && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  el.append(...nodes(children));
  return el;
}

// Replaces `el`'s children with `children`, skipping null and false (the
// DOM's own replaceChildren would write them as the text "null").
// A control that had the keyboard focus and is drawn again (a pager's
// Next, a select) gets it back: its id says which it was.
export function fill(el, ...children) {
  const focused = document.activeElement && el.contains(document.activeElement) ? document.activeElement.id : '';
  el.replaceChildren(...nodes(children));
  if (focused) {
    const again = el.querySelector(`#${CSS.escape(focused)}`);
    if (again) again.focus();
  }
  return el;
}

// A double as `lmx` prints it: "%.4f" rounded half to even on the exact
// binary value, trailing zeros and point dropped, "-0" as "0".
export function formatReal(x) {
  if (!Number.isFinite(x)) return String(x);
  const exact = Math.abs(x).toFixed(100).replace(/0+$/, '');
  let [whole, fraction = ''] = exact.split('.');
  let kept = fraction.slice(0, 4).padEnd(4, '0');
  const rest = fraction.slice(4);
  let up = false;
  if (rest.length > 0) {
    if (rest[0] > '5') up = true;
    else if (rest[0] === '5') up = /[1-9]/.test(rest.slice(1)) || Number(kept[3]) % 2 === 1;
  }
  let digits = whole + kept;
  if (up) digits = (BigInt(digits) + 1n).toString().padStart(digits.length, '0');
  whole = digits.slice(0, digits.length - 4) || '0';
  kept = digits.slice(-4).replace(/0+$/, '');
  let text = (x < 0 ? '-' : '') + whole + (kept ? `.${kept}` : '');
  return text === '-0' ? '0' : text;
}

// A google.protobuf.Value-like AggregateRow measure, or an int64 string.
export function formatValue(value) {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') {
    if ('integer' in value) return String(value.integer);
    if ('real' in value) return formatReal(value.real);
    return '';
  }
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : formatReal(value);
  return String(value);
}

export function numberOf(value) {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'object') {
    if ('integer' in value) return Number(value.integer);
    if ('real' in value) return value.real;
    return null;
  }
  return Number(value);
}

// RFC 3339 as the CLI prints it: seconds, UTC.
export function formatTime(time) {
  if (!time) return '';
  const d = new Date(time);
  if (Number.isNaN(d.getTime()) || d.getTime() === 0) return '';
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

export function ago(time, now = Date.now()) {
  if (!time) return '';
  const seconds = Math.max(0, Math.round((now - new Date(time).getTime()) / 1000));
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 129600) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}

// "Data as of": each origin's version and when it was published, as the
// CLI's freshness line.
export function freshness(origins) {
  const list = origins || [];
  if (!list.length) return h('p', { class: 'fresh' }, 'Data as of: no origin has data here yet.');
  return h('p', { class: 'fresh', 'data-freshness': '' }, 'Data as of: ',
    list.map((o, i) => [i ? ', ' : '',
      h('b', {}, o.origin), Number(o.version || 0) === 0
        ? ' (no data yet)'
        : h('span', { title: formatTime(o.publishedAt) }, ` v${o.version} (${formatTime(o.publishedAt)}, ${ago(o.publishedAt)})`)]));
}

// An error as the node gave it: what went wrong, and for a refusal by role,
// why this page shows nothing.
export function errorBox(error) {
  if (error.name === 'AbortError') return h('span');
  const status = error.status || 'ERROR';
  let why = null;
  if (status === 'PERMISSION_DENIED') why = 'Your token\'s role does not allow this. Flows and partnership candidates are for analysts; readers see shortages and vacancy aggregates.';
  else if (status === 'UNAUTHENTICATED') why = 'This node needs a token: sign in at the top of the page.';
  return h('div', { class: 'error', role: 'alert', 'data-error': status },
    h('strong', {}, status === 'PERMISSION_DENIED' ? 'Not allowed: ' : 'Error: '), error.message,
    why ? h('p', {}, why) : null);
}

export function statusBadge(status) {
  const s = status || 'UNKNOWN';
  return h('span', { class: `status ${s}` }, s);
}

// A sortable table. `columns`: [{key, label, num, value(row) -> sort value,
// cell(row) -> Node|string}]. Sorting is by clicking a header (keyboard: it
// is a button); the state is reported through `onSort` so a page can keep
// it in the URL.
export function sortableTable(columns, rows, { sort = null, onSort = null, caption = null, attrs = null } = {}) {
  let state = sort;  // {key, desc}
  const tbody = h('tbody');
  const heads = columns.map((column) => {
    const button = h('button', { class: 'sort', type: 'button', onclick: () => {
      state = state && state.key === column.key && !state.desc ? { key: column.key, desc: true } : { key: column.key, desc: false };
      draw();
      if (onSort) onSort(state);
    } }, column.label);
    return h('th', { class: column.num ? 'num' : null, scope: 'col', 'data-key': column.key }, button);
  });
  function draw() {
    const ordered = rows.slice();
    if (state) {
      const column = columns.find((c) => c.key === state.key);
      if (column) {
        const value = column.value || ((r) => r[column.key]);
        ordered.sort((a, b) => {
          const x = value(a), y = value(b);
          const c = x === y ? 0 : x === null || x === undefined ? 1 : y === null || y === undefined ? -1
            : typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
          return state.desc ? -c : c;
        });
      }
    }
    heads.forEach((th, i) => th.setAttribute('aria-sort', state && state.key === columns[i].key ? (state.desc ? 'descending' : 'ascending') : 'none'));
    tbody.replaceChildren(...ordered.map((row) => h('tr', attrs ? attrs(row) : {},
      columns.map((c) => h('td', { class: c.num ? 'num' : null }, c.cell ? c.cell(row) : row[c.key] ?? '')))));
  }
  draw();
  return h('div', { class: 'table-wrap' }, h('table', {}, caption ? h('caption', { class: 'sr-only' }, caption) : null,
    h('thead', {}, h('tr', {}, heads)), tbody));
}

// RFC 4180 CSV, as `lmx --format=csv` writes it.
export function toCsv(header, rows) {
  const field = (v) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(field).join(',')).join('\n') + '\n';
}

export function download(name, text, type = 'text/csv') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function loading(text = 'Loading…') {
  return h('p', { class: 'muted', role: 'status' }, text);
}

// Shell-quotes one argument of a command line.
export function shellWord(s) {
  return /^[A-Za-z0-9_./:=,+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export const DATASETS = {
  shortages: { enum: 'DATASET_SHORTAGE', label: 'Skill shortages', sdmx: 'SHORTAGE',
    dims: ['country', 'period', 'occupation', 'region', 'activity'] },
  vacancies: { enum: 'DATASET_VACANCY', label: 'Vacancy aggregates', sdmx: 'VACANCY_AGG',
    dims: ['country', 'period', 'occupation', 'region', 'activity', 'education'] },
  flows: { enum: 'DATASET_FLOW', label: 'Migrant-worker flows', sdmx: 'FLOW',
    dims: ['country', 'period', 'direction', 'counterpart', 'occupation', 'sex', 'age', 'channel'] },
};
