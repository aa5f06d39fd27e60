// The web application's speed, in Debian's chromium driven by
// playwright-core (bench/web.sh runs it against a region it starts):
//
//   node bench/web.mjs load --url=http://127.0.0.1:8081 [--runs=5]
//     each page, opened fresh: navigation to DOMContentLoaded, to the
//     page's first paint of data, and to body[data-ready] (every answer
//     drawn and the page usable), median and worst of the runs;
//   node bench/web.mjs search --url=...
//     the time from each keystroke in the search box to the suggestions for
//     the text typed so far being on screen;
//   node bench/web.mjs publish --url=... --file=flows.csv
//     a CSV file published through the Publish page (file picker, Publish,
//     progress bar): the wall time to the version, and the renderer's peak
//     JS heap and RSS while the file goes up.
//
// Prints what it measured, then the figures as one JSON line.
import { createRequire } from 'node:module';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../client/web/package.json'));
const { chromium } = require('playwright-core');

const [mode, ...rest] = process.argv.slice(2);
const args = Object.fromEntries(rest.map((a) => a.match(/^--([a-z_]+)=(.*)$/s).slice(1)));
const base = args.url;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]; };
const round = (x) => Math.round(x * 10) / 10;

async function launch() {
  return chromium.launch({
    executablePath: process.env.LMX_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--enable-precise-memory-info'],
  });
}

const PAGES = ['/', '/occupation/2221', '/explore?dataset=flows&by=occupation:1,country',
  '/explore?dataset=vacancies&by=country,period', '/corridors', '/lists', '/publish', '/region'];

async function load(browser) {
  const runs = Number(args.runs || 5);
  const result = {};
  for (const where of PAGES) {
    const ready = [], content = [];
    for (let i = 0; i < runs; i++) {
      // A fresh context each time: nothing cached, as a first visit.
      const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
      const page = await context.newPage();
      await page.goto(new URL(where, base).href, { waitUntil: 'commit' });
      await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
      const t = await page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0];
        return { content: nav.domContentLoadedEventEnd, ready: performance.now() };
      });
      ready.push(t.ready);
      content.push(t.content);
      await context.close();
    }
    result[where] = { dom_ms: round(median(content)), ready_ms: round(median(ready)), worst_ready_ms: round(Math.max(...ready)) };
  }
  return { runs, pages: result, worst_ready_ms: Math.max(...Object.values(result).map((r) => r.worst_ready_ms)) };
}

async function search(browser) {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  await page.goto(new URL('/', base).href);
  await page.waitForSelector('body[data-ready="true"]');
  // Each keystroke's time to its suggestions, measured in the page: from
  // the input event to the list for that text being drawn (the next frame).
  await page.evaluate(() => {
    window.latencies = [];
    const input = document.getElementById('search');
    input.addEventListener('input', () => {
      const text = input.value.trim();
      const start = performance.now();
      if (!text) return;
      const done = () => {
        if (document.body.getAttribute('data-suggested') === text) {
          requestAnimationFrame(() => window.latencies.push(performance.now() - start));
          observer.disconnect();
        }
      };
      const observer = new MutationObserver(done);
      observer.observe(document.body, { attributes: true, attributeFilter: ['data-suggested'] });
    });
  });
  const words = ['nurse', 'welder', 'software developer', 'lorry driver', 'electrician', 'teacher', 'accountant', 'cook'];
  let typed = 0;
  for (const word of words) {
    await page.fill('#search', '');
    // A person types about five keys a second; faster than that, a later
    // keystroke cancels the earlier one's request, as it should.
    for (const key of word) {
      await page.keyboard.type(key);
      typed++;
      await page.waitForTimeout(200);
    }
  }
  await page.waitForTimeout(300);
  const latencies = await page.evaluate(() => window.latencies);
  return {
    keystrokes: typed, answered: latencies.length,
    median_ms: round(median(latencies)), p95_ms: round(quantile(latencies, 0.95)), worst_ms: round(Math.max(...latencies)),
  };
}

// The renderer processes' peak RSS (VmHWM), MB: the page's tab.
function rendererPeakMb() {
  let peak = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes('chromium') || !cmdline.includes('--type=renderer')) continue;
      const hwm = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+)/);
      if (hwm) peak = Math.max(peak, Number(hwm[1]) / 1024);
    } catch { /* the process ended */ }
  }
  return round(peak);
}

async function publish(browser) {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  await page.goto(new URL('/publish', base).href);
  await page.waitForSelector('body[data-ready="true"]');
  await page.evaluate(() => {
    window.heapPeak = 0;
    window.progressSeen = new Set();
    setInterval(() => { window.heapPeak = Math.max(window.heapPeak, performance.memory.usedJSHeapSize); }, 50);
    new MutationObserver(() => window.progressSeen.add(document.getElementById('progress').value))
      .observe(document.getElementById('progress'), { attributes: true });
  });
  const heapBefore = await page.evaluate(() => performance.memory.usedJSHeapSize);
  await page.setInputFiles('#file', args.file);
  await page.selectOption('#dataset', 'flows');
  const t0 = Date.now();
  await page.click('#publish');
  await page.waitForSelector('#report-headline[data-version], #report-headline.error, main .error', { timeout: 600000 });
  const seconds = (Date.now() - t0) / 1000;
  const headline = (await page.locator('#report-headline, main .error').first().textContent()).trim();
  const state = await page.evaluate(() => ({ heapPeak: window.heapPeak, steps: window.progressSeen.size }));
  return {
    seconds: Math.round(seconds * 1000) / 1000, headline,
    file_mb: round(statSync(args.file).size / 1e6),
    js_heap_before_mb: round(heapBefore / 1e6), js_heap_peak_mb: round(state.heapPeak / 1e6),
    renderer_peak_rss_mb: rendererPeakMb(), progress_updates: state.steps,
  };
}

const report = {
  load(r) {
    console.log(`page load, each page opened fresh (${r.runs} runs; median, worst):`);
    for (const [page, t] of Object.entries(r.pages)) {
      console.log(`  ${page.padEnd(48)} DOM ${t.dom_ms.toFixed(1).padStart(6)} ms  ready ${t.ready_ms.toFixed(1).padStart(6)} ms  worst ${t.worst_ready_ms.toFixed(1).padStart(6)} ms`);
    }
    console.log(`  -> the slowest page ready in ${r.worst_ready_ms.toFixed(0)} ms = ${(r.worst_ready_ms / 1000).toFixed(2)}x the 1 s limit`);
  },
  search(r) {
    console.log('search, keystroke to suggestions on screen:');
    console.log(`  ${r.answered} of ${r.keystrokes} keystrokes: median ${r.median_ms} ms, p95 ${r.p95_ms} ms, worst ${r.worst_ms} ms`);
    console.log(`  -> worst ${(r.worst_ms / 100).toFixed(2)}x the 100 ms limit`);
  },
  publish(r) {
    const rows = Number(args.rows), cli = Number(args.cli_seconds);
    console.log(`publish ${rows} flow rows (${r.file_mb} MB) through the Publish page, against lmx publish:`);
    console.log(`  lmx publish (gRPC)   ${cli.toFixed(3)} s = ${Math.round(rows / cli)} rows/s`);
    console.log(`  the Publish page     ${r.seconds.toFixed(3)} s = ${Math.round(rows / r.seconds)} rows/s: ${r.headline.slice(0, 70)}`);
    console.log(`  -> the page at ${(cli / r.seconds).toFixed(2)}x the speed of lmx publish; ${r.progress_updates} progress-bar updates`);
    console.log(`  browser: JS heap ${r.js_heap_before_mb} MB before, ${r.js_heap_peak_mb} MB at its peak; renderer peak RSS ${r.renderer_peak_rss_mb} MB; the file is ${r.file_mb} MB`);
  },
};

const browser = await launch();
try {
  const run = { load, search, publish }[mode];
  if (!run) throw new Error(`usage: web.mjs load|search|publish --url=...`);
  const result = await run(browser);
  report[mode](result);
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
