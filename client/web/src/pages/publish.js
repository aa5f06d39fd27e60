// Publish: a ministry's statistician signs in with a publisher token, drops
// a CSV file, checks it with a dry run, reads the report (every rejected
// row with its line, column and reason), publishes with a progress bar,
// and sees the version it was written as; then the release calendar and
// the member's own reporting completeness.
import { call, publish, session } from '../api.js';
import { describe } from '../app.js';
import { h, errorBox, formatTime, ago, loading, sortableTable, fill } from '../ui.js';

const DATASETS = [['shortages', 'Skill shortages'], ['vacancies', 'Job vacancies'], ['flows', 'Migrant-worker flows'], ['crosswalk', 'A national classification’s crosswalk']];
const PAGE = 100;
const DATASET_WORDS = { DATASET_SHORTAGE: 'shortages', DATASET_VACANCY: 'vacancies', DATASET_FLOW: 'flows', DATASET_CROSSWALK: 'crosswalk' };

// The report's errors: a page of PAGE rows at a time, filterable by
// column, so that 10,000 errors stay quick to read.
function errorTable(errors, omitted) {
  const box = h('div', { id: 'errors' });
  let page = 0, column = '';
  const columns = [...new Set(errors.map((e) => e.column))].sort();
  function draw() {
    const shown = column ? errors.filter((e) => e.column === column) : errors;
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(page, pages - 1);
    const slice = shown.slice(page * PAGE, (page + 1) * PAGE);
    fill(box, 
      h('div', { class: 'pager' },
        h('label', { for: 'error-column' }, 'Column'),
        h('select', { id: 'error-column', onchange: (e) => { column = e.target.value; page = 0; draw(); } },
          h('option', { value: '' }, `all (${errors.length})`),
          columns.map((c) => h('option', { value: c, selected: c === column }, `${c} (${errors.filter((e) => e.column === c).length})`))),
        h('button', { type: 'button', class: 'secondary', id: 'errors-previous', disabled: page === 0, onclick: () => { page--; draw(); } }, 'Previous'),
        h('span', { role: 'status' }, `rows ${shown.length ? page * PAGE + 1 : 0}–${page * PAGE + slice.length} of ${shown.length}`),
        h('button', { type: 'button', class: 'secondary', id: 'errors-next', disabled: page >= pages - 1, onclick: () => { page++; draw(); } }, 'Next')),
      h('div', { class: 'table-wrap' }, h('table', {}, h('caption', { class: 'sr-only' }, 'Rejected rows'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'num' }, 'Line'), h('th', { scope: 'col' }, 'Column'), h('th', { scope: 'col' }, 'Reason'))),
        h('tbody', {}, slice.map((e) => h('tr', { 'data-error-line': String(e.line) }, h('td', { class: 'num' }, String(e.line)), h('td', {}, e.column), h('td', {}, e.reason)))))),
      omitted ? h('p', { class: 'muted' }, `${omitted} more errors were counted but not listed (the node lists the first 10,000).`) : null);
  }
  draw();
  return box;
}

function report(answer, { dryRun, source }) {
  const errors = answer.errors || [];
  const rejected = Number(answer.rejected || 0);
  const written = answer.written;
  const heldBack = !!answer.rejectedBatch;
  let headline;
  if (rejected || answer.rejectedBatch) headline = h('div', { class: 'error', role: 'alert', id: 'report-headline' }, h('strong', {}, `${source}: ${rejected} rows rejected; `), dryRun ? 'nothing would be written.' : 'nothing was written.', ' Fix the rows below and try again.');
  else if (dryRun) headline = h('div', { class: 'ok', role: 'status', id: 'report-headline' }, h('strong', {}, 'The file is valid. '), `${answer.accepted || 0} rows would be written as ${answer.observations || 0} observations. Nothing was written yet.`);
  else if (answer.releaseId) headline = h('div', { class: 'ok', role: 'status', id: 'report-headline' }, h('strong', {}, 'Stored under embargo. '), `Release ${answer.releaseId} is committed at ${formatTime(answer.releaseAt)}; until then nobody sees it.`);
  else headline = h('div', { class: 'ok', role: 'status', id: 'report-headline', 'data-version': String(answer.version || '') }, h('strong', {}, `Published as version ${answer.version}`), ` at ${formatTime(answer.publishedAt)}: ${answer.accepted || 0} rows, ${answer.observations || 0} observations.`);
  return h('section', { 'aria-labelledby': 'report-title', id: 'report', 'data-written': String(!!written) },
    h('h2', { id: 'report-title' }, dryRun ? 'Dry-run report' : 'Report'), headline,
    // As `lmx publish` counts them: a file with a rejected row writes
    // nothing, so none of its rows is accepted; its valid rows are held back.
    h('dl', { class: 'row' }, h('div', {}, h('dt', {}, 'Accepted'), h('dd', { id: 'accepted' }, heldBack ? '0' : String(answer.accepted || 0))),
      h('div', {}, h('dt', {}, 'Rejected'), h('dd', { id: 'rejected' }, String(rejected)))),
    heldBack && Number(answer.accepted || 0) > 0 ? h('p', { id: 'held-back' }, `${answer.accepted} valid ${Number(answer.accepted) === 1 ? 'row' : 'rows'} held back because of the rejected rows.`) : null,
    (answer.notices || []).length ? h('ul', { class: 'notice' }, answer.notices.map((n) => h('li', {}, n))) : null,
    errors.length ? errorTable(errors, Number(answer.errorsOmitted || 0)) : null);
}

export async function render(main) {
  main.append(h('h1', {}, 'Publish'),
    h('p', { class: 'lead' }, 'Send a CSV file to your node. It is checked row by row with the same rules as ', h('code', {}, 'lmx publish'), ', and written all or nothing: a file with a bad row writes nothing.'));
  if (!session.token) {
    main.append(h('div', { class: 'notice' }, h('strong', {}, 'Sign in to publish. '), 'Paste your publisher token in the box at the top of the page. It is kept for this browser session only.'));
  }
  // Nothing is awaited before the page is built: a user who leaves while
  // the node answers must not get this form appended to the next page.
  const ownAnswer = describe().catch(() => null);
  let file = null;
  const fileInput = h('input', { type: 'file', id: 'file', accept: '.csv,text/csv', onchange: (e) => choose(e.target.files[0]) });
  const fileName = h('p', { id: 'file-name', class: 'muted' }, 'No file chosen.');
  const drop = h('div', { class: 'drop', id: 'drop', tabindex: '-1' },
    h('p', {}, 'Drop a CSV file here, or ', h('label', { for: 'file', class: 'button secondary' }, 'choose a file'), '.'), fileInput, fileName);
  fileInput.classList.add('sr-only');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); if (e.dataTransfer.files.length) choose(e.dataTransfer.files[0]); });
  function choose(f) {
    file = f || null;
    fileName.textContent = file ? `${file.name}, ${file.size.toLocaleString('en')} bytes` : 'No file chosen.';
    if (file) {
      const guess = DATASETS.find(([d]) => file.name.toLowerCase().includes(d.replace(/s$/, '')));
      if (guess) datasetSelect.value = guess[0];
    }
    fill(result);
  }
  const datasetSelect = h('select', { id: 'dataset' }, DATASETS.map(([v, t]) => h('option', { value: v }, t)));
  const classification = h('input', { type: 'text', id: 'classification', size: 12, placeholder: 'SOC2010', list: 'classifications' });
  const classifications = h('datalist', { id: 'classifications' });
  const releaseAt = h('input', { type: 'datetime-local', id: 'release-at' });
  const progress = h('progress', { id: 'progress', max: 100, value: 0, hidden: true, 'aria-label': 'Upload progress' });
  const progressText = h('p', { class: 'muted', id: 'progress-text', 'aria-live': 'polite' });
  const result = h('div', { id: 'result' });
  const checkButton = h('button', { type: 'button', id: 'dry-run', class: 'secondary', onclick: () => send(true) }, 'Check (dry run)');
  const publishButton = h('button', { type: 'button', id: 'publish', onclick: () => send(false) }, 'Publish');
  let upload = null;
  const stopButton = h('button', { type: 'button', class: 'secondary', hidden: true, onclick: () => upload && upload.abort() }, 'Stop');

  main.append(h('form', { onsubmit: (e) => e.preventDefault(), 'aria-label': 'Publish a file' },
    drop,
    h('div', { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: 'dataset' }, 'Dataset'), datasetSelect),
      h('div', { class: 'field' }, h('label', { for: 'classification' }, 'National classification (optional)'), classification, classifications),
      h('div', { class: 'field' }, h('label', { for: 'release-at' }, 'Release at (optional, your local time)'), releaseAt)),
    h('div', { class: 'row' }, checkButton, publishButton, stopButton), progress, progressText), result);

  async function send(dryRun) {
    if (!file) { fill(result, h('div', { class: 'error', role: 'alert' }, 'Choose a file first.')); return; }
    const parameters = { dataset: datasetSelect.value, source: file.name, dry_run: dryRun ? 'true' : '' };
    if (classification.value.trim()) parameters[datasetSelect.value === 'crosswalk' ? 'classification' : 'classification'] = classification.value.trim();
    if (releaseAt.value && !dryRun) parameters.release_at = new Date(releaseAt.value).toISOString().replace(/\.\d+Z$/, 'Z');
    checkButton.disabled = publishButton.disabled = true;
    stopButton.hidden = false;
    progress.hidden = false;
    progress.value = 0;
    const started = performance.now();
    progressText.textContent = `Sending ${file.name}…`;
    fill(result);
    upload = publish(file, parameters, (sent, total) => {
      progress.value = total ? Math.round((100 * sent) / total) : 0;
      const seconds = (performance.now() - started) / 1000;
      // Once all is sent, stopping can no longer keep the node from writing.
      if (sent >= total) stopButton.hidden = true;
      progressText.textContent = `${Math.round((100 * sent) / (total || 1))}% sent (${(sent / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB, ${seconds.toFixed(0)} s); ${sent >= total ? 'the node is checking and writing…' : ''}`;
    });
    try {
      const answer = await upload.done;
      fill(result, report(answer, { dryRun, source: file.name }));
      progressText.textContent = `Done in ${((performance.now() - started) / 1000).toFixed(1)} s.`;
      if (!dryRun) drawCalendar();
    } catch (e) {
      const refused = e.detail && e.detail('lmx.v1.PublishResponse');
      fill(result, refused ? report(refused, { dryRun, source: file.name }) : errorBox(e));
      progressText.textContent = '';
    } finally {
      checkButton.disabled = publishButton.disabled = false;
      stopButton.hidden = true;
      upload = null;
    }
  }

  const calendarBox = h('section', { 'aria-labelledby': 'calendar-title' });
  const completenessBox = h('section', { 'aria-labelledby': 'completeness-title' });
  main.append(calendarBox, completenessBox);

  async function drawCalendar() {
    const title = h('h2', { id: 'calendar-title' }, 'Release calendar');
    fill(calendarBox, title, loading());
    try {
      const answer = await call('AdminService/Calendar');
      const releases = answer.releases || [];
      fill(calendarBox, title, releases.length ? sortableTable([
        { key: 'id', label: 'Release' }, { key: 'dataset', label: 'Dataset', cell: (r) => DATASET_WORDS[r.dataset] || r.dataset }, { key: 'source', label: 'File' },
        { key: 'releaseAt', label: 'Release at', cell: (r) => formatTime(r.releaseAt) },
        { key: 'rows', label: 'Rows', num: true, value: (r) => Number(r.rows || 0) }, { key: 'periods', label: 'Periods', cell: (r) => (r.periods || []).join(', ') },
        { key: 'error', label: 'State', cell: (r) => r.error || 'waiting' },
        { key: 'cancel', label: '', value: () => 0, cell: (r) => h('button', { type: 'button', class: 'secondary', 'aria-label': `Cancel release ${r.id}`, onclick: async () => {
          if (!confirm(`Cancel release ${r.id} (${r.source})? It will never be published.`)) return;
          try { await call('AdminService/CancelRelease', { id: r.id }); drawCalendar(); } catch (e) { calendarBox.append(errorBox(e)); }
        } }, 'Cancel') },
      ], releases, { caption: 'Releases under embargo', attrs: (r) => ({ 'data-release': r.id }) }) : h('p', {}, 'No release is waiting.'));
    } catch (e) {
      fill(calendarBox, title, errorBox(e));
    }
  }

  async function drawCompleteness() {
    const own = await ownAnswer;
    const title = h('h2', { id: 'completeness-title' }, `${own ? own.country : 'This member'}’s reporting`);
    fill(completenessBox, title, loading());
    try {
      const answer = await call('QueryService/Completeness', {});
      const rows = (answer.rows || []).filter((r) => !own || r.country === own.country);
      fill(completenessBox, title, rows.length ? sortableTable([
        { key: 'dataset', label: 'Dataset' }, { key: 'periods', label: 'Periods reported', cell: (r) => (r.periods || []).map((p) => p.period).join(', ') },
        { key: 'version', label: 'Latest version', num: true, value: (r) => Number(r.version || 0) },
        { key: 'publishedAt', label: 'Published', cell: (r) => `${formatTime(r.publishedAt)} (${ago(r.publishedAt)})` },
      ], rows, { caption: 'Own completeness' }) : h('p', {}, 'Nothing published yet.'));
    } catch (e) {
      fill(completenessBox, title, errorBox(e));
    }
  }
  call('ClassificationService/List').then((list) => {
    fill(classifications, ...(list.classifications || []).filter((c) => c.kind === 'NATIONAL').map((c) => h('option', { value: c.id })));
  }).catch(() => {});
  await Promise.all([drawCalendar(), drawCompleteness()]);
  // Leaving the page stops an upload that has not all gone yet (it then
  // writes nothing); one that has is left to finish.
  return () => { if (upload && !upload.sent) upload.abort(); };
}
