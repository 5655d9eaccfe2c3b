#!/usr/bin/env node
// A real browser's reading of one page, for tests: Debian's chromium driven by npm
// playwright-core, with npm axe-core injected for the accessibility check. Offline: background
// networking, component updates, sync and QUIC are off, and Playwright gives the browser a fresh
// temporary --user-data-dir (it refuses the flag in `args`) that it deletes on close.
//
// Usage: NODE_PATH=PEERS/npm/node_modules node check.mjs CHROMIUM URL SCREENSHOT
//
// Loads URL (waitUntil 'load'), saves a full-page PNG screenshot to SCREENSHOT, runs axe, then
// loads URL again with JavaScript disabled, and prints one JSON object on stdout:
//   url, final_url (after redirects), status (the document's HTTP status, or null), title,
//   console_errors    console messages of type error, and uncaught exceptions (not the 404 of
//                     Chromium's own /favicon.ico request, which races with the report)
//   failed_requests   "METHOD URL: reason" of requests that failed or answered >= 400
//   dialogs           "TYPE: message" of every alert/confirm/prompt/beforeunload (all dismissed)
//   links             every a[href], resolved to an absolute URL (a javascript: one stays as is)
//   codes             the trimmed textContent of every <code>
//   axe               axe-core violations of impact serious or critical: id, impact, help,
//                     nodes (how many elements), targets (their selectors, the first ten)
//   codes_without_js  `codes` of the load with JavaScript disabled
// On failure it writes one line on stderr and exits non-zero. Every wait is bounded (30 s), and
// the whole run by a watchdog (120 s).

import { createRequire } from 'node:module';

const TIMEOUT_MS = 30_000;
const WATCHDOG_MS = 120_000;
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// CommonJS resolution honours NODE_PATH (ESM imports do not).
const require = createRequire(import.meta.url);

function within(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function codes(page) {
  const texts = await page.locator('code').allTextContents();
  return texts.map((t) => t.trim());
}

async function main(argv) {
  if (argv.length !== 3) throw new Error('usage: check.mjs CHROMIUM URL SCREENSHOT');
  const [executablePath, url, screenshot] = argv;
  const { chromium } = require('playwright-core');
  const axePath = require.resolve('axe-core/axe.min.js');

  const browser = await chromium.launch({ executablePath, headless: true, args: ARGS, timeout: TIMEOUT_MS });
  try {
    const report = {
      url,
      final_url: '',
      status: null,
      title: '',
      console_errors: [],
      failed_requests: [],
      dialogs: [],
      links: [],
      codes: [],
      axe: [],
      codes_without_js: [],
    };

    // bypassCSP: a page's own Content-Security-Policy must not keep axe out.
    const context = await browser.newContext({ bypassCSP: true });
    context.setDefaultTimeout(TIMEOUT_MS);
    context.setDefaultNavigationTimeout(TIMEOUT_MS);
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const at = message.location();
      // Chromium's own request for /favicon.ico goes out after 'load', at its own pace: whether
      // its 404 is logged before the report is taken is a race, so it is never reported.
      if (at && at.url && new URL(at.url, url).pathname === '/favicon.ico') return;
      const where = at && at.url ? ` (${at.url}:${at.lineNumber})` : '';
      report.console_errors.push(`${message.text()}${where}`);
    });
    page.on('pageerror', (error) => report.console_errors.push(`uncaught ${error.name}: ${error.message}`));
    page.on('dialog', (dialog) => {
      report.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      dialog.dismiss().catch(() => {});
    });
    page.on('requestfailed', (request) => {
      const failure = request.failure();
      report.failed_requests.push(`${request.method()} ${request.url()}: ${failure ? failure.errorText : 'failed'}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400) {
        report.failed_requests.push(`${response.request().method()} ${response.url()}: ${response.status()}`);
      }
    });

    const response = await page.goto(url, { waitUntil: 'load', timeout: TIMEOUT_MS });
    report.status = response ? response.status() : null;
    report.final_url = page.url();
    report.title = await page.title();
    report.links = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.href));
    report.codes = await codes(page);
    await page.screenshot({ path: screenshot, fullPage: true, timeout: TIMEOUT_MS });
    await page.addScriptTag({ path: axePath });
    const results = await within(
      page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] })),
      'axe.run()',
    );
    report.axe = results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.length,
        targets: v.nodes.slice(0, 10).map((n) => n.target.join(' ')),
      }));
    await context.close();

    const noJs = await browser.newContext({ javaScriptEnabled: false });
    noJs.setDefaultTimeout(TIMEOUT_MS);
    noJs.setDefaultNavigationTimeout(TIMEOUT_MS);
    const plain = await noJs.newPage();
    await plain.goto(url, { waitUntil: 'load', timeout: TIMEOUT_MS });
    report.codes_without_js = await codes(plain);
    await noJs.close();

    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await within(browser.close(), 'closing chromium');
  }
}

const watchdog = setTimeout(() => {
  console.error(`check.mjs: the check of the page did not finish within ${WATCHDOG_MS / 1000} s`);
  process.exit(3);
}, WATCHDOG_MS);
watchdog.unref();

main(process.argv.slice(2)).then(
  () => clearTimeout(watchdog),
  (error) => {
    clearTimeout(watchdog);
    // One line: the caller shows the last lines of stderr.
    const text = String(error && error.message ? error.message : error).replace(/\x1b\[[0-9;]*m/g, '');
    const lines = text.split('\n').map((l) => l.trim());
    const message = lines.filter((l) => l && !l.startsWith('=====')).join(' / ').slice(0, 800);
    console.error(`check.mjs: ${message}`);
    process.exitCode = 1;
  },
);
