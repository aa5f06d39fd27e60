// Find an occupation: words in, ISCO-08 occupations out, suggested as the
// user types (ClassificationService/Search over ISCO titles and ESCO labels).
import { call } from '../api.js';
import { navigate } from '../app.js';
import { h, errorBox, fill } from '../ui.js';

const SOURCES = {
  ISCO08_TITLE: 'ISCO-08 title', ESCO_LABEL: 'ESCO occupation', ESCO_ALT_LABEL: 'also called', ISCO08_CODE: 'ISCO-08 code',
};

function via(match) {
  const title = match.occupation.label;
  if (match.source === 'ISCO08_TITLE' || match.source === 'ISCO08_CODE') return `${match.occupation.levelName}`;
  return `${SOURCES[match.source]}: ${match.matched}`;
}

export async function render(main, url) {
  const q = url.searchParams.get('q') || '';
  const input = h('input', {
    type: 'search', id: 'search', value: q, autocomplete: 'off', spellcheck: 'false',
    role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': 'suggestions',
    placeholder: 'nurse, welder, software developer, lorry driver…',
  });
  const list = h('ul', { id: 'suggestions', role: 'listbox', 'aria-label': 'Occupations', hidden: true });
  const status = h('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
  const results = h('div', { id: 'results' });
  let matches = [], active = -1, controller = null, asked = 0;

  function open(show) {
    list.hidden = !show;
    input.setAttribute('aria-expanded', String(show));
  }
  function highlight(i) {
    active = i;
    [...list.children].forEach((li, k) => li.setAttribute('aria-selected', String(k === i)));
    if (i >= 0) input.setAttribute('aria-activedescendant', `suggestion-${i}`);
    else input.removeAttribute('aria-activedescendant');
  }
  function choose(match) {
    navigate(`/occupation/${match.occupation.code}`);
  }
  async function suggest() {
    const text = input.value.trim();
    if (controller) controller.abort();
    if (!text) { matches = []; fill(list); open(false); return; }
    controller = new AbortController();
    const mine = ++asked;
    try {
      const answer = await call('ClassificationService/Search', { text, limit: 8 }, { signal: controller.signal });
      if (mine !== asked) return;
      matches = answer.matches || [];
      fill(list, ...matches.map((m, i) => h('li', {
        id: `suggestion-${i}`, role: 'option', 'aria-selected': 'false', 'data-code': m.occupation.code,
        onmousedown: (e) => { e.preventDefault(); choose(m); },
      }, h('span', { class: 'code' }, m.occupation.code), m.occupation.label, h('span', { class: 'via' }, via(m)))));
      highlight(-1);
      open(matches.length > 0);
      status.textContent = matches.length ? `${matches.length} occupations suggested` : 'No occupation matches';
      document.body.setAttribute('data-suggested', text);
    } catch (e) {
      if (e.name !== 'AbortError') fill(results, errorBox(e));
    }
  }
  input.addEventListener('input', suggest);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' && matches.length) { e.preventDefault(); open(true); highlight(Math.min(active + 1, matches.length - 1)); }
    else if (e.key === 'ArrowUp' && matches.length) { e.preventDefault(); highlight(Math.max(active - 1, 0)); }
    else if (e.key === 'Escape') { open(false); highlight(-1); }
    else if (e.key === 'Enter') {
      e.preventDefault();
      if (active >= 0) choose(matches[active]);
      else showAll(input.value.trim());
    }
  });
  input.addEventListener('blur', () => open(false));

  async function showAll(text) {
    if (!text) return;
    history.replaceState(null, '', `/find?q=${encodeURIComponent(text)}`);
    open(false);
    try {
      const answer = await call('ClassificationService/Search', { text, limit: 30 });
      const found = answer.matches || [];
      fill(results, h('h2', { id: 'results-title' }, `Occupations for “${text}”`),
        found.length ? h('ol', { class: 'results' }, found.map((m) => h('li', {},
          h('a', { href: `/occupation/${m.occupation.code}` }, `${m.occupation.code} ${m.occupation.label}`),
          h('span', { class: 'muted' }, ` — ${via(m)}${m.also && m.also.length ? `; also ${m.also.join(', ')}` : ''}`))))
          : h('p', {}, 'No occupation matches these words. Try fewer or shorter words, or an ISCO-08 code.'));
    } catch (e) {
      fill(results, errorBox(e));
    }
  }

  main.append(
    h('h1', {}, 'Find an occupation'),
    h('p', { class: 'lead' }, 'Type a job title in your own words. lmx matches the ISCO-08 titles and the 2,942 ESCO occupations with their other names, then shows where in the region the occupation is short, with vacancies and shortage lists.'),
    h('form', { role: 'search', onsubmit: (e) => { e.preventDefault(); showAll(input.value.trim()); } },
      h('label', { for: 'search' }, 'Job title or ISCO-08 code'),
      h('div', { class: 'suggest' }, input, list), status),
    results,
    h('h2', {}, 'Or start from a major group'),
    h('ul', { class: 'chips', id: 'major-groups' }));
  call('ClassificationService/Show', { id: 'ISCO08' }).then((isco) => {
    fill(main.querySelector('#major-groups'), ...(isco.top || []).map((c) =>
      h('li', {}, h('a', { href: `/occupation/${c.code}` }, `${c.code} ${c.label}`))));
  }).catch(() => {});
  if (q) await showAll(q);
  input.focus();
}
