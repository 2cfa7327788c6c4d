// ui.js: small DOM and formatting helpers shared by the pages.
//
// Pages build their markup with el(), never with innerHTML, so that text
// from the server is always text, and never with style attributes, which
// the Content-Security-Policy forbids. Times come from the API as RFC 3339
// UTC instants and are shown in the reader's language, in the reader's
// own time zone unless a zone (an office's) is given.

import { t, locale, getLang } from './i18n.js';
import { explainError } from './api.js';

// An element: attrs are attributes (null/false: left out; a function under
// an "on..." name: a listener); children are nodes or strings.
export function el(tag, attrs = {}, ...children) {
  const isSvg = tag.startsWith('svg:');
  const node = isSvg
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function' && k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export const $ = (sel, root = document) => root.querySelector(sel);

// Say msg to screen readers (the page's polite live region).
export function announce(msg) {
  const s = $('#status');
  if (!s) return;
  s.textContent = '';
  setTimeout(() => { s.textContent = msg; }, 30);
}

// The page's alert box: msg, or hidden when msg is empty.
export function showAlert(msg, kind = 'error') {
  const a = $('#alert');
  delete a.dataset.error;
  a.textContent = msg || '';
  a.className = `alert ${kind}`;
  a.hidden = !msg;
}

// ---- errors told to a citizen (explainError in api.js) ----

const shownErrors = new WeakMap(); // node -> the error it shows

// The explanation of err into node: the sentence in the page's language,
// and under it, smaller, the technical detail (the register's own line,
// in English, with the request id) for support. It is said again in the
// new language when the language changes, while node still shows it
// (writing anything else into node must delete node.dataset.error).
export function showErrorIn(node, err) {
  shownErrors.set(node, err);
  node.dataset.error = '';
  drawError(node);
}

function drawError(node) {
  const { text, detail, requestId } = explainError(shownErrors.get(node));
  const id = requestId && `(${t('err.requestId', { id: requestId })})`;
  node.replaceChildren(
    el('span', { class: 'error-text' }, text),
    (detail || id) && el('small', { class: 'error-detail' }, t('err.tech'), ' ',
      detail && el('span', { lang: getLang() === 'en' ? null : 'en' }, detail),
      detail && id && ' ', id));
}

// The page's alert box showing err, for a citizen.
export function showError(err) {
  const a = $('#alert');
  a.className = 'alert error';
  a.hidden = false;
  showErrorIn(a, err);
}

document.addEventListener('langchange', () => {
  for (const node of document.querySelectorAll('[data-error]'))
    if (shownErrors.has(node)) drawError(node);
});

// An Intl.DateTimeFormat of the page's language with opts, made once (making
// one is slow, and a long access log formats thousands of times).
const formats = new Map();
export function dateFormat(opts) {
  const key = `${locale()} ${JSON.stringify(opts)}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale(), opts);
    formats.set(key, f);
  }
  return f;
}

const TIME_OPTS = {
  year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit',
  minute: '2-digit', timeZoneName: 'short',
};

// A date and time for people, with the zone named.
export function fmtTime(iso, timeZone) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  try {
    return dateFormat(timeZone ? { ...TIME_OPTS, timeZone } : TIME_OPTS).format(d);
  } catch {
    return dateFormat(TIME_OPTS).format(d);
  }
}

// A calendar date YYYY-MM-DD for people.
export function fmtDate(ymd) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd || '');
  if (!m) return ymd || '';
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'long', timeZone: 'UTC' }).format(d);
}

// A <time> element for an instant.
export function timeEl(iso, timeZone) {
  return el('time', { datetime: iso }, fmtTime(iso, timeZone));
}

// "3 d 4 h 5 min 6 s" for ms milliseconds (whole seconds, never negative).
export function fmtDuration(ms) {
  let s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  const parts = [];
  if (d) parts.push(t('dur.d', { n: d }));
  if (d || h) parts.push(t('dur.h', { n: h }));
  if (d || h || m) parts.push(t('dur.m', { n: m }));
  parts.push(t('dur.s', { n: s }));
  return parts.join(' ');
}

const pad = (n) => String(n).padStart(2, '0');

// The value of an <input type="datetime-local" step="1"> for a Date.
export function toLocalInput(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// An RFC 3339 UTC instant from a datetime-local value (the browser's zone).
export function fromLocalInput(v) {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// A badge for a summons state.
export function stateBadge(state) {
  return el('span', { class: `badge state-${state}`, 'data-state': state }, t(`state.${state}`));
}

// ---- wall-clock time in a named zone (an office's IANA zone) ----

// The zone's wall clock at instant ms, as if it were UTC (ms).
function wallMs(zone, ms) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(ms));
  const v = Object.fromEntries(parts.map((p) => [p.type, p.value]));
  return Date.UTC(+v.year, +v.month - 1, +v.day, +v.hour, +v.minute, +v.second);
}

// A datetime-local value of instant d on the wall clock of zone.
export function toZoneInput(d, zone) {
  const w = new Date(wallMs(zone, d.getTime()));
  return `${w.getUTCFullYear()}-${pad(w.getUTCMonth() + 1)}-${pad(w.getUTCDate())}` +
    `T${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())}:${pad(w.getUTCSeconds())}`;
}

// The RFC 3339 UTC instant of a datetime-local value read on the wall clock
// of zone (a time skipped by a clock change moves forward, as the server's
// Rule D does with 00:00). null if v is not a time.
export function fromZoneInput(v, zone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(v || '');
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
  let t = wall - (wallMs(zone, wall) - wall);
  t = wall - (wallMs(zone, t) - t);
  if (wallMs(zone, t) < wall) t += wall - wallMs(zone, t);
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
