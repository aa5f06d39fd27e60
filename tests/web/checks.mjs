// Drives Debian's chromium with playwright-core through lmx's web pages, as
// the people they are for would use them, and prints what the pages show as
// JSON on stdout. The GoogleTest side (tests/integration/web_integration_test.cc)
// starts the region, builds the data and compares every figure with the CLI's.
//
//   node tests/web/checks.mjs find --url=http://127.0.0.1:8080 --token=lmx_...
//
// Every check fails (exit 1, the reason on stderr) when a page throws, logs
// an error, or sends a request to any host but the node.
import { createRequire } from 'node:module';
import { readFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../client/web/package.json'));
const { chromium } = require('playwright-core');

const [check, ...rest] = process.argv.slice(2);
const args = Object.fromEntries(rest.map((a) => {
  const m = a.match(/^--([a-z_]+)=(.*)$/s);
  if (!m) throw new Error(`bad argument ${a}`);
  return [m[1], m[2]];
}));
const base = args.url;
const TIMEOUT = 20000;

const problems = [];
let browser;

async function open({ token = args.token, width = 1366, height = 768 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
  context.setDefaultTimeout(TIMEOUT);
  if (token) {
    await context.addInitScript((t) => { sessionStorage.setItem('lmx.token', t); }, token);
  }
  const page = await context.newPage();
  const origin = new URL(base).origin;
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith('blob:') && !url.startsWith('data:')) {
      problems.push(`a request left for another host: ${url}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`the page threw: ${error.message}`));
  page.on('console', (message) => {
    // A refusal the page explains is an HTTP error the browser also logs.
    if (message.type() === 'error' && !/status of (401|403|404|400|412|429|503)/.test(message.text())) {
      problems.push(`console error: ${message.text()}`);
    }
  });
  return page;
}

async function load(page, where) {
  await page.goto(new URL(where, base).href);
  await ready(page);
}

async function ready(page) {
  await page.waitForSelector('body[data-ready="true"]');
  // No "Loading…" left. (No waitForFunction here or below: it evaluates
  // strings, which the node's Content-Security-Policy rightly forbids.)
  await page.waitForSelector('main [role=status].muted', { state: 'detached' });
}

// The text of each cell of each row of the first table matching `selector`.
async function tableRows(page, selector) {
  return page.$$eval(`${selector} tbody tr`, (rows) => rows.map((tr) => [...tr.cells].map((td) => td.textContent.trim())));
}

async function tableHead(page, selector) {
  return page.$$eval(`${selector} thead th`, (ths) => ths.map((th) => th.textContent.trim()));
}

// Every page, with data in it.
const PAGES = ['/', '/occupation/2221', '/explore?dataset=flows&by=occupation:1,country', '/corridors', '/lists', '/publish', '/region'];

const checks = {
  // An employer types "nurse", picks nursing professionals from the
  // suggestions, and reads each member's status.
  async find() {
    const page = await open();
    await load(page, '/');
    await page.locator('#search').pressSequentially(args.text || 'nurse', { delay: 30 });
    const option = page.locator(`#suggestions li[data-code="${args.code || '2221'}"]`);
    await option.waitFor();
    const suggestion = (await option.textContent()).trim();
    await option.dispatchEvent('mousedown');
    await page.waitForURL(`**/occupation/${args.code || '2221'}`);
    await ready(page);
    await page.waitForSelector('#status-title ~ div table, #status-title ~ div p');
    const status = await page.$$eval('#status-title ~ div table tbody tr', (rows) => rows.map((tr) => ({
      country: tr.dataset.country,
      cells: [...tr.cells].map((td) => td.textContent.trim()),
    })));
    const heading = (await page.locator('h1').textContent()).trim();
    const freshness = await page.$$eval('[data-freshness]', (ps) => ps.map((p) => p.textContent.trim()));
    const listed = await page.$$eval('tr[data-list-country]', (rows) => rows.map((r) => `${r.dataset.listCountry} ${r.dataset.listed}`));
    const charts = await page.$$eval('figure.chart svg', (svgs) => svgs.length);
    const broader = await page.$$eval('main a[href^="/occupation/"]', (as) => as.map((a) => a.getAttribute('href')));
    return { suggestion, heading, status, freshness, listed, charts, links: broader };
  },

  // An analyst groups flows by ISCO major group and country; the table, the
  // link of the view opened fresh, and the CSV download.
  async explore() {
    const page = await open();
    await load(page, '/explore');
    await page.selectOption('#dataset', 'flows');
    // Untick all, then tick occupation, then country: the rows go by
    // major group, then country.
    for (const box of await page.$$('input[name=by]')) await box.uncheck();
    await page.check('#by-occupation');
    await page.check('#by-country');
    await page.selectOption('#level-occupation', '1');
    await page.click('#explore-form button[type=submit]');
    await page.waitForSelector('#result [data-rows]');
    const head = await tableHead(page, '#result');
    const rows = await tableRows(page, '#result');
    const link = page.url();
    const command = (await page.locator('#command').textContent()).trim();
    const sdmx = (await page.locator('#sdmx-url').textContent()).trim();
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const csv = readFileSync(await download.path(), 'utf8');

    const fresh = await open();
    await load(fresh, link);
    await fresh.waitForSelector('#result [data-rows]');
    const linkHead = await tableHead(fresh, '#result');
    const linkRows = await tableRows(fresh, '#result');
    await fresh.click('.tabs button:nth-child(2)');
    const chart = await fresh.$$eval('#result figure.chart svg', (s) => s.length);
    // Then only women's outflows: a filter on two more dimensions.
    await page.fill('#f-sex', 'F');
    await page.fill('#f-direction', 'OUTFLOW');
    await page.click('#explore-form button[type=submit]');
    await page.locator('#command', { hasText: '--sex=F' }).waitFor();
    await page.waitForSelector('#result [data-rows]');
    const filtered = { rows: await tableRows(page, '#result'), command: (await page.locator('#command').textContent()).trim() };
    return { head, rows, link, command, sdmx, csv, linkHead, linkRows, chart, filename: download.suggestedFilename(), filtered };
  },

  // Opens `--path` and returns the rows of the table under `--selector`.
  async table() {
    const page = await open();
    await load(page, args.path);
    await page.waitForSelector(`${args.selector} tbody tr`);
    return { head: await tableHead(page, args.selector), rows: await tableRows(page, args.selector) };
  },

  // A publisher signs in, drops a file (`--bad`), reads the dry run's
  // report, then drops the fixed file (`--good`) and publishes it.
  async publish() {
    const page = await open({ token: '' });
    await load(page, '/publish');
    await page.fill('#token', args.token);
    await page.click('#session button[type=submit]');
    await ready(page);
    const signedIn = (await page.locator('#session').textContent()).includes('Signed in');
    // The token is in this tab's session only: no cookie, nothing in
    // localStorage, and a new tab starts signed out.
    const kept = {
      localStorage: await page.evaluate(() => localStorage.length),
      cookies: (await page.context().cookies()).length,
    };
    const other = await page.context().newPage();
    await load(other, '/publish');
    kept.otherTabSignedIn = (await other.locator('#session').textContent()).includes('Signed in');
    await other.close();
    const drop = async (file) => {
      const name = path.basename(file);
      const text = readFileSync(file, 'utf8');
      const transfer = await page.evaluateHandle(([n, t]) => {
        const dt = new DataTransfer();
        dt.items.add(new File([t], n, { type: 'text/csv' }));
        return dt;
      }, [name, text]);
      await page.dispatchEvent('#drop', 'dragover', { dataTransfer: transfer });
      await page.dispatchEvent('#drop', 'drop', { dataTransfer: transfer });
      await page.locator('#file-name', { hasText: name }).waitFor();
    };
    await drop(args.bad);
    if (args.dataset) await page.selectOption('#dataset', args.dataset);
    await page.click('#dry-run');
    await page.waitForSelector('#report');
    const dryRun = {
      headline: (await page.locator('#report-headline').textContent()).trim(),
      accepted: (await page.locator('#accepted').textContent()).trim(),
      rejected: (await page.locator('#rejected').textContent()).trim(),
      written: await page.locator('#report').getAttribute('data-written'),
      errors: await tableRows(page, '#errors'),
    };
    await drop(args.good);
    if (args.dataset) await page.selectOption('#dataset', args.dataset);
    await page.click('#publish');
    await page.waitForSelector('#report-headline[data-version]');
    const published = {
      headline: (await page.locator('#report-headline').textContent()).trim(),
      version: await page.locator('#report-headline').getAttribute('data-version'),
      accepted: (await page.locator('#accepted').textContent()).trim(),
      progress: await page.locator('#progress').getAttribute('value'),
    };
    // A release under embargo, an hour from now: it waits on the calendar
    // until the publisher cancels it.
    await drop(args.good);
    if (args.dataset) await page.selectOption('#dataset', args.dataset);
    const later = new Date(Date.now() + 3600e3 - new Date().getTimezoneOffset() * 60e3).toISOString().slice(0, 16);
    await page.fill('#release-at', later);
    await page.click('#publish');
    await page.locator('#report-headline', { hasText: 'Stored under embargo' }).waitFor();
    const embargo = (await page.locator('#report-headline').textContent()).trim();
    await page.waitForSelector('tr[data-release]');
    const calendar = await tableRows(page, 'section[aria-labelledby=calendar-title]');
    page.once('dialog', (dialog) => dialog.accept());
    await page.click('tr[data-release] button');
    await page.waitForSelector('tr[data-release]', { state: 'detached' });
    const afterCancel = (await page.locator('section[aria-labelledby=calendar-title]').textContent()).trim();
    return { signedIn, kept, dryRun, published, embargo, calendar, afterCancel };
  },

  // What the Shortage lists and Region pages show: `--country`'s list with
  // its evidence, the partnership candidates, the members and the
  // completeness matrix.
  async views() {
    const page = await open();
    await load(page, `/lists?country=${args.country}`);
    await page.waitForSelector('tr[data-list]');
    await page.waitForSelector('tr[data-match]');
    const list = await page.$$eval('tr[data-list]', (rows) => rows.map((tr) => ({
      cells: [...tr.cells].slice(0, 4).map((td) => td.textContent.trim()),
      evidence: [...tr.querySelectorAll('ul.evidence li')].map((li) => li.textContent.trim()),
    })));
    const match = await page.$$eval('tr[data-match]', (rows) => rows.map((tr) => [...tr.cells].slice(0, 7).map((td) => td.textContent.trim())));
    await load(page, '/region');
    await page.waitForSelector('tr[data-origin]');
    const origins = await page.$$eval('tr[data-origin]', (rows) => rows.map((tr) => [...tr.cells].map((td) => td.textContent.trim())));
    const completeness = await page.$$eval('td[data-cell]', (tds) => Object.fromEntries(tds.map((td) => [td.dataset.cell, td.textContent.trim()])));
    return { list, match, origins, completeness };
  },

  // A reader asks for flows on every page that shows them.
  async refused() {
    const page = await open();
    const answers = {};
    for (const where of ['/explore?dataset=flows&by=country', '/corridors']) {
      await load(page, where);
      const box = page.locator('main .error').first();
      await box.waitFor();
      answers[where] = (await box.textContent()).trim();
    }
    return { answers };
  },

  // The corridors the map draws, with their counts, and the mirror table of
  // the first one once chosen.
  async corridors() {
    const page = await open();
    await load(page, `/corridors${args.period ? `?period=${args.period}` : ''}`);
    await page.waitForSelector('#corridor-map');
    const drawn = await page.$$eval('#corridor-map [data-corridor]', (els) => els.map((e) => {
      const box = e.getBBox();
      return { id: e.dataset.corridor, count: Number(e.dataset.count), drawn: box.width + box.height > 0 };
    }));
    const land = await page.$$eval('#corridor-map path.land', (ps) => ps.length);
    let mirror = [];
    // A corridor between two members, whose both ends report it.
    const members = await page.$$eval('#corridor-map path.land.member', (ps) => ps.map((p) => p.dataset.country));
    const chosen = drawn.find((c) => c.id.split('-').every((m) => members.includes(m))) || drawn[0];
    if (chosen) {
      // Lines cross where corridors share a country: choose one with the
      // keyboard, as someone who does not use a mouse would.
      await page.focus(`#corridor-map [data-corridor="${chosen.id}"]`);
      await page.keyboard.press('Enter');
      await page.waitForSelector('#mirror table tbody tr, #mirror p:not([role=status])');
      mirror = await tableRows(page, '#mirror');
    }
    return { drawn, land, mirror, chosen: chosen ? chosen.id : '' };
  },

  // axe-core's WCAG 2.1 A and AA rules (labels, names, contrast, landmarks,
  // ARIA) on every page, and the keyboard: Tab reaches the search box and
  // the navigation, and a suggestion is chosen with the arrow keys.
  async accessibility() {
    const axe = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    const page = await open();
    const violations = {};
    for (const where of PAGES) {
      await load(page, where);
      await page.evaluate(axe);  // through the debugger, not the page: its CSP allows no script but its own
      const found = await page.evaluate(async () => {
        const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
        return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
      });
      if (found.length) violations[where] = found;
    }
    await load(page, '/');
    const reached = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      reached.push(await page.evaluate(() => document.activeElement.id || document.activeElement.textContent.trim().slice(0, 30)));
    }
    await page.focus('#search');
    await page.keyboard.type('welder');
    await page.waitForSelector('#suggestions li[data-code]');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForURL('**/occupation/*');
    await ready(page);
    const chosen = (await page.locator('h1').textContent()).trim();
    return { violations, reached, chosen };
  },

  // Every page at a phone's width: nothing wider than the screen.
  async narrow() {
    const page = await open({ width: 375, height: 740 });
    const widths = {};
    for (const where of PAGES) {
      await load(page, where);
      widths[where] = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: window.innerWidth }));
    }
    return { widths };
  },

  // A screenshot of each page into `--out`, at a laptop's size and one at a
  // phone's.
  async screenshots() {
    mkdirSync(args.out, { recursive: true });
    const shots = [
      ['web-find', '/', async (p) => { await p.locator('#search').pressSequentially('nurse', { delay: 20 }); await p.waitForSelector('#suggestions li'); }],
      ['web-occupation', '/occupation/2221'],
      ['web-explore', '/explore?dataset=flows&by=occupation:1,country&show=chart'],
      ['web-explore-table', '/explore?dataset=vacancies&by=country,period&from=2025-01&to=2025-06'],
      ['web-corridors', '/corridors'],
      ['web-lists', '/lists'],
      ['web-publish', '/publish', async (p) => {
        if (!args.bad) return;
        const text = readFileSync(args.bad, 'utf8');
        const transfer = await p.evaluateHandle(([t]) => { const dt = new DataTransfer(); dt.items.add(new File([t], 'flows.csv', { type: 'text/csv' })); return dt; }, [text]);
        await p.dispatchEvent('#drop', 'drop', { dataTransfer: transfer });
        await p.click('#dry-run');
        await p.waitForSelector('#report');
      }],
      ['web-region', '/region'],
    ];
    const written = [];
    for (const [name, where, act] of shots) {
      const page = await open({ token: name === 'web-publish' ? args.publisher || args.token : args.token });
      await load(page, where);
      if (act) await act(page);
      await page.waitForTimeout(100);  // the last paint of a chart's transition
      const file = path.join(args.out, `${name}.png`);
      // The page from its top, as far down as a tall screen shows it.
      const tall = await page.evaluate(() => document.documentElement.scrollHeight);
      await page.screenshot({ path: file, fullPage: true, clip: { x: 0, y: 0, width: 1366, height: Math.min(tall, 1300) } });
      written.push(file);
      await page.context().close();
    }
    const phone = await open({ width: 375, height: 740 });
    await load(phone, '/occupation/2221');
    await phone.screenshot({ path: path.join(args.out, 'web-occupation-phone.png') });
    written.push(path.join(args.out, 'web-occupation-phone.png'));
    return { written };
  },
};

async function main() {
  if (!checks[check]) throw new Error(`no check ${check}; one of ${Object.keys(checks).join(', ')}`);
  browser = await chromium.launch({
    executablePath: process.env.LMX_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const result = await checks[check]();
    if (problems.length) throw new Error(problems.join('\n'));
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  process.stderr.write(`${check}: ${error.stack || error.message}\n`);
  process.exit(1);
});
