// web.test.js: the citizen portal and the clerk console in real Chromium,
// against the real muster binary with a register made for the test.
//
// One server and one browser serve every test (they run in order); each
// test opens its own isolated browser context. Console errors of the pages
// under test are collected and must stay empty; the tests that provoke a
// 401, 403 or another refusal on purpose, or cut the network, use contexts
// whose console errors are not collected (the browser logs every failed
// request as a console error), only their uncaught exceptions.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  startMuster, launchBrowser, api, openPage, horizontalOverflow, tabTo, screenshotDir,
} from './harness.js';

let srv;
let browser;
let shots;
const errors = [];
const people = {}; // national ids picked for the tests

const tok = (label) => {
  const v = srv.tokens[label];
  assert.ok(v, `muster demo printed no token for "${label}"`);
  return v;
};

const isoIn = (days, hour) => {
  const d = new Date(Date.now() + days * 86400000);
  d.setUTCHours(hour, 0, 0, 0);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
};

// Persons of the register with no summons at all (fresh for a clerk flow).
async function personsWithoutSummons(n) {
  const clerk = tok('clerk (national)');
  const out = [];
  for (let i = 6; i < 200 && out.length < n; i++) {
    const id = `RU-${String(i).padStart(10, '0')}`;
    const r = await api(srv.base, clerk, 'GET', `/v1/persons/${id}/status`);
    if (r.status === 200 && r.body.summonses.length === 0) out.push(id);
  }
  assert.equal(out.length, n, 'the demo register has too few persons without summonses');
  return out;
}

// A campaign drafted by the admin, approved by the commissar, with a few
// events recorded so its chart has more than one bar.
async function makeCampaign() {
  const admin = tok('admin');
  const commissar = tok('commissar');
  const clerk = tok('clerk (national)');
  const c = await api(srv.base, admin, 'POST', '/v1/campaigns', {
    name: 'Spring training', purpose: 'training', report_from: isoIn(10, 6),
    report_to: isoIn(20, 14), quota: 9, criteria: { born_from: '1990-01-01', born_to: '2010-12-31' },
  });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  const a = await api(srv.base, commissar, 'POST', `/v1/campaigns/${c.body.id}/approve`);
  assert.equal(a.status, 200, JSON.stringify(a.body));
  const m = await api(srv.base, commissar, 'GET', `/v1/campaigns/${c.body.id}/members`);
  assert.equal(m.status, 200);
  const ids = m.body.members.map((x) => x.summons_id);
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const plan = [['handed'], ['handed'], ['handed', 'appeared'], ['cancelled']];
  for (let i = 0; i < plan.length && i < ids.length; i++) {
    for (const type of plan[i]) {
      const r = await api(srv.base, clerk, 'POST', `/v1/summonses/${ids[i]}/events`, { type, at: now });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
  }
  return c.body;
}

// A person of the register with one summons (issued by the clerk, not yet
// delivered: open, so the portal offers the excuse and appeal forms) and a
// citizen token of their own: { id, summons, token }.
async function citizenWithSummons(id) {
  const s = await api(srv.base, tok('clerk (national)'), 'POST', '/v1/summonses', {
    national_id: id, purpose: 'medical_exam', report_at: isoIn(7, 7),
  });
  assert.equal(s.status, 201, JSON.stringify(s.body));
  const ct = await api(srv.base, tok('admin'), 'POST', '/v1/tokens', { role: 'citizen', person: id });
  assert.equal(ct.status, 201, JSON.stringify(ct.body));
  return { id, summons: s.body.id, token: ct.body.token };
}

const phone = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true };

// A page whose console errors are not collected (every refused or aborted
// request is logged as one) but whose uncaught exceptions are.
async function openQuietPage(options) {
  const { context, page } = await openPage(browser, null, options);
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  return { context, page };
}

// The error shown in root (the alert, a form's status): its sentence, its
// technical line, and how each is drawn.
async function shownError(root) {
  try {
    await root.locator('.error-text').waitFor({ timeout: 10000 });
  } catch {
    assert.fail(`no explained error: the page shows "${await root.textContent()}"`);
  }
  return root.evaluate((node) => {
    const text = node.querySelector('.error-text');
    const detail = node.querySelector('.error-detail');
    const style = (e) => e && getComputedStyle(e);
    return {
      text: text.textContent,
      detail: detail?.textContent ?? null,
      detailEn: detail?.querySelector('[lang="en"]')?.textContent ?? null,
      detailLang: detail?.querySelector('span')?.getAttribute('lang') ?? null,
      textSize: parseFloat(style(text).fontSize),
      detailSize: detail ? parseFloat(style(detail).fontSize) : null,
      textWeight: Number(style(text).fontWeight),
      detailWeight: detail ? Number(style(detail).fontWeight) : null,
    };
  });
}

// The detail is there, and drawn smaller and lighter than the sentence.
function assertSecondary(e) {
  assert.ok(e.detail, 'no technical detail');
  assert.ok(e.detailSize < e.textSize, `detail ${e.detailSize}px, sentence ${e.textSize}px`);
  assert.ok(e.detailWeight <= e.textWeight, `detail weight ${e.detailWeight}, sentence ${e.textWeight}`);
}

async function portalSignIn(page, token) {
  await page.goto(`${srv.base}/portal`);
  await page.fill('#token', token);
  await page.click('#signin-form button[type="submit"]');
  await page.waitForSelector('#app:not([hidden])');
}

async function consoleSignIn(page, token) {
  await page.goto(`${srv.base}/console`);
  await page.fill('#token', token);
  await page.click('#signin-form button[type="submit"]');
  await page.waitForSelector('#app:not([hidden])');
}

async function openPerson(page, id) {
  await page.fill('#q', id);
  await page.click('#search-form button[type="submit"]');
  await page.click(`#results button[data-id="${id}"]`);
  await page.waitForFunction((x) => document.querySelector('#card-h')?.textContent.includes(x), id);
}

before(async () => {
  srv = await startMuster();
  browser = await launchBrowser();
  shots = screenshotDir();
  people.campaign = await makeCampaign();
  let refused;
  [people.flow, people.keys, people.zone, refused, people.looks, people.answers, people.long] =
    await personsWithoutSummons(7);
  people.refused = await citizenWithSummons(refused);
});

after(async () => {
  await browser?.close();
  await srv?.stop();
  if (shots && !process.env.SCREENSHOT_DIR) rmSync(shots, { recursive: true, force: true });
});

test('the pages come with a CSP that forbids inline script, and security headers', async () => {
  for (const p of ['/portal', '/portal/', '/console', '/console/', '/portal/portal.js',
    '/console/console.js', '/assets/style.css', '/assets/i18n.js']) {
    const r = await fetch(srv.base + p);
    assert.equal(r.status, 200, p);
    const csp = r.headers.get('content-security-policy') || '';
    assert.match(csp, /script-src 'self'/, `${p}: ${csp}`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, p);
    assert.match(csp, /default-src 'none'/, p);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', p);
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer', p);
    assert.ok(r.headers.get('etag'), `${p}: no ETag`);
    await r.arrayBuffer();
  }
  const html = await fetch(`${srv.base}/portal`);
  assert.match(html.headers.get('content-type'), /^text\/html/);
  const js = await fetch(`${srv.base}/assets/api.js`);
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  const again = await fetch(`${srv.base}/assets/api.js`, { headers: { 'If-None-Match': js.headers.get('etag') } });
  assert.equal(again.status, 304);
  assert.equal((await fetch(`${srv.base}/portal/nothing.js`)).status, 404);
  assert.equal((await fetch(`${srv.base}/portal/..`)).status, 404);

  // The browser itself refuses an inline script.
  const { context, page } = await openPage(browser, null);
  const violations = [];
  page.on('console', (m) => violations.push(m.text()));
  await page.goto(`${srv.base}/portal`);
  const ran = await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__inline = 1';
    document.body.append(s);
    return window.__inline === 1;
  });
  assert.equal(ran, false, 'an inline script ran');
  assert.ok(violations.some((v) => /Content Security Policy/.test(v)), violations.join('\n'));
  await context.close();
});

test('portal: a citizen signs in and sees the exit bar with its explanation and the countdown', async () => {
  const { context, page } = await openPage(browser, errors);
  const token = tok('citizen RU-0000000003');
  await portalSignIn(page, token);
  assert.ok(!page.url().includes(token), 'the token is in the URL');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('muster.portal.token')), token);
  assert.equal(await page.evaluate(() => localStorage.getItem('muster.portal.token')), null);

  const exit = page.locator('#restr-list article[data-kind="exit"]');
  await exit.waitFor();
  assert.equal(await exit.locator('h3').textContent(), 'Leaving the country');
  assert.match(await exit.locator('.why').textContent(), /Leaving the country is barred since .* because summons S-\w+ was handed/);
  assert.match(await exit.locator('.lifts').textContent(), /^It lifts when you appear at/);
  assert.match(await exit.locator('time').getAttribute('datetime'), /^\d{4}-\d\d-\d\dT/);
  assert.match(await page.textContent('#pos-summary'), /restriction/);

  // The countdown to the next change runs.
  await page.waitForSelector('#next-left:not([hidden])');
  const first = await page.textContent('#countdown');
  assert.match(first, /\d+ d \d+ h \d+ min \d+ s/);
  await page.waitForFunction((f) => document.querySelector('#countdown').textContent !== f, first, { timeout: 5000 });
  assert.match(await page.textContent('#next-at'), /Your position changes on/);

  // The summons and its timeline.
  const summons = page.locator('#sum-list article.summons:has(.badge[data-state="delivered"])');
  assert.equal(await summons.count(), 1);
  assert.match(await summons.textContent(), /Counts as delivered: Handed over in person/);
  assert.ok(await summons.locator('.timeline li').count() >= 3);

  // The record, each field with its source and date.
  await page.locator('#rec-body tr').first().waitFor();
  assert.ok(await page.locator('#rec-body tr').count() >= 10, 'every field of the record');
  assert.match(await page.locator('#rec-body tr').first().textContent(), /demo|register|import|api/);
  assert.ok(await page.locator('#rec-body tr time').count() >= 10, 'each value has its date');

  await page.setViewportSize({ width: 1100, height: 900 });
  await page.screenshot({ path: join(shots, 'portal.png'), fullPage: true });

  // Russian.
  await page.click('button[data-lang="ru"]');
  assert.equal(await page.getAttribute('html', 'lang'), 'ru');
  assert.equal(await exit.locator('h3').textContent(), 'Выезд из России');
  // the reason in Russian, built from the rule and the summons
  assert.equal(await exit.locator('.why').getAttribute('lang'), null);
  assert.match(await exit.locator('.why').textContent(), /^Повестка S-\w+ вручена вам .+ С этого момента вам запрещён выезд из России\.$/);
  assert.match(await exit.locator('.lifts').textContent(), /^Запрет снимется, когда вы явитесь в /);
  assert.match(await page.textContent('#countdown'), /\d+ дн\. \d+ ч \d+ мин \d+ с/);
  await page.click('button[data-lang="en"]');
  await context.close();
});

test('portal: the access log shows an agency check made by the test', async () => {
  const r = await api(srv.base, tok('agency exit'), 'GET', '/v1/checks/exit/RU-0000000003');
  assert.equal(r.status, 200);
  assert.equal(r.body.permitted, false);

  const { context, page } = await openPage(browser, errors);
  await portalSignIn(page, tok('citizen RU-0000000003'));
  const check = page.locator('#log li.log-check').first();
  await check.waitFor();
  assert.equal(await check.locator('span').last().textContent(),
    'The border service checked whether you may leave the country. Answer: not permitted.');
  // newest first: the check just made is above the demo's older entries
  const at = Date.parse(await check.locator('time').getAttribute('datetime'));
  assert.ok(Math.abs(Date.now() - at) < 120000, 'the check is not the one just made');
  await context.close();
});

test('portal: the access log shows the newest entries past its first page', async () => {
  // 510 reads by a clerk, then one border check: the log's first page
  // (500, oldest first) holds none of the newest
  const clerk = tok('clerk (national)');
  for (let i = 0; i < 510; i++) {
    const r = await api(srv.base, clerk, 'GET', '/v1/persons/RU-0000000004');
    assert.equal(r.status, 200);
  }
  const r = await api(srv.base, tok('agency exit'), 'GET', '/v1/checks/exit/RU-0000000004');
  assert.equal(r.status, 200);
  const { context, page } = await openPage(browser, errors);
  await portalSignIn(page, tok('citizen RU-0000000004'));
  await page.locator('#log > li').first().waitFor();
  // newest first: only the portal's own reads of a moment ago come before it
  const lines = await page.locator('#log > li').evaluateAll((li) => li.map((x) => ({
    action: x.getAttribute('data-action'), count: Number(x.getAttribute('data-count') || 1),
  })));
  const at = lines.findIndex((l) => l.action === 'check');
  assert.ok(at >= 0, 'the check made last is listed (past the first page of 500)');
  assert.ok(at < 5, `the check is near the top: ${JSON.stringify(lines.slice(0, 6))}`);
  // the clerk's reads of today are one line (two if midnight fell between)
  const reads = lines.filter((l) => l.action === 'person.read');
  assert.ok(reads.reduce((n, l) => n + l.count, 0) >= 510, 'every read is counted');
  assert.ok(reads.length <= 4, `the reads are grouped: ${reads.length} lines`);
  await context.close();
});

// ---- the access log, grouped (a person checked all day by agencies) ----

const at = (iso) => ({ 'Muster-Test-Now': iso });

async function citizenToken(id) {
  const r = await api(srv.base, tok('admin'), 'POST', '/v1/tokens', { role: 'citizen', person: id });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.token;
}

// The whole access log of a citizen through the API, oldest first.
async function accessLogOf(token) {
  const all = [];
  let after = '';
  for (;;) {
    const r = await api(srv.base, token, 'GET', `/v1/me/access-log${after}`);
    assert.equal(r.status, 200);
    all.push(...r.body.entries);
    if (r.body.next == null) return all;
    after = `?after=${r.body.next}`;
  }
}

// An agency check of id at instant iso (the server runs with --test-clock).
async function checkAt(kind, id, iso) {
  const r = await api(srv.base, tok(`agency ${kind}`), 'GET', `/v1/checks/${kind}/${id}`, undefined, at(iso));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

// people.looks on 3 March 2026: 30 border checks from 05:12 to 18:40 UTC
// (08:12-21:40 in Moscow), among them one bank check and three reads by a
// clerk; then a clerk changes the record. Made once: { id, token }.
let looks;
async function personLookedAt() {
  if (looks) return looks;
  const id = people.looks;
  const token = await citizenToken(id);
  const times = Array.from({ length: 29 }, (_, i) =>
    new Date(Date.UTC(2026, 2, 3, 5, 12) + i * 27 * 60000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  times.push('2026-03-03T18:40:00Z');
  for (const [i, iso] of times.entries()) {
    assert.equal((await checkAt('exit', id, iso)).permitted, true);
    if (i === 14) { // other looks between the border checks
      await checkAt('credit', id, '2026-03-03T07:00:00Z');
      for (const t of ['09:00', '09:30', '10:00']) {
        const r = await api(srv.base, tok('clerk (national)'), 'GET', `/v1/persons/${id}`, undefined,
          at(`2026-03-03T${t}:00Z`));
        assert.equal(r.status, 200);
      }
    }
  }
  const p = await api(srv.base, tok('clerk (national)'), 'PATCH', `/v1/persons/${id}`, { phone: '+79005550101' });
  assert.equal(p.status, 200, JSON.stringify(p.body));
  looks = { id, token };
  return looks;
}

// The lines of the log as drawn: class, action, count, text.
function logLines(page) {
  return page.locator('#log > li').evaluateAll((li) => li.map((x) => ({
    cls: x.className, action: x.getAttribute('data-action'),
    count: x.hasAttribute('data-count') ? Number(x.getAttribute('data-count')) : null,
    text: (x.querySelector('.log-text') || x.querySelector(':scope > span:last-child'))?.textContent,
  })));
}

const moscow = { timezoneId: 'Europe/Moscow' };
const borderGroup = 'The border service checked whether you may leave the country — 30 times on 3 March 2026 (08:12–21:40). Answer: permitted.';
const clerkGroup = 'A clerk looked at your record — 3 times on 3 March 2026 (12:00–13:00)';
const bankCheck = 'A bank or credit organisation checked whether you may take loans or credit. Answer: permitted.';

test('portal: thirty checks by one agency on one day are one line that opens to the thirty times; a change keeps its own line', async () => {
  const who = await personLookedAt();
  const { context, page } = await openPage(browser, errors, moscow);
  await portalSignIn(page, who.token);
  await page.locator('#log > li.log-group').first().waitFor();
  const lines = await logLines(page);

  const border = lines.filter((l) => l.action === 'check' && l.count !== null);
  assert.equal(border.length, 1, JSON.stringify(lines));
  assert.equal(border[0].count, 30);
  assert.equal(border[0].text, borderGroup);
  // the other looks among them: the clerk's three reads one line, the one
  // bank check a line as before
  assert.deepEqual(lines.filter((l) => l.action === 'person.read' && l.count === 3).map((l) => l.text), [clerkGroup]);
  assert.deepEqual(lines.filter((l) => l.text === bankCheck).map((l) => l.count), [null]);

  // every change is a line of its own, the clerk's above the checks before it
  const api_ = await accessLogOf(who.token);
  const changes = api_.filter((e) => e.kind === 'change');
  const drawn = lines.filter((l) => /\blog-change\b/.test(l.cls));
  assert.equal(drawn.length, changes.length, 'each change is a line');
  assert.ok(drawn.every((l) => l.count === null && !/log-group/.test(l.cls)), 'no change is grouped');
  const update = lines.findIndex((l) => l.action === 'person.update');
  assert.ok(update >= 0, 'the clerk\'s change is listed');
  assert.equal(lines[update].text, 'A clerk changed your record. Purpose: correct person record');
  assert.ok(update < lines.findIndex((l) => l.text === borderGroup), 'newest first');

  // the times are drawn only when the line is opened: 30 of them, newest first
  const group = page.locator('#log > li.log-group[data-action="check"]');
  assert.equal(await page.locator('#log .log-times').count(), 0, 'nothing drawn before it is opened');
  await group.locator('summary').click();
  const times = group.locator('.log-times > li');
  assert.equal(await times.count(), 30);
  assert.equal(await times.first().textContent(), '21:40:00 Answer: permitted');
  assert.equal(await times.last().textContent(), '08:12:00 Answer: permitted');
  const stamps = await times.locator('time').evaluateAll((ts) => ts.map((x) => x.getAttribute('datetime')));
  assert.deepEqual(stamps, api_.filter((e) => e.agency_kind === 'exit').map((e) => e.at).reverse());
  await page.setViewportSize({ width: 1100, height: 900 });
  await page.locator('#access').screenshot({ path: join(shots, 'portal-log.png') });
  await context.close();
});

test('portal: the grouped log speaks Russian and English', async () => {
  const who = await personLookedAt();
  const { context, page } = await openPage(browser, errors, { ...moscow, locale: 'ru-RU' });
  await portalSignIn(page, who.token);
  assert.equal(await page.getAttribute('html', 'lang'), 'ru');
  await page.locator('#log > li.log-group').first().waitFor();
  let texts = (await logLines(page)).map((l) => l.text);
  assert.ok(texts.includes('Пограничная служба проверила, можно ли вам выехать из России, — 30 раз, 3 марта 2026 г. (08:12–21:40). Ответ: можно.'), texts.join('\n'));
  assert.ok(texts.includes('Сотрудник военкомата: просмотр ваших учётных данных — 3 раза, 3 марта 2026 г. (12:00–13:00)'), texts.join('\n'));
  // a single entry keeps its sentence
  assert.ok(texts.includes('Банк или кредитная организация: проверка, можно ли вам взять кредит или заём. Ответ: можно.'), texts.join('\n'));
  assert.equal(await page.textContent('#log-filter button[data-filter="agency"]'), 'Проверки ведомств');
  assert.match(await page.textContent('#log-count'), /^\d+ запис(ь|и|ей)$/);
  const group = page.locator('#log > li.log-group[data-action="check"]');
  await group.locator('summary').click();
  assert.equal(await group.locator('.log-times > li').first().textContent(), '21:40:00 Ответ: можно');

  await page.click('button[data-lang="en"]');
  texts = (await logLines(page)).map((l) => l.text);
  assert.ok(texts.includes(borderGroup), texts.join('\n'));
  assert.ok(texts.includes(clerkGroup), texts.join('\n'));
  assert.ok(texts.includes(bankCheck), texts.join('\n'));
  assert.equal(await page.textContent('#log-filter button[data-filter="agency"]'), 'Checks by agencies');
  await context.close();
});

test('portal: checks with different answers stay apart; the filter shows only changes or only agencies\' checks, from the keyboard', async () => {
  // 5 March 2026: a summons is issued at 08:00 and handed at 08:30 UTC,
  // then border checks asked about 07:00-07:02 (permitted) and 10:00-10:02
  // (not permitted), in turns
  const id = people.answers;
  const token = await citizenToken(id);
  const clerk = tok('clerk (national)');
  const s = await api(srv.base, clerk, 'POST', '/v1/summonses',
    { national_id: id, purpose: 'medical_exam', report_at: isoIn(30, 7) }, at('2026-03-05T08:00:00Z'));
  assert.equal(s.status, 201, JSON.stringify(s.body));
  const h = await api(srv.base, clerk, 'POST', `/v1/summonses/${s.body.id}/events`,
    { type: 'handed', at: '2026-03-05T08:30:00Z' }, at('2026-03-05T08:30:00Z'));
  assert.equal(h.status, 201, JSON.stringify(h.body));
  for (const m of ['00', '01', '02']) {
    assert.equal((await checkAt('exit', id, `2026-03-05T07:${m}:00Z`)).permitted, true);
    assert.equal((await checkAt('exit', id, `2026-03-05T10:${m}:00Z`)).permitted, false);
  }

  const { context, page } = await openPage(browser, errors, { timezoneId: 'UTC' });
  await portalSignIn(page, token);
  await page.locator('#log > li.log-group').first().waitFor();
  const checks = (await logLines(page)).filter((l) => l.action === 'check');
  assert.deepEqual(checks.map((l) => [l.count, l.text]), [
    [3, 'The border service checked whether you may leave the country — 3 times on 5 March 2026 (10:00–10:02). Answer: not permitted.'],
    [3, 'The border service checked whether you may leave the country — 3 times on 5 March 2026 (07:00–07:02). Answer: permitted.'],
  ]);

  const entries = await accessLogOf(token);
  const nChanges = entries.filter((e) => e.kind === 'change').length;
  const pressed = () => page.locator('#log-filter button').evaluateAll((bs) =>
    bs.filter((b) => b.getAttribute('aria-pressed') === 'true').map((b) => b.dataset.filter));
  assert.deepEqual(await pressed(), ['all']);

  // Changes only, with the keyboard.
  await tabTo(page, '#log-filter button[data-filter="change"]');
  await page.keyboard.press('Enter');
  assert.deepEqual(await pressed(), ['change']);
  let lines = await logLines(page);
  assert.equal(lines.length, nChanges);
  assert.ok(lines.every((l) => /\blog-change\b/.test(l.cls) && l.count === null), JSON.stringify(lines));
  for (const a of ['person.create', 'token.create', 'summons.issue', 'summons.event'])
    assert.ok(lines.some((l) => l.action === a), `${a} is listed`);
  assert.equal(await page.textContent('#log-count'), `${nChanges} entries`);

  // Checks by agencies: Tab on to the next button, Space.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.filter), 'agency');
  await page.keyboard.press('Space');
  assert.deepEqual(await pressed(), ['agency']);
  lines = await logLines(page);
  assert.deepEqual(lines.map((l) => [l.action, l.count]), [['check', 3], ['check', 3]]);
  assert.equal(await page.textContent('#log-count'), '6 entries');

  // Everything again; and a new session starts from everything.
  await page.click('#log-filter button[data-filter="all"]');
  lines = await logLines(page);
  assert.ok(lines.some((l) => /log-change/.test(l.cls)) && lines.some((l) => l.action === 'check'));
  await page.click('#log-filter button[data-filter="change"]');
  await page.click('#signout');
  await portalSignIn(page, token);
  await page.locator('#log > li.log-group').first().waitFor();
  assert.deepEqual(await pressed(), ['all']);
  assert.ok((await logLines(page)).some((l) => l.action === 'check'));
  await context.close();
});

test('portal: the grouped log fits a phone (360x740), opened, in both languages', async () => {
  const who = await personLookedAt();
  const { context, page } = await openPage(browser, errors, { ...phone, ...moscow, deviceScaleFactor: 2 });
  await portalSignIn(page, who.token);
  const group = page.locator('#log > li.log-group[data-action="check"]');
  await group.waitFor();
  for (const lang of ['en', 'ru']) {
    await page.click(`button[data-lang="${lang}"]`);
    // (a new language draws the log again, its groups closed)
    if (!await group.locator('details').evaluate((d) => d.open)) await group.locator('summary').click();
    await group.locator('.log-times > li').first().waitFor();
    const o = await horizontalOverflow(page);
    assert.ok(o.scroll <= o.client, `portal (${lang}): ${o.scroll} > ${o.client}`);
    const box = await page.locator('#access').evaluate((s) => ({
      scroll: s.scrollWidth, client: s.clientWidth, right: s.getBoundingClientRect().right,
      lines: Math.max(...[...s.querySelectorAll('#log > li, #log-filter button')].map((x) => x.getBoundingClientRect().right)),
    }));
    assert.ok(box.scroll <= box.client, `log section (${lang}): ${box.scroll} > ${box.client}`);
    assert.ok(box.lines <= box.right, `a line sticks out (${lang}): ${box.lines} > ${box.right}`);
  }
  await page.locator('#access').screenshot({ path: join(shots, 'portal-log-phone-ru.png') });
  await page.click('button[data-lang="en"]');
  await context.close();
});

test('portal: 19,000 checks draw as a few hundred lines, a group\'s times only when it is opened', async () => {
  // 250 days with four checks each (three agencies in turn), then 18 days
  // with a thousand border checks each: 19,000 entries
  const id = people.long;
  const token = await citizenToken(id);
  const kinds = ['exit', 'credit', 'driving'];
  const batch = async (kind, n, iso) => {
    for (;;) {
      const r = await api(srv.base, tok(`agency ${kind}`), 'POST', `/v1/checks/${kind}`,
        { national_ids: Array(n).fill(id) }, at(iso));
      if (r.status === 503) { await new Promise((ok) => setTimeout(ok, 50)); continue; }
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return;
    }
  };
  const day = (d, h) => new Date(Date.UTC(2025, 0, 1 + d, h)).toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (let d = 0; d < 250; d++) await batch(kinds[d % 3], 4, day(d, 9));
  for (let d = 250; d < 268; d++) await batch('exit', 1000, day(d, 12));
  const entries = await accessLogOf(token);
  assert.ok(entries.length >= 19000 && entries.length < 19100, `${entries.length} entries`);

  const { context, page } = await openPage(browser, errors, { timezoneId: 'UTC' });
  await portalSignIn(page, token);
  await page.locator('#log > li.log-group').first().waitFor({ timeout: 60000 });
  // (the portal's own reads as it loads may be in the log it loads)
  const count = await page.textContent('#log-count');
  assert.match(count, /^19,0\d\d entries$/);
  assert.ok(Number(count.replace(/\D/g, '')) - entries.length <= 3, count);
  // 200 lines drawn, and nothing of the groups inside them
  assert.equal(await page.locator('#log > li').count(), 200);
  assert.equal(await page.locator('#log li').count(), 200);
  const more = /^Show older \((\d+) more\)$/.exec(await page.textContent('#log-more'));
  assert.ok(more && Number(more[1]) >= 68, await page.textContent('#log-more'));
  const nLines = 200 + Number(more[1]);
  const first = page.locator('#log > li[data-count="1000"]').first();
  assert.equal(await page.locator('#log > li[data-count="1000"]').count(), 18);

  // A filter regroups all 19,000 and still draws only 200 lines (no
  // timing here: the house rule keeps timings in bench/).
  await page.click('#log-filter button[data-filter="agency"]');
  assert.equal(await page.locator('#log > li').count(), 200);
  await page.click('#log-filter button[data-filter="all"]');

  // A group of 1000 opens to 500 times, then the rest on demand.
  await first.locator('summary').click();
  assert.equal(await first.locator('.log-times > li').count(), 500);
  await first.locator('button.log-more').click();
  assert.equal(await first.locator('.log-times > li').count(), 1000);
  assert.equal(await first.locator('button.log-more').count(), 0);
  assert.equal(await page.evaluate(() => document.activeElement.closest('.log-times') !== null), true);

  // Older lines on demand; the focus goes to the first of them.
  await page.click('#log-more');
  assert.equal(await page.locator('#log > li').count(), nLines);
  assert.equal(await page.isVisible('#log-more'), false);
  assert.equal(await page.evaluate(() => [...document.querySelectorAll('#log > li')].indexOf(document.activeElement)), 200);
  await context.close();
});

test('portal: the citizen files an excuse, an appeal and a correction', async () => {
  const { context, page } = await openPage(browser, errors);
  await portalSignIn(page, tok('citizen RU-0000000002'));

  await page.click('#req-excuse summary');
  const sid = await page.inputValue('#excuse-summons');
  assert.match(sid, /^S-/);
  await page.selectOption('#excuse-reason', 'illness');
  await page.fill('#excuse-document', 'MED-2026-114');
  await page.click('#excuse-form button[type="submit"]');
  await page.waitForFunction(() => /case X-/.test(document.querySelector('#excuse-form .form-status').textContent));

  await page.click('#req-appeal summary');
  await page.click('#appeal-form button[type="submit"]'); // grounds left empty
  assert.equal(await page.getAttribute('#appeal-grounds', 'aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'appeal-grounds');
  await page.fill('#appeal-grounds', 'I am a full-time student and was abroad for an exam.');
  await page.click('#appeal-form button[type="submit"]');
  await page.waitForFunction(() => /case AP-/.test(document.querySelector('#appeal-form .form-status').textContent));

  await page.click('#req-correction summary');
  await page.selectOption('#correction-field', 'phone');
  await page.fill('#correction-value', '+79001234567');
  await page.fill('#correction-evidence', 'operator contract 77/5');
  await page.click('#correction-form button[type="submit"]');
  await page.waitForFunction(() => /case C-/.test(document.querySelector('#correction-form .form-status').textContent));

  const other = await page.textContent('#other-list');
  assert.match(other, new RegExp(`valid reason for not appearing on summons ${sid} was reported: illness`));
  assert.match(other, /you appealed against summons/);
  assert.match(other, /a correction of your phone to "\+79001234567" was requested/);
  await page.setViewportSize({ width: 1100, height: 900 });
  await page.locator('#requests').screenshot({ path: join(shots, 'portal-requests.png') });
  await context.close();
});

test('portal: signing out leaves nothing of the person for the next one on the phone', async () => {
  const { context, page } = await openPage(browser, errors);
  await portalSignIn(page, tok('citizen RU-0000000003'));
  await page.waitForFunction(() => document.body.textContent.includes('RU-0000000003'));
  await page.click('#req-appeal summary');
  await page.fill('#appeal-grounds', 'private grounds of the first person, never sent');
  await page.click('#signout');
  await page.waitForSelector('#signin:not([hidden])');
  const left = await page.evaluate(() => document.documentElement.outerHTML);
  assert.ok(!left.includes('RU-0000000003'), 'the first person\'s id stays in the page');
  assert.equal(await page.inputValue('#appeal-grounds'), '', 'the unsent appeal stays in the form');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('muster.portal.token')), null);
  await portalSignIn(page, tok('citizen RU-0000000004'));
  await page.click('#req-appeal summary');
  assert.equal(await page.inputValue('#appeal-grounds'), '', 'the next person sees no draft');
  await context.close();
});

test('verify: anyone checks a summons by its code, with no token', async () => {
  const sums = await api(srv.base, tok('clerk (national)'), 'GET', '/v1/persons/RU-0000000005/status');
  const s = await api(srv.base, tok('clerk (national)'), 'GET', `/v1/summonses/${sums.body.summonses[0].id}`);
  const code = s.body.verification_code;
  const { context, page } = await openPage(browser, errors);
  await page.goto(`${srv.base}/verify?code=${code}`);
  await page.waitForSelector('#result:not([hidden])');
  assert.equal(await page.textContent('#result-h'), 'Genuine, and in force.');
  const facts = await page.textContent('#result-facts');
  assert.match(facts, new RegExp(s.body.office_name));
  assert.doesNotMatch(facts, /RU-0000000005/);
  await page.setViewportSize({ width: 900, height: 800 });
  await page.screenshot({ path: join(shots, 'verify.png'), fullPage: true });

  await page.fill('#code', 'AAAAA-AAAAA AAAAA-AAAAA'); // typed in groups
  await page.click('#verify-form button[type="submit"]');
  await page.waitForFunction(() => document.querySelector('#result-h').textContent === 'No such summons.');
  assert.match(await page.textContent('#result-facts'), /No summons has this code/);
  assert.match(page.url(), /code=AAAAAAAAAAAAAAAAAAAA$/, 'the address names the code checked');
  await context.close();
});

test('portal: a refused request is told in the page\'s language, the register\'s detail as a smaller technical line', async () => {
  const who = people.refused;
  const { context, page } = await openQuietPage({ ...phone, locale: 'ru-RU' });
  await portalSignIn(page, who.token);
  assert.equal(await page.getAttribute('html', 'lang'), 'ru');

  // 400 naming a field: grounds the register finds too short (3 bytes at least)
  await page.click('#req-appeal summary');
  await page.fill('#appeal-grounds', 'a');
  await page.click('#appeal-form button[type="submit"]');
  const appealStatus = page.locator('#appeal-form .form-status');
  let e = await shownError(appealStatus);
  assert.equal(e.text, 'Реестр не принял то, что указано в поле «Основания жалобы». Проверьте его и попробуйте снова.');
  assert.match(e.detail, /^Технические сведения: grounds must be written out: at least 3 bytes \(запрос \S+\)$/);
  assert.equal(e.detailEn, 'grounds must be written out: at least 3 bytes', 'the English detail is marked lang="en"');
  assertSecondary(e);
  assert.equal(await page.getAttribute('#appeal-grounds', 'aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'appeal-grounds');

  // 409: a second excuse while the first waits for a decision
  await page.click('#req-excuse summary');
  await page.click('#excuse-form button[type="submit"]');
  const excuseStatus = page.locator('#excuse-form .form-status');
  await page.waitForFunction(() => /номер X-/.test(document.querySelector('#excuse-form .form-status').textContent));
  await page.click('#excuse-form button[type="submit"]');
  e = await shownError(excuseStatus);
  assert.match(e.text, /^Сейчас это сделать нельзя: этого не допускает состояние дела/);
  assert.doesNotMatch(e.text, /[A-Za-z]/, 'the sentence is all Russian');
  assert.match(e.detail, new RegExp(`an excuse for summons ${who.summons} is already waiting for a decision`));
  assertSecondary(e);

  // The language switch says both again in English, the detail unchanged.
  await page.click('button[data-lang="en"]');
  e = await shownError(excuseStatus);
  assert.match(e.text, /^This cannot be done now: the state of the case does not allow it/);
  assert.match(e.detail, /^Technical detail: an excuse for summons S-\w+ is already waiting for a decision \(request \S+\)$/);
  assert.equal(e.detailLang, null, 'English needs no lang mark in an English page');
  e = await shownError(appealStatus);
  assert.equal(e.text, 'The register did not accept what you entered in “Grounds of the appeal”. Check it and try again.');

  // ... and a new refusal in English is said in English.
  const earlier = e.detail;
  await page.fill('#appeal-grounds', 'b');
  await page.click('#appeal-form button[type="submit"]');
  await page.waitForFunction((old) => {
    const d = document.querySelector('#appeal-form .error-detail')?.textContent;
    return d && d !== old && document.activeElement.id === 'appeal-grounds';
  }, earlier); // a new request id
  e = await shownError(appealStatus);
  assert.equal(e.text, 'The register did not accept what you entered in “Grounds of the appeal”. Check it and try again.');
  assert.match(e.detail, /^Technical detail: grounds must be written out: at least 3 bytes/);
  assertSecondary(e);

  // Nothing was filed but the one excuse.
  const st = await api(srv.base, tok('clerk (national)'), 'GET', `/v1/persons/${who.id}/status`);
  assert.equal(st.status, 200);
  assert.equal((st.body.appeals || []).length, 0);
  assert.equal((st.body.excuses || []).length, 1);
  await context.close();
});

test('portal and verify: a request that cannot reach the register is told in the page\'s language', async () => {
  const who = people.refused;
  const { context, page } = await openQuietPage({ ...phone, locale: 'ru-RU' });
  await portalSignIn(page, who.token);

  // The appeal never leaves the phone.
  await page.route('**/v1/appeals', (route) => route.abort('internetdisconnected'));
  await page.click('#req-appeal summary');
  await page.fill('#appeal-grounds', 'Я студент очной формы обучения.');
  await page.click('#appeal-form button[type="submit"]');
  let e = await shownError(page.locator('#appeal-form .form-status'));
  assert.equal(e.text, 'Не удаётся связаться с реестром. Проверьте подключение к интернету и попробуйте снова.');
  assert.equal(await page.inputValue('#appeal-grounds'), 'Я студент очной формы обучения.', 'the text typed is kept');

  // Refreshing the page's data fails the same way, in the page's alert.
  await page.route('**/v1/me/status', (route) => route.abort('internetdisconnected'));
  await page.click('#refresh');
  e = await shownError(page.locator('#alert'));
  assert.equal(e.text, 'Не удаётся связаться с реестром. Проверьте подключение к интернету и попробуйте снова.');
  await page.click('button[data-lang="en"]');
  e = await shownError(page.locator('#alert'));
  assert.equal(e.text, 'The register cannot be reached. Check your internet connection and try again.');
  await page.unrouteAll();
  await page.click('#refresh');
  await page.waitForSelector('#alert', { state: 'hidden' });
  const st = await api(srv.base, tok('clerk (national)'), 'GET', `/v1/persons/${who.id}/status`);
  assert.equal((st.body.appeals || []).length, 0, 'no appeal reached the register');
  await context.close();

  // The verify page, in Russian.
  const v = await openQuietPage({ ...phone, locale: 'ru-RU' });
  await v.page.route('**/v1/verify/**', (route) => route.abort('internetdisconnected'));
  await v.page.goto(`${srv.base}/verify`);
  await v.page.fill('#code', 'AAAAAAAAAAAAAAAAAAAA');
  await v.page.click('#verify-form button[type="submit"]');
  e = await shownError(v.page.locator('#alert'));
  assert.equal(e.text, 'Не удаётся связаться с реестром. Проверьте подключение к интернету и попробуйте снова.');
  assert.equal(await v.page.isVisible('#result'), false);
  await v.context.close();
});

// The colours a reader sees: each element's text colour and the first
// opaque background under it, as [r, g, b].
async function colours(page, selectors) {
  return page.evaluate((sels) => {
    const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
    const bg = (node) => {
      for (let n = node; n; n = n.parentElement) {
        const c = rgb(getComputedStyle(n).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const out = {};
    for (const [name, sel] of Object.entries(sels)) {
      const node = document.querySelector(sel);
      if (!node) throw new Error(`no ${sel}`);
      const cs = getComputedStyle(node);
      out[name] = {
        fg: rgb(cs.color).slice(0, 3), bg: bg(node),
        borderLeft: rgb(cs.borderLeftColor).slice(0, 3), borderLeftWidth: parseFloat(cs.borderLeftWidth),
        bgRaw: cs.backgroundColor, fgRaw: cs.color,
      };
    }
    return out;
  }, selectors);
}

// WCAG relative luminance and contrast ratio.
function luminance([r, g, b]) {
  const f = (v) => { const c = v / 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
}
function contrast(a, b) {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

test('the pages follow a dark system setting with readable contrast; the light look is unchanged', async () => {
  const seen = {};
  for (const colorScheme of ['light', 'dark']) {
    const { context, page } = await openQuietPage({ ...phone, colorScheme });
    // an alert: a token the register does not know
    await page.goto(`${srv.base}/portal`);
    await page.fill('#token', 'mu_not-a-real-token');
    await page.click('#signin-form button[type="submit"]');
    await page.waitForSelector('#alert:not([hidden])');
    const signin = await colours(page, {
      body: 'body', alert: '#alert', input: '#token', primary: '#signin-form button.primary', hint: '#token-help',
    });
    await portalSignIn(page, tok('citizen RU-0000000001'));
    await page.waitForSelector('#restr-list article.restriction');
    await page.click('#req-appeal summary');
    const portal = await colours(page, {
      card: '#restr-list article.restriction', cardTitle: '#restr-list article.restriction h3',
      cardText: '#restr-list article.restriction dd', cardTerm: '#restr-list article.restriction dt',
      button: '#refresh', field: '#appeal-grounds', summary: '#req-appeal summary',
      badge: '#sum-list .badge', panel: '#position', lead: '#pos-summary',
    });
    await page.goto(`${srv.base}/verify`);
    const verify = await colours(page, { body: 'body', panel: 'section.panel', input: '#code' });
    await page.goto(`${srv.base}/console`);
    const consolePage = await colours(page, { body: 'body', panel: 'section.panel' });
    await context.close();
    const c = { ...signin, ...portal, verifyBody: verify.body, verifyPanel: verify.panel, verifyInput: verify.input,
      consoleBody: consolePage.body };
    seen[colorScheme] = c;

    // Readable in either: text 4.5:1, the restriction's red edge 3:1.
    for (const k of ['body', 'alert', 'input', 'primary', 'hint', 'cardTitle', 'cardText', 'cardTerm', 'button',
      'field', 'summary', 'badge', 'lead', 'verifyBody', 'verifyInput', 'consoleBody'])
      assert.ok(contrast(c[k].fg, c[k].bg) >= 4.5, `${colorScheme} ${k}: ${c[k].fg} on ${c[k].bg} is ${contrast(c[k].fg, c[k].bg).toFixed(2)}:1`);
    assert.equal(c.card.borderLeftWidth, 6);
    assert.ok(contrast(c.card.borderLeft, c.card.bg) >= 3, `${colorScheme}: the restriction's edge`);
    assert.ok(contrast(c.field.fg, c.field.bg) >= 4.5);
  }
  const { light, dark } = seen;
  // Light: the colours as they always were.
  assert.equal(light.body.bgRaw, 'rgb(243, 245, 248)');
  assert.equal(light.body.fgRaw, 'rgb(27, 31, 36)');
  assert.equal(light.card.bgRaw, 'rgb(255, 255, 255)');
  assert.deepEqual(light.card.borderLeft, [138, 20, 20]);
  assert.equal(light.alert.bgRaw, 'rgb(253, 236, 235)');
  assert.equal(light.alert.fgRaw, 'rgb(138, 20, 20)');
  assert.equal(light.primary.bgRaw, 'rgb(11, 61, 107)');
  assert.equal(light.primary.fgRaw, 'rgb(255, 255, 255)');
  assert.equal(light.field.bgRaw, 'rgb(255, 255, 255)');
  assert.equal(light.button.bgRaw, 'rgb(255, 255, 255)');
  assert.equal(light.button.fgRaw, 'rgb(11, 61, 107)');
  // Dark: a dark page with light text, on every page.
  for (const k of ['body', 'verifyBody', 'consoleBody']) {
    assert.ok(luminance(dark[k].bg) < 0.05, `dark ${k} background ${dark[k].bgRaw}`);
    assert.ok(luminance(dark[k].fg) > 0.6, `dark ${k} text ${dark[k].fgRaw}`);
  }
  for (const k of ['card', 'panel', 'field', 'alert', 'verifyPanel', 'verifyInput'])
    assert.ok(luminance(dark[k].bg) < 0.05, `dark ${k} background ${dark[k].bgRaw}`);
});

test('console: a clerk finds the person, issues a summons, records handed then appeared; the bar is gone', async () => {
  const id = people.flow;
  const admin = tok('admin');
  const ct = await api(srv.base, admin, 'POST', '/v1/tokens', { role: 'citizen', person: id });
  assert.equal(ct.status, 201, JSON.stringify(ct.body));
  const person = (await api(srv.base, tok('clerk (national)'), 'GET', `/v1/persons/${id}`)).body;

  const { context, page } = await openPage(browser, errors);
  await consoleSignIn(page, tok('clerk (national)'));

  // By family name: everyone listed bears it.
  await page.fill('#q', person.family_name);
  await page.click('#search-form button[type="submit"]');
  await page.waitForSelector('#results li');
  for (const text of await page.locator('#results button').allTextContents())
    assert.ok(text.includes(person.family_name), text);
  // ... typed in lower case as a hurried clerk types it: the same persons
  const before = await page.locator('#results button').allTextContents();
  await page.evaluate(() => { document.querySelector('#results').replaceChildren(); });
  await page.fill('#q', person.family_name.toLowerCase());
  await page.click('#search-form button[type="submit"]');
  await page.waitForSelector('#results li');
  assert.deepEqual(await page.locator('#results button').allTextContents(), before);

  // By id, in lower case as a hurried clerk types it.
  await page.fill('#q', id.toLowerCase());
  await page.click('#search-form button[type="submit"]');
  await page.click(`#results button[data-id="${id}"]`);
  await page.waitForFunction((x) => document.querySelector('#card-h')?.textContent.includes(x), id);
  assert.match(await page.textContent('#record'), new RegExp(person.given_name));
  assert.match(await page.textContent('#history'), /Version 1/);
  assert.equal(await page.locator('#card-sums article').count(), 0);

  // Issue (the form's defaults: medical examination, the person's office, in a week).
  await page.click('#issue-submit');
  // a confirmation says what will be issued before it is
  assert.match(await page.textContent('#issue-confirm-text'), new RegExp(`${id}\\): report to office`));
  await page.click('#issue-confirm-yes');
  const summons = page.locator('#card-sums article.summons');
  await summons.first().waitFor();
  await page.waitForFunction(() => /Summons S-\w+ issued\./.test(document.querySelector('#alert').textContent));
  assert.equal(await summons.locator('.badge').getAttribute('data-state'), 'pending');

  // Handed over in person: the exit bar follows at once.
  await summons.locator('select[name="type"]').selectOption('handed');
  await summons.locator('form.event-form button[type="submit"]').click();
  await page.waitForSelector('#card-sums .badge[data-state="delivered"]');
  await page.waitForSelector('#card-restr article[data-kind="exit"]');
  assert.ok(await summons.locator('.timeline li[data-type="handed"]').count() === 1);
  await page.setViewportSize({ width: 1100, height: 900 });
  await page.screenshot({ path: join(shots, 'console-card.png'), fullPage: true });

  // The printable summons, fetched with the clerk's token.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    summons.locator('button.pdf').click(),
  ]);
  assert.match(download.suggestedFilename(), /^S-\w+\.pdf$/);
  const pdf = await download.path();
  assert.equal(readFileSync(pdf).subarray(0, 5).toString(), '%PDF-');

  const citizen = await openPage(browser, errors);
  await portalSignIn(citizen.page, ct.body.token);
  await citizen.page.waitForSelector('#restr-list article[data-kind="exit"]');

  // Appeared: the summons is done and the bar is lifted.
  await summons.locator('select[name="type"]').selectOption('appeared');
  await summons.locator('form.event-form button[type="submit"]').click();
  await page.waitForSelector('#card-sums .badge[data-state="reported"]');
  assert.equal(await summons.locator('form.event-form').count(), 0);
  assert.match(await page.textContent('#card-restr'), /No restriction is in force/);

  await citizen.page.click('#refresh');
  await citizen.page.waitForFunction(() => !document.querySelector('#restr-list article[data-kind="exit"]'));
  assert.match(await citizen.page.textContent('#restr-list'), /No restriction is in force/);
  assert.equal(await citizen.page.locator('#sum-list .badge').getAttribute('data-state'), 'reported');
  await citizen.context.close();
  await context.close();
});

test('console: the issue form works with the keyboard alone', async () => {
  const id = people.keys;
  const { context, page } = await openPage(browser, errors);
  await page.goto(`${srv.base}/console`);
  await tabTo(page, '#token');
  await page.keyboard.type(tok('clerk (national)'));
  await page.keyboard.press('Enter');
  await page.waitForSelector('#app:not([hidden])');
  await tabTo(page, '#q');
  await page.keyboard.type(id);
  await page.keyboard.press('Enter');
  await page.waitForSelector(`#results button[data-id="${id}"]`);
  await tabTo(page, `#results button[data-id="${id}"]`);
  await page.keyboard.press('Enter');
  await page.waitForFunction((x) => document.activeElement?.id === 'card-h' &&
    document.activeElement.textContent.includes(x), id);

  await tabTo(page, '#issue-purpose');
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(ring, 'none', 'no visible focus ring');
  await page.keyboard.press('ArrowDown'); // medical_exam -> data_clarification
  assert.equal(await page.inputValue('#issue-purpose'), 'data_clarification');
  await tabTo(page, '#issue-office');
  await tabTo(page, '#issue-report');
  await tabTo(page, '#issue-submit');
  await page.keyboard.press('Enter');
  // the confirmation takes the focus; Enter again issues
  await page.waitForFunction(() => document.activeElement?.id === 'issue-confirm-yes');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#card-sums article.summons');
  await page.waitForFunction(() => /issued/.test(document.querySelector('#alert').textContent));
  assert.match(await page.textContent('#card-sums'), /Clarification of personal data/);
  // focus lands on the new summons, so the work goes on from there
  assert.equal(await page.evaluate(() => document.activeElement?.closest('article')?.dataset.summons?.startsWith('S-')), true);
  await context.close();
});

test('console: the report time is entered on the office\'s clock, whatever the browser\'s', async () => {
  const id = people.zone;
  const { context, page } = await openPage(browser, errors);
  await consoleSignIn(page, tok('clerk (national)'));
  await openPerson(page, id);
  await page.selectOption('#issue-office', 'PKC');
  assert.match(await page.textContent('#issue-report-label'), /PKC.*Asia\/Kamchatka/);
  const day = new Date(Date.now() + 10 * 86400000).toISOString().slice(0, 10);
  await page.fill('#issue-report', `${day}T10:00`);
  await page.click('#issue-submit');
  assert.match(await page.textContent('#issue-confirm-text'), /office PKC/);
  await page.click('#issue-confirm-yes');
  await page.waitForFunction(() => /issued/.test(document.querySelector('#alert').textContent));
  const st = await api(srv.base, tok('clerk (national)'), 'GET', `/v1/persons/${id}/status`);
  const [y, m, d] = day.split('-').map(Number);
  const want = new Date(Date.UTC(y, m - 1, d, 10) - 12 * 3600000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  assert.equal(st.body.summonses[0].report_at, want, '10:00 in Kamchatka (UTC+12)');

  // a second summons for the same purpose is warned of before it is issued
  const sid = st.body.summonses[0].id;
  await page.click('#issue-submit');
  await page.waitForSelector('#issue-confirm-warn:not([hidden])');
  assert.match(await page.textContent('#issue-confirm-warn'), new RegExp(sid));
  await page.click('#issue-confirm-no');
  assert.equal(await page.isVisible('#issue-confirm'), false);

  // cancelling needs a reason
  const card = page.locator(`[data-summons="${sid}"]`);
  await card.locator('select[name="type"]').selectOption('cancelled');
  await card.locator('form.event-form button[type="submit"]').click();
  await page.waitForFunction(() => /Say why the summons is cancelled/.test(document.querySelector('#alert').textContent));
  assert.equal(await card.locator('input[name="reference"]').getAttribute('aria-invalid'), 'true');
  const s2 = await api(srv.base, tok('clerk (national)'), 'GET', `/v1/summonses/${sid}`);
  assert.notEqual(s2.body.state, 'cancelled', 'nothing was recorded');
  await card.locator('input[name="reference"]').fill('issued to the wrong office by mistake');
  await card.locator('form.event-form button[type="submit"]').click();
  await page.waitForSelector(`[data-summons="${sid}"] .badge[data-state="cancelled"]`);
  await context.close();
});

test('console: a campaign\'s summonses per state, drawn as inline SVG', async () => {
  const { context, page } = await openPage(browser, errors);
  await consoleSignIn(page, tok('commissar'));
  await page.click('button[data-tab="campaigns"]');
  await page.click(`#camp-list button[data-id="${people.campaign.id}"]`);
  await page.waitForSelector('#camp-chart svg');
  const bars = await page.$$eval('#camp-chart svg rect.bar', (rs) =>
    Object.fromEntries(rs.map((r) => [r.dataset.state, Number(r.dataset.value)])));
  assert.equal(bars.delivered, 2);
  assert.equal(bars.reported, 1);
  assert.equal(bars.cancelled, 1);
  assert.equal(bars.pending, 5);
  assert.equal(await page.locator('#camp-table tbody tr').count(), 6);
  await page.setViewportSize({ width: 1100, height: 900 });
  await page.screenshot({ path: join(shots, 'console-campaign.png'), fullPage: true });
  await context.close();
});

test('a phone (360x740) never scrolls sideways', async () => {
  const { context, page } = await openPage(browser, errors, { ...phone, deviceScaleFactor: 2 });
  await page.goto(`${srv.base}/portal`);
  let o = await horizontalOverflow(page);
  assert.ok(o.scroll <= o.client, `portal sign-in: ${o.scroll} > ${o.client}`);
  await portalSignIn(page, tok('citizen RU-0000000001'));
  await page.waitForSelector('#restr-list article[data-kind="foreign_passport"]');
  for (const lang of ['en', 'ru']) {
    await page.click(`button[data-lang="${lang}"]`);
    o = await horizontalOverflow(page);
    assert.ok(o.scroll <= o.client, `portal (${lang}): ${o.scroll} > ${o.client}`);
  }
  await page.screenshot({ path: join(shots, 'portal-phone-ru.png') });
  await page.click('button[data-lang="en"]');
  await context.close();

  const c = await openPage(browser, errors, phone);
  await consoleSignIn(c.page, tok('clerk (national)'));
  await openPerson(c.page, 'RU-0000000001');
  await c.page.waitForFunction(() => document.activeElement?.id === 'card-h');
  o = await horizontalOverflow(c.page);
  assert.ok(o.scroll <= o.client, `console card: ${o.scroll} > ${o.client}`);
  await c.context.close();

  const k = await openPage(browser, errors, phone);
  await consoleSignIn(k.page, tok('commissar'));
  await k.page.click('button[data-tab="campaigns"]');
  await k.page.click(`#camp-list button[data-id="${people.campaign.id}"]`);
  await k.page.waitForSelector('#camp-chart svg');
  o = await horizontalOverflow(k.page);
  assert.ok(o.scroll <= o.client, `campaign: ${o.scroll} > ${o.client}`);
  await k.context.close();
});

test('401 and 403 are told plainly', async () => {
  const { context, page } = await openPage(browser, null);
  await page.goto(`${srv.base}/portal`);
  await page.fill('#token', 'mu_not-a-real-token');
  await page.click('#signin-form button[type="submit"]');
  await page.waitForSelector('#alert:not([hidden])');
  assert.match(await page.textContent('#alert'), /did not accept your token/);
  assert.equal(await page.isVisible('#signin'), true);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('muster.portal.token')), null);

  // A citizen token in the console: signed in to nothing, and told why.
  await page.goto(`${srv.base}/console`);
  await page.fill('#token', tok('citizen RU-0000000002'));
  await page.click('#signin-form button[type="submit"]');
  await page.waitForSelector('#alert:not([hidden])');
  assert.match(await page.textContent('#alert'), /This console is for clerks, administrators and commissars/);
  assert.equal(await page.isVisible('#app'), false);

  // A clerk is not offered campaigns, and the console says who is signed in.
  await consoleSignIn(page, tok('clerk (national)'));
  assert.equal(await page.isVisible('button[data-tab="campaigns"]'), false);
  assert.match(await page.textContent('#whoami'), /Signed in as a clerk/);
  // A commissar lands on campaigns, not on a search that would be refused.
  await page.click('#signout');
  await consoleSignIn(page, tok('commissar'));
  assert.equal(await page.isVisible('button[data-tab="persons"]'), false);
  assert.equal(await page.isVisible('#tab-campaigns'), true);
  // An auditor's token is told the console is not for that role.
  await page.click('#signout');
  await page.waitForSelector('#signin:not([hidden])');
  await page.fill('#token', tok('auditor'));
  await page.click('#signin-form button[type="submit"]');
  await page.waitForSelector('#alert:not([hidden])');
  assert.match(await page.textContent('#alert'), /for clerks, administrators and commissars; you signed in as an auditor/);
  assert.equal(await page.isVisible('#app'), false);
  await context.close();
});

test('verify: too many checks from one address are told in Russian, with the seconds to wait', async () => {
  // Keep the address's allowance (120 at once, then two a second) used up
  // while the page asks: the page gets the register's real 429.
  let draining = true;
  let refused = 0;
  const drain = (async () => {
    while (draining) {
      const rs = await Promise.all(Array.from({ length: 8 }, () =>
        fetch(`${srv.base}/v1/verify/AAAAAAAAAAAAAAAAAAAA`).then(async (r) => { await r.arrayBuffer(); return r.status; })));
      refused += rs.filter((x) => x === 429).length;
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    for (let waited = 0; refused === 0; waited += 20) {
      assert.ok(waited < 20000, 'the register never refused a check');
      await new Promise((r) => setTimeout(r, 20));
    }
    const { context, page } = await openQuietPage({ ...phone, locale: 'ru-RU' });
    await page.goto(`${srv.base}/verify`);
    await page.fill('#code', 'BBBBBBBBBBBBBBBBBBBB');
    // (the page's request may, rarely, take a token the drain left: ask again)
    for (let i = 0; i < 5; i++) {
      await page.evaluate(() => { document.querySelector('#result-h').textContent = ''; });
      await page.click('#verify-form button[type="submit"]');
      await page.waitForFunction(() => !document.querySelector('#alert').hidden ||
        document.querySelector('#result-h').textContent !== '');
      if (await page.isVisible('#alert')) break;
    }
    const e = await shownError(page.locator('#alert'));
    assert.match(e.text, /^Слишком много запросов с вашего адреса за короткое время\. Попробуйте снова через \d+ секунд[уы]?\.$/);
    assert.match(e.detail, /^Технические сведения: too many verification requests from your address; try again in \d+ s/);
    assertSecondary(e);
    await context.close();
  } finally {
    draining = false;
    await drain;
  }
});

test('no console errors on the pages under test', () => {
  assert.deepEqual(errors, []);
});
