// console.js: the clerk console. A clerk signs in with a staff token and
// works through the public API only:
//   GET  /v1/offices                       (also checks the token at sign-in)
//   GET  /v1/persons?q=                    search by national id or family name
//   GET  /v1/persons/{id}, /history, /status   the person card
//   GET  /v1/summonses/{id}                each summons with its events
//   POST /v1/summonses                     issue
//   POST /v1/summonses/{id}/events         handed, appeared, excused, cancelled
//   GET  /v1/summonses/{id}/pdf            the printable summons
//   GET  /v1/campaigns, /v1/campaigns/{id} campaigns, counts per state (SVG)
// The server decides and audits everything; the page shows what it says,
// including every refusal (401, 403, 400 naming the field).

import { initI18n, t, has } from '/assets/i18n.js';
import { createClient, errorText, path } from '/assets/api.js';
import { createSession, tokenProvider, mountSignIn, endSession, takeFarewell } from '/assets/signin.js';
import {
  el, $, announce, showAlert, fmtTime, fmtDate, timeEl, stateBadge, toLocalInput, fromLocalInput,
  toZoneInput, fromZoneInput,
} from '/assets/ui.js';
import { barChart } from '/console/chart.js';

const session = createSession('muster.console.token');
const api = createClient(session, () => signOut(t('err.401')));
const RECORD_FIELDS = ['national_id', 'family_name', 'given_name', 'patronymic', 'birth_date',
  'sex', 'region', 'office', 'address', 'phone', 'email', 'fitness', 'status'];
const EVENT_TYPES = ['handed', 'appeared', 'excused', 'cancelled'];
const OPEN_STATES = new Set(['pending', 'delivered', 'overdue']);
const STATES = ['pending', 'delivered', 'overdue', 'reported', 'excused', 'cancelled'];

const view = {
  offices: [], results: null, person: null, history: null, status: null, summonses: [],
  campaigns: null, campaign: null, tab: 'persons',
};

// ---- sign-in ----

function showSignIn() {
  $('#app').hidden = true;
  $('#signin').hidden = false;
  mountSignIn($('#signin-providers'), [tokenProvider('console.signinHelp')], signIn);
}

// The sections each role may use (the API decides; the page only leaves
// out what would answer 403).
const TABS = { persons: ['admin', 'clerk'], campaigns: ['admin', 'commissar'] };

function renderWhoami() {
  const me = view.me;
  if (!me) return;
  const role = has(`role.${me.role}`) ? t(`role.${me.role}`) : me.role;
  $('#whoami').textContent = me.office ? t('console.whoOffice', { role, office: me.office })
    : t('console.who', { role });
}

async function signIn(token) {
  session.set(token);
  showAlert('');
  try {
    view.me = await api.get('/v1/whoami');
    const tabs = Object.keys(TABS).filter((k) => TABS[k].includes(view.me.role));
    if (!tabs.length) {
      session.clear();
      showSignIn();
      showAlert(t('console.notForRole', { role: has(`role.${view.me.role}`) ? t(`role.${view.me.role}`) : view.me.role }));
      return;
    }
    const o = await api.get('/v1/offices');
    view.offices = o.offices || [];
    for (const b of document.querySelectorAll('[data-tab]')) b.hidden = !tabs.includes(b.dataset.tab);
    $('#signin').hidden = true;
    $('#app').hidden = false;
    renderWhoami();
    renderOffices();
    showTab(tabs[0]);
    $(tabs[0] === 'persons' ? '#search-h' : '#camp-list-h')?.focus();
  } catch (err) {
    if (err.status !== 401) {
      session.clear();
      showAlert(errorText(err));
    }
  }
}

function signOut(message) {
  endSession(session, 'muster.console', message);
}

// ---- tabs ----

function showTab(name) {
  view.tab = name;
  for (const b of document.querySelectorAll('[data-tab]')) {
    if (b.dataset.tab === name) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  $('#tab-persons').hidden = name !== 'persons';
  $('#tab-campaigns').hidden = name !== 'campaigns';
  if (name === 'campaigns') loadCampaigns();
}

// ---- search ----

async function search(ev) {
  ev.preventDefault();
  // the register folds case, 'ё' and hyphens itself (docs/api.md)
  const q = $('#q').value.trim();
  if (!q) {
    $('#q').focus();
    return;
  }
  showAlert('');
  try {
    const r = await api.get(`/v1/persons?limit=20&q=${encodeURIComponent(q)}`);
    view.results = r.persons || [];
    view.more = r.next != null;
    renderResults();
  } catch (err) {
    showAlert(errorText(err));
  }
}

function personName(p) {
  return [p.family_name, p.given_name, p.patronymic].filter(Boolean).join(' ');
}

function renderResults() {
  const list = view.results;
  if (!list) return;
  $('#search-count').textContent = !list.length ? t('search.none')
    : view.more ? t('search.more', { n: list.length }) : t('search.count', { n: list.length });
  $('#results').replaceChildren(...list.map((p) => el('li', {},
    el('button', { type: 'button', 'data-id': p.national_id, onclick: () => openPerson(p.national_id) },
      el('strong', {}, p.national_id), ' — ', personName(p),
      el('span', { class: 'sub' }, `${fmtDate(p.birth_date)} · ${p.office}`)))));
}

// ---- the person card ----

async function openPerson(id, keepFocus) {
  showAlert('');
  try {
    const [person, history, status] = await Promise.all([
      api.get(path('/v1/persons/{id}', { id })),
      api.get(path('/v1/persons/{id}/history', { id })),
      api.get(path('/v1/persons/{id}/status', { id })),
    ]);
    const summonses = await Promise.all((status.summonses || []).map((s) =>
      api.get(path('/v1/summonses/{id}', { id: s.id }))));
    Object.assign(view, { person, history, status, summonses });
    renderCard();
    $('#card').hidden = false;
    resetIssueForm();
    if (!keepFocus) {
      $('#card-h').focus();
      announce(t('card.loaded', { id }));
    }
  } catch (err) {
    showAlert(errorText(err));
  }
}

function renderCard() {
  const p = view.person;
  if (!p) return;
  $('#card-h').textContent = `${personName(p)} · ${p.national_id}`;
  $('#record').replaceChildren(...RECORD_FIELDS.flatMap((f) => [
    el('dt', {}, t(`field.${f}`)),
    el('dd', { class: f === 'national_id' ? 'mono' : null },
      f === 'birth_date' ? fmtDate(p[f]) : (p[f] || '—')),
  ]));
  $('#record-source').textContent = t('card.source', { source: p.source || '—', version: p.version });
  renderRestrictions();
  renderBars();
  renderSummonses();
  renderHistory();
}

function renderRestrictions() {
  const list = view.status?.restrictions || [];
  $('#card-restr').replaceChildren(...(list.length ? list.map((r) =>
    el('article', { class: 'card restriction', 'data-kind': r.kind },
      el('h3', {}, has(`kind.${r.kind}`) ? t(`kind.${r.kind}`) : r.kind),
      el('p', {}, t('restr.since'), ': ', timeEl(r.since)),
      el('p', { lang: 'en' }, r.explanation))) : [el('p', { class: 'ok-text' }, t('restr.none'))]));
}

// Protections and exemptions of the status that bar issuing, with the
// purposes each bars.
function bars() {
  const s = view.status || {};
  const out = [];
  for (const p of s.protections || []) out.push({ text: p.explanation, purposes: p.purposes || [] });
  for (const e of s.exemptions || [])
    if (!e.state || e.state === 'active') out.push({ text: e.explanation, purposes: e.bars || [] });
  return out;
}

function renderBars() {
  const list = bars();
  $('#bars-list').replaceChildren(list.length
    ? el('ul', { class: 'bars-list' }, list.map((b) => el('li', { lang: 'en' }, b.text)))
    : el('p', { class: 'hint' }, t('issue.noBars')));
  checkPurpose();
}

function checkPurpose() {
  const purpose = $('#issue-purpose').value;
  const hit = bars().some((b) => b.purposes.includes(purpose));
  $('#issue-warn').textContent = hit ? t('issue.barWarn') : '';
}

function renderOffices() {
  const sel = $('#issue-office');
  const current = sel.value;
  const own = view.person?.office || '';
  sel.replaceChildren(el('option', { value: '' }, t('issue.officeSame', { office: own || '—' })),
    ...view.offices.map((o) => el('option', { value: o.id }, `${o.id} — ${o.name}`)));
  sel.value = current;
}

// The zone the report time is entered in: the office the summons will
// name (the chosen one, or the person's), whose wall clock the person reads
// on the paper and the server counts days in.
function issueZone() {
  const id = $('#issue-office').value || view.person?.office || '';
  const o = view.offices.find((x) => x.id === id);
  return { id, zone: o?.timezone || 'UTC' };
}

function labelIssueZone() {
  const { id, zone } = issueZone();
  $('#issue-report-label').textContent = t('issue.reportAt', { office: id || '—', zone });
}

function resetIssueForm() {
  renderOffices();
  $('#issue-office').value = '';
  const { zone } = issueZone();
  const day = toZoneInput(new Date(Date.now() + 7 * 86400000), zone).slice(0, 10);
  $('#issue-report').value = `${day}T10:00`;
  labelIssueZone();
  $('#issue-error').hidden = true;
  $('#issue-report').removeAttribute('aria-invalid');
  cancelIssue();
}

async function issue(ev) {
  ev.preventDefault();
  const err = $('#issue-error');
  const reportAt = fromZoneInput($('#issue-report').value, issueZone().zone);
  if (!reportAt) {
    err.textContent = t('issue.needReport');
    err.hidden = false;
    $('#issue-report').setAttribute('aria-invalid', 'true');
    $('#issue-report').focus();
    return;
  }
  err.hidden = true;
  $('#issue-report').removeAttribute('aria-invalid');
  const body = {
    national_id: view.person.national_id, purpose: $('#issue-purpose').value, report_at: reportAt,
  };
  if ($('#issue-office').value) body.office = $('#issue-office').value;
  // a summons has legal weight: say what will be issued, and warn of an
  // open summons for the same purpose, before issuing it
  const { id: office, zone } = issueZone();
  const p = view.person;
  $('#issue-confirm-text').textContent = t('issue.confirm', {
    purpose: t(`purpose.${body.purpose}`), name: `${p.family_name} ${p.given_name}`.trim(),
    id: p.national_id, office, time: fmtTime(reportAt, zone),
  });
  const same = view.summonses.filter((s) => s.purpose === body.purpose && OPEN_STATES.has(s.state));
  $('#issue-confirm-warn').hidden = !same.length;
  $('#issue-confirm-warn').textContent = same.length
    ? t('issue.confirmSame', { ids: same.map((s) => s.id).join(', ') }) : '';
  view.pendingIssue = body;
  $('#issue-confirm').hidden = false;
  $('#issue-submit').hidden = true;
  $('#issue-confirm-yes').focus();
}

function cancelIssue() {
  view.pendingIssue = null;
  $('#issue-confirm').hidden = true;
  $('#issue-submit').hidden = false;
}

async function confirmIssue() {
  const body = view.pendingIssue;
  if (!body) return;
  const button = $('#issue-confirm-yes');
  button.disabled = true;
  try {
    const s = await api.post('/v1/summonses', body);
    await openPerson(view.person.national_id, true);
    const msg = t('issue.done', { id: s.id });
    showAlert(msg, 'ok');
    announce(msg);
    $(`[data-summons="${s.id}"] h3`)?.focus();
  } catch (e) {
    showAlert(errorText(e));
  } finally {
    button.disabled = false;
    cancelIssue();
  }
}

function eventItem(e) {
  const extra = [];
  if (e.new_report_at) extra.push(` → ${fmtTime(e.new_report_at)}`);
  if (e.outcome) extra.push(` (${e.outcome})`);
  if (e.reference) extra.push(` · ${e.reference}`);
  return el('li', { 'data-type': e.type }, timeEl(e.at), ' ',
    el('span', {}, has(`ev.${e.type}`) ? t(`ev.${e.type}`) : e.type), ...extra, ' ',
    el('span', { class: 'tag' }, t('ev.by', { role: has(`role.${e.recorded_by}`) ? t(`role.${e.recorded_by}`) : e.recorded_by })));
}

function eventForm(s) {
  const id = s.id;
  const ids = (n) => `ev-${n}-${id}`;
  const type = el('select', { id: ids('type'), name: 'type' },
    EVENT_TYPES.map((ty) => el('option', { value: ty }, t(`ev.${ty}`))));
  const at = el('input', { id: ids('at'), name: 'at', type: 'datetime-local', step: '1', required: true,
    value: toLocalInput(new Date()) });
  // untouched, "when" is the moment of recording, not of drawing the card
  at.addEventListener('input', () => { at.dataset.touched = '1'; });
  const nra = el('input', { id: ids('nra'), name: 'new_report_at', type: 'datetime-local', step: '60' });
  const nraField = el('div', { class: 'field', hidden: true },
    el('label', { for: ids('nra') }, t('ev.newReportAt', { zone: s.office_timezone || 'UTC' })), nra);
  const ref = el('input', { id: ids('ref'), name: 'reference', type: 'text', maxlength: '120', autocomplete: 'off' });
  type.addEventListener('change', () => { nraField.hidden = type.value !== 'excused'; });
  const form = el('form', { class: 'stack event-form', novalidate: true },
    el('fieldset', {},
      el('legend', {}, t('ev.h')),
      el('div', { class: 'row' },
        el('div', { class: 'field' }, el('label', { for: ids('type') }, t('ev.type')), type),
        el('div', { class: 'field' }, el('label', { for: ids('at') }, t('ev.at')), at)),
      nraField,
      el('div', { class: 'field' }, el('label', { for: ids('ref') }, t('ev.reference')), ref),
      el('button', { type: 'submit', class: 'primary' }, t('ev.submit'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!at.dataset.touched) at.value = toLocalInput(new Date());
    recordEvent(s, { type: type.value, at: fromLocalInput(at.value),
      new_report_at: type.value === 'excused' ? fromZoneInput(nra.value, s.office_timezone || 'UTC') : null,
      reference: ref.value.trim() }, form);
  });
  return form;
}

async function recordEvent(s, fields, form) {
  if (!fields.at) {
    showAlert(t('ev.needAt'));
    return;
  }
  if (fields.type === 'cancelled' && !fields.reference) {
    const ref = form.querySelector('input[name="reference"]');
    ref.setAttribute('aria-invalid', 'true');
    ref.focus();
    showAlert(t('ev.needReason'));
    return;
  }
  const body = { type: fields.type, at: fields.at };
  if (fields.new_report_at) body.new_report_at = fields.new_report_at;
  if (fields.reference) body.reference = fields.reference;
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    await api.post(path('/v1/summonses/{id}/events', { id: s.id }), body);
    await openPerson(view.person.national_id, true);
    const msg = t('ev.done', { type: t(`ev.${fields.type}`), id: s.id });
    showAlert(msg, 'ok');
    announce(msg);
    $(`[data-summons="${s.id}"] h3`)?.focus();
  } catch (e) {
    showAlert(errorText(e));
    button.disabled = false;
  }
}

// The printable summons (GET /v1/summonses/{id}/pdf needs the token, so
// the page fetches it and hands the bytes to the browser as a download).
async function downloadPdf(s, button) {
  button.disabled = true;
  try {
    const blob = await api.blob(path('/v1/summonses/{id}/pdf', { id: s.id }));
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: `${s.id}.pdf`, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    announce(t('pdf.done', { id: s.id }));
  } catch (e) {
    showAlert(errorText(e));
  } finally {
    button.disabled = false;
  }
}

function renderSummonses() {
  const list = [...view.summonses].sort((a, b) => Date.parse(b.issued_at) - Date.parse(a.issued_at));
  if (!list.length) {
    $('#card-sums').replaceChildren(el('p', {}, t('card.noSums')));
    return;
  }
  $('#card-sums').replaceChildren(...list.map((s) => el('article', { class: 'card summons', 'data-summons': s.id },
    el('h3', { tabindex: '-1' }, t('sum.title', { id: s.id }), ' ', stateBadge(s.state)),
    el('dl', { class: 'facts' },
      el('dt', {}, t('sum.purpose')), el('dd', {}, t(`purpose.${s.purpose}`)),
      el('dt', {}, t('sum.office')), el('dd', {}, `${s.office} — ${s.office_name}`),
      el('dt', {}, t('sum.reportAt')), el('dd', {}, timeEl(s.report_at, s.office_timezone)),
      el('dt', {}, t('sum.code')), el('dd', { class: 'mono' }, s.verification_code || '—')),
    s.appeal_pending && el('p', { class: 'note' }, t('sum.appeal')),
    el('p', {}, el('button', { type: 'button', class: 'pdf', onclick: (ev) => downloadPdf(s, ev.currentTarget) },
      t('pdf.download'))),
    el('h4', {}, t('sum.timeline')),
    el('ol', { class: 'timeline' }, (s.events || []).map(eventItem)),
    OPEN_STATES.has(s.state) && eventForm(s))));
}

function renderHistory() {
  const versions = [...(view.history?.versions || [])].sort((a, b) => a.version - b.version);
  const items = versions.map((v, i) => {
    const prev = versions[i - 1];
    const changed = prev ? RECORD_FIELDS.filter((f) => (prev[f] ?? '') !== (v[f] ?? '')) : [];
    return el('li', {},
      el('strong', {}, t('hist.version', { v: v.version })), ' ',
      el('span', {}, t('hist.from', { time: fmtTime(v.valid_from), source: v.source || '—' })),
      el('span', { class: 'sub' }, ' ', prev
        ? t('hist.changed', { fields: changed.map((f) => t(`field.${f}`)).join(', ') || '—' })
        : t('hist.first')));
  });
  $('#history').replaceChildren(...items.reverse());
}

// ---- campaigns ----

async function loadCampaigns() {
  showAlert('');
  try {
    const r = await api.get('/v1/campaigns');
    view.campaigns = r.campaigns || [];
    renderCampaigns();
  } catch (err) {
    view.campaigns = null;
    $('#camp-list').replaceChildren();
    showAlert(errorText(err));
  }
}

function renderCampaigns() {
  if (!view.campaigns) return;
  $('#camp-list').replaceChildren(...(view.campaigns.length ? view.campaigns.map((c) => el('li', {},
    el('button', { type: 'button', 'data-id': c.id, onclick: () => openCampaign(c.id) },
      el('strong', {}, c.name), ' ', el('span', { class: 'tag' }, campaignState(c.state)),
      el('span', { class: 'sub' }, `${c.id} · ${t('camp.selected')}: ${c.selected} · ${t('camp.issued')}: ${c.issued}`))))
    : [el('li', {}, t('camp.none'))]));
  if (view.campaign) renderCampaign();
}

function campaignState(state) {
  return has(`cstate.${state}`) ? t(`cstate.${state}`) : state;
}

async function openCampaign(id) {
  showAlert('');
  try {
    view.campaign = await api.get(path('/v1/campaigns/{id}', { id }));
    renderCampaign();
    $('#camp-detail').hidden = false;
    $('#camp-h').focus();
  } catch (err) {
    showAlert(errorText(err));
  }
}

function renderCampaign() {
  const c = view.campaign;
  $('#camp-h').textContent = c.name;
  $('#camp-facts').replaceChildren(
    el('dt', {}, t('sum.state')), el('dd', {}, campaignState(c.state)),
    el('dt', {}, t('sum.purpose')), el('dd', {}, t(`purpose.${c.purpose}`)),
    el('dt', {}, t('sum.reportAt')), el('dd', {}, `${fmtTime(c.report_from)} — ${fmtTime(c.report_to)}`),
    el('dt', {}, t('camp.quota')), el('dd', {}, String(c.quota)),
    el('dt', {}, t('camp.selected')), el('dd', {}, String(c.selected)),
    el('dt', {}, t('camp.issued')), el('dd', {}, String(c.issued)),
    c.reported !== undefined && el('dt', {}, t('camp.reported')),
    c.reported !== undefined && el('dd', {}, String(c.reported)));
  const by = c.counts?.by_state;
  if (!by) {
    $('#camp-chart').replaceChildren(el('p', { class: 'hint' }, t('camp.noCounts')));
    $('#camp-table').replaceChildren();
    return;
  }
  const keys = [...STATES, ...Object.keys(by).filter((k) => !STATES.includes(k))];
  const rows = keys.filter((k) => k in by).map((k) => ({ key: k, label: t(`state.${k}`), value: by[k] }));
  $('#camp-chart').replaceChildren(barChart(rows, `${t('camp.chart')}: ${c.name}`, 'camp-svg'));
  $('#camp-table').replaceChildren(
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, t('sum.state')),
      el('th', { scope: 'col', class: 'num' }, t('camp.count')))),
    el('tbody', {}, rows.map((r) => el('tr', {}, el('th', { scope: 'row' }, r.label),
      el('td', { class: 'num' }, String(r.value))))));
}

// ---- start ----

function rerender() {
  document.title = t('console.doctitle');
  renderWhoami();
  renderResults();
  if (view.person) {
    renderOffices();
    labelIssueZone();
    renderCard();
  }
  renderCampaigns();
}

initI18n();
document.title = t('console.doctitle');
document.addEventListener('langchange', rerender);
$('#signout').addEventListener('click', () => signOut(''));
$('#search-form').addEventListener('submit', search);
$('#issue-form').addEventListener('submit', issue);
$('#issue-purpose').addEventListener('change', checkPurpose);
$('#issue-office').addEventListener('change', labelIssueZone);
$('#issue-confirm-yes').addEventListener('click', confirmIssue);
$('#issue-confirm-no').addEventListener('click', () => { cancelIssue(); $('#issue-submit').focus(); });
for (const f of ['#issue-purpose', '#issue-office', '#issue-report'])
  $(f).addEventListener('input', cancelIssue);
for (const b of document.querySelectorAll('[data-tab]'))
  b.addEventListener('click', () => showTab(b.dataset.tab));
const farewell = takeFarewell('muster.console');
if (session.token()) signIn(session.token());
else {
  showSignIn();
  if (farewell) {
    showAlert(farewell);
    $('#token')?.focus();
  }
}
