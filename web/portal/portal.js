// portal.js: the citizen portal. A person signs in with their citizen token
// and reads their own position from the public API:
//   GET /v1/me/status      summonses, restrictions in force, next change
//   GET /v1/me/access-log  who read or changed their data, and why
// and files requests the office decides on:
//   POST /v1/summonses/{id}/excuses     a valid reason for not appearing
//   POST /v1/appeals                    an appeal against a summons
//   POST /v1/persons/{id}/corrections   a correction of their data
// It decides nothing. The explanations of restrictions are the register's
// own (the legal engine writes them, in English); the page splits each into
// "why" and "what lifts it" and shows since when it applies, on the office's
// clock. In Russian it says the same in Russian for the rules the built-in
// profiles name, built from the rule and its summons (localReason).

import { initI18n, t, tn, getLang, has, locale } from '/assets/i18n.js';
import { createClient, path } from '/assets/api.js';
import { createSession, tokenProvider, mountSignIn, endSession, takeFarewell } from '/assets/signin.js';
import {
  el, $, announce, showAlert, showError, showErrorIn, fmtTime, timeEl, fmtDuration, stateBadge,
  dateFormat,
} from '/assets/ui.js';

const session = createSession('muster.portal.token');
const api = createClient(session, () => signOut(t('err.401')));
const view = { status: null, log: null, skew: 0 };
let timer = null;

// ---- sign-in and loading ----

function showSignIn() {
  $('#app').hidden = true;
  $('#signin').hidden = false;
  mountSignIn($('#signin-providers'), [tokenProvider('portal.signinHelp')], (token) => {
    session.set(token);
    load(true);
  });
}

function signOut(message) {
  stopCountdown();
  endSession(session, 'muster.portal', message);
}

// The whole access log: the API gives it 500 entries a page, oldest first,
// and the newest are what the person looks for (LOG_PAGES_MAX pages).
const LOG_PAGES_MAX = 40;

async function accessLog() {
  let page = await api.get('/v1/me/access-log');
  const entries = [...page.entries];
  for (let i = 1; page.next != null && i < LOG_PAGES_MAX; i++) {
    page = await api.get(`/v1/me/access-log?after=${encodeURIComponent(page.next)}`);
    entries.push(...page.entries);
  }
  return { entries, next: page.next };
}

async function load(focus) {
  showAlert('');
  $('#main').setAttribute('aria-busy', 'true');
  try {
    const [status, log, record] = await Promise.all([
      api.get('/v1/me/status'), accessLog(),
      api.get('/v1/me/record').catch(() => null),
    ]);
    view.status = status;
    view.log = log;
    view.record = record;
    view.skew = Date.parse(status.at) - Date.now();
    $('#signin').hidden = true;
    $('#app').hidden = false;
    render();
    if (focus) $('#pos-h').focus();
    announce(t('pos.asOf', { time: fmtTime(status.at) }));
  } catch (err) {
    if (err.status !== 401) showError(err);
  } finally {
    $('#main').removeAttribute('aria-busy');
  }
}

// ---- rendering ----

function render() {
  const s = view.status;
  if (!s) return;
  document.title = t('portal.doctitle');
  $('#who').textContent = t('signedIn', { who: s.national_id });
  $('#pos-summary').textContent = s.restrictions.length
    ? tn('pos.some', s.restrictions.length) : t('pos.none');
  $('#pos-summary').classList.toggle('bad', s.restrictions.length > 0);
  $('#pos-asof').textContent = t('pos.asOf', { time: fmtTime(s.at) });
  renderNext(s.next_change);
  $('#restr-list').replaceChildren(...renderRestrictions(s.restrictions, s.summonses || []));
  $('#sum-list').replaceChildren(...renderSummonses(s.summonses));
  renderOther(s);
  renderRequestForms();
  renderLog(view.log?.entries || []);
  renderRecord(view.record);
}

// The person's record, each field with the source and date of its value.
function renderRecord(rec) {
  $('#record').hidden = !rec;
  if (!rec) return;
  const rows = Object.entries(rec.fields || {}).map(([k, f]) =>
    el('tr', {},
      el('th', { scope: 'row' }, has(`field.${k}`) ? t(`field.${k}`) : k),
      el('td', {}, rec[k] || '—'),
      el('td', {}, el('span', { class: 'mono' }, f.source), ' ', timeEl(f.since))));
  $('#rec-body').replaceChildren(...rows);
}

// Text the server wrote in English: marked so, and said once in Russian.
function serverText(tag, text, attrs = {}) {
  const ru = getLang() !== 'en';
  return el(tag, { ...attrs, lang: ru ? 'en' : null }, text);
}

// "why" and "what lifts it" from the engine's explanation.
function splitExplanation(text) {
  const i = text.indexOf(' It lifts when ');
  return i < 0 ? { why: text, lifts: '' } : { why: text.slice(0, i), lifts: text.slice(i + 1) };
}

// The reason in the reader's language, built from the restriction's rule
// and its summons (the rules a profile can name are few); null when the
// rule is not one of them, or the page is in English (the register's own
// sentence is English). Times on the office's clock, as on the summons.
function localReason(r, s) {
  const rule = (r.rule || '').split('.').slice(1).join('.');
  if (getLang() === 'en' || !s || !has(`rx.${rule}.why`)) return null;
  const zone = s.office_timezone;
  const p = {
    summons: r.basis, office: s.office_name || s.office, since: fmtTime(r.since, zone),
    delivered: fmtTime(s.delivered_at, zone), report: fmtTime(s.report_at, zone),
    kind: has(`kind.${r.kind}`) ? t(`kind.${r.kind}`) : r.kind,
  };
  return { why: t(`rx.${rule}.why`, p), lifts: t(`rx.${rule}.lifts`, p) };
}

function renderRestrictions(list, summonses) {
  if (!list.length) return [el('p', { class: 'ok-text' }, t('restr.none'))];
  let english = false;
  const out = list.map((r) => {
    const s = summonses.find((x) => x.id === r.basis);
    const local = localReason(r, s);
    const { why, lifts } = local || splitExplanation(r.explanation || '');
    const text = (tag, v, cls) => (local ? el(tag, { class: cls }, v) : serverText(tag, v, { class: cls }));
    english ||= !local;
    return el('article', { class: 'card restriction', 'data-kind': r.kind },
      el('h3', {}, has(`kind.${r.kind}`) ? t(`kind.${r.kind}`) : r.kind),
      el('dl', { class: 'facts' },
        el('dt', {}, t('restr.since')), el('dd', {}, timeEl(r.since, s?.office_timezone)),
        el('dt', {}, t('restr.why')), text('dd', why, 'why'),
        lifts && el('dt', {}, t('restr.lifts')), lifts && text('dd', lifts, 'lifts'),
        el('dt', {}, t('restr.basis')), el('dd', { class: 'mono' }, r.basis),
        el('dt', {}, t('restr.rule')), el('dd', { class: 'mono' }, r.rule)));
  });
  if (english && getLang() !== 'en') out.push(el('p', { class: 'hint' }, t('enNote')));
  return out;
}

function stopCountdown() {
  if (timer) clearInterval(timer);
  timer = null;
}

function renderNext(next) {
  stopCountdown();
  const at = $('#next-at');
  if (!next) {
    at.textContent = t('next.none');
    $('#next-left').hidden = true;
    return;
  }
  at.replaceChildren(...splitAround(t('next.at', { time: '\u0000' }), timeEl(next)));
  $('#next-left').hidden = false;
  const target = Date.parse(next);
  const tick = () => {
    const left = target - (Date.now() + view.skew);
    if (left <= 0) {
      stopCountdown();
      $('#countdown').textContent = t('next.now');
      setTimeout(() => load(false), 1500);
      return;
    }
    $('#countdown').textContent = fmtDuration(left);
  };
  tick();
  timer = setInterval(tick, 1000);
}

// The nodes of text with the NUL placeholder replaced by node.
function splitAround(text, node) {
  const [a, b] = text.split('\u0000');
  return [a, node, b ?? ''];
}

function timeline(s, now) {
  const items = [
    { at: s.issued_at, text: t('tl.issued', { office: s.office_name }) },
  ];
  if (s.delivered_at) {
    const how = s.delivered_by === 'published' ? t('tl.deemed') : t(`ev.${s.delivered_by}`);
    items.push({ at: s.delivered_at, text: t('tl.delivered', { how }) });
  }
  if (s.original_report_at)
    items.push({ at: s.original_report_at, text: t('tl.reportFirst'), tz: s.office_timezone });
  items.push({ at: s.report_at, text: t('tl.report', { office: s.office_name }), tz: s.office_timezone, report: true });
  if (s.ended_at) items.push({ at: s.ended_at, text: t('tl.ended', { how: t(`ev.${s.ended_by}`) }) });
  items.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return el('ol', { class: 'timeline' }, items.map((i) => {
    const upcoming = Date.parse(i.at) > now && !s.ended_at;
    return el('li', { class: upcoming ? 'upcoming' : null },
      timeEl(i.at, i.tz), ' ', el('span', {}, i.text),
      upcoming && el('span', { class: 'tag' }, t('sum.upcoming')));
  }));
}

function renderSummonses(list) {
  if (!list.length) return [el('p', {}, t('sum.none'))];
  const now = Date.now() + view.skew;
  return list.map((s) => el('article', { class: 'card summons', 'data-id': s.id },
    el('h3', {}, t('sum.title', { id: s.id }), ' ', stateBadge(s.state)),
    el('dl', { class: 'facts' },
      el('dt', {}, t('sum.purpose')), el('dd', {}, t(`purpose.${s.purpose}`)),
      el('dt', {}, t('sum.office')), el('dd', {}, s.office_name),
      el('dt', {}, t('sum.reportAt')), el('dd', {}, timeEl(s.report_at, s.office_timezone))),
    s.appeal_pending && el('p', { class: 'note' }, t('sum.appeal')),
    el('h4', {}, t('sum.timeline')),
    timeline(s, now)));
}

// Fitness (and the earlier decisions, set aside or replaced), exemptions,
// protections, overrides (an officer summoning the person despite a
// protection, with the reason) and the person's own requests, each with the
// register's explanation.
function renderOther(s) {
  const items = [];
  if (s.fitness?.category) items.push({ title: t('fit.h'), text: s.fitness.explanation });
  for (const f of s.fitness_history || [])
    if (!f.current && f.explanation) items.push({ text: f.explanation, state: f.state });
  for (const key of ['exemptions', 'protections', 'overrides', 'excuses', 'appeals', 'corrections'])
    for (const r of s[key] || [])
      if (r.explanation) items.push({ text: r.explanation, state: r.state });
  $('#other').hidden = !items.length;
  $('#other-list').replaceChildren(...items.map((i) => el('article', { class: 'card' },
    i.title && el('h3', {}, i.title),
    serverText('p', i.text),
    i.state && el('p', { class: 'hint' }, t('other.state', {
      state: has(`dstate.${i.state}`) ? t(`dstate.${i.state}`) : i.state,
    })))));
}

// ---- the access log ----
//
// A person whom the border service, banks and the traffic police check every
// day has thousands of entries (up to 20,000 are loaded). The log is drawn as
// lines, newest first: each change on a line of its own (they are few and
// they matter); reads and checks of one kind (lookKey: the same agency and
// answer for a check, otherwise the same role, office, action and sentence)
// on one day of the reader's calendar, with no change between them, are one
// line where the newest of them is, which opens to each time. The lines are
// made once for each filter (all, changes, agencies' checks; kept in memory
// only), LOG_LINES of them are drawn at a time, and a group's times only
// when it is opened.

const LOG_LINES = 200;  // lines drawn at first, and at each "show older"
const LOG_TIMES = 500;  // times of an opened group drawn at a time
const LOG_FILTERS = {
  all: () => true,
  change: (e) => e.kind === 'change',
  agency: (e) => e.action === 'check' || e.actor_role === 'agency',
};
const logView = { entries: null, filter: 'all', lines: {}, shown: 0 };

const isCheck = (e) => e.action === 'check' && !!e.agency_kind;
const permitted = (e) => !/not permitted/.test(e.description || '');

// The words of a check: who asked, about what, and the answer.
function checkWords(e) {
  return {
    agency: t(`agency.${e.agency_kind}`), what: t(`phrase.${e.agency_kind}`),
    answer: permitted(e) ? t('log.permitted') : t('log.notPermitted'),
  };
}

function logText(e) {
  if (isCheck(e)) return t('log.check', checkWords(e));
  if (getLang() === 'en' || !has(`action.${e.action}`)) return e.description;
  const who = e.actor_role === 'citizen' ? t('log.you') : t(`role.${e.actor_role}`);
  const office = e.actor_office ? ` (${t('log.office', { office: e.actor_office })})` : '';
  const text = t('log.entry', { who: who + office, action: t(`action.${e.action}`) });
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// Entries alike enough to be one line (on one day): checks by the same
// agency with the same answer; other reads by the same role and office,
// of the same action, that read the same.
function lookKey(e) {
  if (isCheck(e)) return `check ${e.agency_kind} ${permitted(e)}`;
  return `${e.kind} ${e.action} ${e.actor_role} ${e.actor_office || ''} ${e.description || ''}`;
}

// The lines of newest (entries, newest first): { entries (newest first),
// min, max (ms), day (a Date of that day) }.
function groupLog(newest) {
  const lines = [];
  let open = new Map(); // day and lookKey -> the line, since the last change
  for (const e of newest) {
    const ms = Date.parse(e.at);
    if (e.kind === 'change') {
      lines.push({ entries: [e], min: ms, max: ms });
      open = new Map();
      continue;
    }
    const day = new Date(ms);
    const key = `${day.getFullYear()}-${day.getMonth()}-${day.getDate()} ${lookKey(e)}`;
    let line = open.get(key);
    if (!line) {
      line = { entries: [], min: ms, max: ms, day };
      open.set(key, line);
      lines.push(line);
    }
    line.entries.push(e);
    if (ms < line.min) line.min = ms;
    if (ms > line.max) line.max = ms;
  }
  return lines;
}

// The lines of the current filter (made once per filter and log), with
// .count, the entries they hold.
function logLines() {
  const f = logView.filter;
  if (!logView.lines[f]) {
    const keep = LOG_FILTERS[f];
    const entries = logView.entries;
    const newest = [];
    for (let i = entries.length - 1; i >= 0; i--) if (keep(entries[i])) newest.push(entries[i]);
    logView.lines[f] = Object.assign(groupLog(newest), { count: newest.length });
  }
  return logView.lines[f];
}

const pad2 = (n) => String(n).padStart(2, '0');
const num = (n) => n.toLocaleString(locale());
const count = (key, n) => tn(key, n, { n: num(n) });
const HM = { hour: '2-digit', minute: '2-digit' };
const HMS = { hour: '2-digit', minute: '2-digit', second: '2-digit' };

// "The border service checked whether you may leave the country — 14 times
// on 3 March 2026 (08:12–21:40). Answer: permitted.", the day a <time>.
function groupText(line) {
  const e = line.entries[0];
  const hm = dateFormat(HM);
  const from = hm.format(line.min);
  const to = hm.format(line.max);
  const vars = {
    times: count('log.times', line.entries.length), day: '\u0000',
    span: from === to ? from : t('log.span', { from, to }),
  };
  const text = isCheck(e)
    ? t('log.group.check', {
      ...vars, ...checkWords(e),
      checked: t(has(`log.checked.${e.agency_kind}`) ? `log.checked.${e.agency_kind}` : 'log.checked'),
    })
    : t('log.group', { ...vars, text: String(logText(e) || '').replace(/\.$/, '') });
  const d = line.day;
  return splitAround(text, el('time', {
    datetime: `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`,
  }, dateFormat({ year: 'numeric', month: 'long', day: 'numeric' }).format(d)));
}

// A button that draws more when pressed ("show older"), or null when
// nothing is left.
function moreButton(key, left, onclick) {
  return left > 0 ? el('button', { type: 'button', class: 'log-more', onclick }, t(key, { n: num(left) })) : null;
}

// The times of an opened group, LOG_TIMES at a time, into its <details>.
function drawTimes(details, line) {
  let list = details.querySelector('.log-times');
  if (!list) {
    list = el('ol', { class: 'log-times' });
    details.append(list);
  }
  details.querySelector('.log-more')?.remove();
  const from = list.childElementCount;
  const upto = Math.min(line.entries.length, from + LOG_TIMES);
  const hms = dateFormat(HMS);
  const items = [];
  for (let i = from; i < upto; i++) {
    const e = line.entries[i];
    items.push(el('li', {}, el('time', { datetime: e.at }, hms.format(Date.parse(e.at))),
      isCheck(e) && ' ', isCheck(e) && el('span', {}, t('log.answer', { answer: checkWords(e).answer }))));
  }
  list.append(...items);
  const more = moreButton('log.moreTimes', line.entries.length - upto, () => {
    drawTimes(details, line);
    const first = list.children[upto]; // reading goes on from what the button drew
    first.tabIndex = -1;
    first.focus();
  });
  if (more) details.append(more);
}

function logLine(line) {
  const e = line.entries[0];
  const cls = `log-${e.kind}${e.action === 'check' ? ' log-check' : ''}`;
  const tag = el('span', { class: 'tag' }, t(`log.${e.kind}`));
  if (line.entries.length === 1)
    return el('li', { class: cls, 'data-action': e.action }, timeEl(e.at), ' ', tag, ' ', el('span', {}, logText(e)));
  const details = el('details', {
    ontoggle: () => { if (details.open && !details.querySelector('.log-times')) drawTimes(details, line); },
  }, el('summary', {}, tag, ' ', el('span', { class: 'log-text' }, groupText(line))));
  return el('li', {
    class: `${cls} log-group`, 'data-action': e.action, 'data-count': line.entries.length,
  }, details);
}

// The next LOG_LINES lines after those drawn, and the "show older" button.
function drawLines(lines) {
  const from = logView.shown;
  logView.shown = Math.min(lines.length, from + LOG_LINES);
  const items = lines.slice(from, logView.shown).map(logLine);
  $('#log').append(...items);
  const left = lines.length - logView.shown;
  const more = $('#log-more');
  more.hidden = left <= 0;
  more.textContent = t('log.more', { n: num(left) });
  return items;
}

function renderLog(entries) {
  if (logView.entries !== entries) {
    logView.entries = entries;
    logView.lines = {};
  }
  for (const b of document.querySelectorAll('#log-filter button'))
    b.setAttribute('aria-pressed', String(b.dataset.filter === logView.filter));
  const list = $('#log');
  $('#log-filter').hidden = !entries.length;
  $('#log-more').hidden = true;
  logView.shown = 0;
  if (!entries.length) {
    $('#log-count').textContent = '';
    list.replaceChildren(el('li', {}, t('log.none')));
    return;
  }
  const lines = logLines();
  $('#log-count').textContent = count('log.count', lines.count);
  list.replaceChildren();
  if (!lines.length) {
    list.append(el('li', {}, t(logView.filter === 'change' ? 'log.noneChange' : 'log.noneAgency')));
    return;
  }
  drawLines(lines);
}

function wireLog() {
  for (const b of document.querySelectorAll('#log-filter button')) {
    b.addEventListener('click', () => {
      logView.filter = b.dataset.filter;
      renderLog(view.log?.entries || []);
      announce($('#log-count').textContent);
    });
  }
  $('#log-more').addEventListener('click', () => {
    const [first] = drawLines(logLines());
    if (first) { // reading goes on from what the button drew
      first.tabIndex = -1;
      first.focus();
    }
  });
}

// ---- requests to the office (excuse, appeal, correction) ----

const OPEN_STATES = new Set(['pending', 'delivered', 'overdue']);

// The summons choices of the excuse and appeal forms: the open summonses.
function renderRequestForms() {
  const open = (view.status?.summonses || []).filter((s) => OPEN_STATES.has(s.state));
  for (const sel of document.querySelectorAll('select.open-summonses')) {
    const keep = sel.value;
    sel.replaceChildren(...open.map((s) =>
      el('option', { value: s.id }, `${s.id} — ${t(`purpose.${s.purpose}`)}`)));
    if (open.some((s) => s.id === keep)) sel.value = keep;
    sel.form.querySelector('.no-open').hidden = open.length > 0;
    for (const c of sel.form.querySelectorAll('.field, button')) c.hidden = !open.length;
  }
}

function formStatus(form, text, kind) {
  const p = form.querySelector('.form-status');
  delete p.dataset.error;
  p.textContent = text;
  p.className = `form-status ${kind || ''}`;
}

// The register refused the request or could not be reached: said in the
// page's language under the form; a 400 that names a field of the form
// marks that field and takes the focus there, as a field left empty does.
const FORM_NAMES = { subject_id: 'summons', summons_id: 'summons' };

function formError(form, err) {
  const p = form.querySelector('.form-status');
  p.className = 'form-status error';
  showErrorIn(p, err);
  const field = err.status === 400 && err.problem?.field;
  const input = field && form.elements[FORM_NAMES[field] || field];
  if (input instanceof Element && !input.hidden) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }
}

// The first of inputs left empty, marked invalid and focused; or null.
function missing(form, inputs) {
  for (const i of inputs) i.removeAttribute('aria-invalid');
  const empty = inputs.find((i) => !i.value.trim());
  if (empty) {
    empty.setAttribute('aria-invalid', 'true');
    formStatus(form, t('req.required'), 'error');
    empty.focus();
  }
  return empty || null;
}

async function sendRequest(form, url, body, okKey) {
  const button = form.querySelector('button[type="submit"]');
  for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
  button.disabled = true;
  formStatus(form, t('loading'));
  try {
    const r = await api.post(url, body);
    form.reset();
    await load(false); // the request shows below, with its state
    formStatus(form, t(okKey, { id: r?.id || r?.case_number || '' }), 'ok');
  } catch (err) {
    formError(form, err);
  } finally {
    button.disabled = false;
  }
}

function optional(v) {
  const s = v.trim();
  return s ? s : undefined;
}

function wireRequestForms() {
  $('#excuse-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = ev.target;
    if (missing(f, [f.elements.summons])) return;
    sendRequest(f, path('/v1/summonses/{id}/excuses', { id: f.elements.summons.value }), {
      reason: f.elements.reason.value, document: optional(f.elements.document.value), note: optional(f.elements.note.value),
    }, 'req.sent.excuse');
  });
  $('#appeal-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = ev.target;
    if (missing(f, [f.elements.summons, f.elements.grounds])) return;
    sendRequest(f, '/v1/appeals', {
      against: 'summons', subject_id: f.elements.summons.value, grounds: f.elements.grounds.value.trim(),
    }, 'req.sent.appeal');
  });
  $('#correction-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = ev.target;
    if (missing(f, [f.elements.proposed_value, f.elements.evidence])) return;
    sendRequest(f, path('/v1/persons/{id}/corrections', { id: view.status.national_id }), {
      field: f.elements.field.value, proposed_value: f.elements.proposed_value.value.trim(), evidence: f.elements.evidence.value.trim(),
    }, 'req.sent.correction');
  });
}

// ---- start ----

initI18n();
document.title = t('portal.doctitle');
document.addEventListener('langchange', () => {
  document.title = t('portal.doctitle');
  if (view.status) render();
});
$('#signout').addEventListener('click', () => signOut(''));
$('#refresh').addEventListener('click', () => load(false));
wireRequestForms();
wireLog();
const farewell = takeFarewell('muster.portal');
if (session.token()) load(false);
else {
  showSignIn();
  if (farewell) {
    showAlert(farewell);
    $('#token')?.focus();
  }
}
