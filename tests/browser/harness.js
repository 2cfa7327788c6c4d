// harness.js: what the browser tests share: a real muster on a random port
// with a register made for the test, Debian's Chromium driven headless by
// playwright-core, and small helpers for the API and the pages.
//
// MUSTER_BIN names the binary (run.sh passes the one CTest built, normal or
// sanitizer). SCREENSHOT_DIR, when set, is where the tests save their
// screenshots (docs/screenshots/ is made that way); otherwise they go to a
// temporary directory and are thrown away.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const BIN = process.env.MUSTER_BIN;

// Sanitizer builds: the browser test is not a leak test (the e2e suite is).
const childEnv = {
  ...process.env,
  ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=0',
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
};

// Parse the token lines of `muster demo`: "  <label>  mu_...".
function parseTokens(out) {
  const tokens = {};
  for (const line of out.split('\n')) {
    const m = /^\s{2}(\S.*?)\s+(mu_\S+)\s*$/.exec(line);
    if (m) tokens[m[1]] = m[2];
  }
  return tokens;
}

// A synthetic register (muster demo --no-serve) served by `muster serve` on
// a free port. Returns { base, tokens, dir, log(), stop() }.
export async function startMuster() {
  if (!BIN) throw new Error('MUSTER_BIN must name the muster binary');
  const dir = mkdtempSync(join(tmpdir(), 'muster-browser-'));
  const db = join(dir, 'register.db');
  const out = execFileSync(BIN, ['demo', '--db', db, '--persons', '200', '--no-serve'], {
    env: childEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000,
  });
  const tokens = parseTokens(out);
  const proc = spawn(BIN, ['serve', '--db', db, '--test-clock', '--listen', '127.0.0.1:0'], {
    env: childEnv, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`muster did not start:\n${stderr}`)), 30000);
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (chunk) => {
      stderr += chunk;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.on('exit', (code) => reject(new Error(`muster exited (${code}):\n${stderr}`)));
  });
  return {
    base: `http://127.0.0.1:${port}`,
    tokens,
    dir,
    log: () => stderr,
    async stop() {
      if (proc.exitCode === null) {
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([done, new Promise((r) => setTimeout(r, 10000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Debian's Chromium, headless, in a fresh temporary profile per launch.
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
      '--disable-dev-shm-usage'],
  });
}

// Call the API as a client would; returns { status, body, headers }.
// more: further request headers (Muster-Test-Now: the server runs with
// --test-clock).
export async function api(base, token, method, path, body, more = {}) {
  const headers = { Accept: 'application/json', ...more };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(base + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { json = null; }
  return { status: res.status, body: json, headers: res.headers };
}

// Where screenshots go.
export function screenshotDir() {
  const dir = process.env.SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), 'muster-shots-'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

// A new isolated context and page; console errors and page errors are
// pushed onto errors (unless errors is null).
export async function openPage(browser, errors, options = {}) {
  const context = await browser.newContext({ locale: 'en-GB', ...options });
  const page = await context.newPage();
  if (errors) {
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  }
  return { context, page };
}

// Does the page scroll sideways?
export function horizontalOverflow(page) {
  return page.evaluate(() => {
    const d = document.documentElement;
    return { scroll: d.scrollWidth, client: d.clientWidth };
  });
}

// Press Tab until the focused element matches selector (at most max times).
export async function tabTo(page, selector, max = 60) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}
