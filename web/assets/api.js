// api.js: the pages' one door to the register: the public HTTP API, with
// the signed-in user's bearer token, exactly as any other client uses it.
//
// A failed call throws ApiError with the HTTP status and the RFC 9457
// problem document. errorText() turns it into one line for staff (the
// console: the register's own detail, in English). explainError() turns it
// into what a citizen is told (the portal, the verify page): a sentence in
// the page's language chosen by the status (and, for 400, the field the
// problem names), with the register's detail and request id kept apart as
// the technical detail that support may ask for.

import { t, tn, has } from './i18n.js';

// status 0: the request never got an answer (fetch rejected: no network,
// the server down, the request blocked); cause is what fetch threw.
// retryAfter: the seconds of a Retry-After header (429, 503), or null.
export class ApiError extends Error {
  constructor(status, problem, { retryAfter = null, requestId = null, cause } = {}) {
    super(problem?.detail || `HTTP ${status}`, cause === undefined ? undefined : { cause });
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter;
    this.requestId = problem?.request_id || requestId || null;
  }
}

// The seconds a Retry-After header asks to wait (delay-seconds or an
// HTTP date), or null when there is none.
function retryAfterOf(res) {
  const v = (res.headers.get('Retry-After') || '').trim();
  if (!v) return null;
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

// A client whose calls carry session.token(). onUnauthorized() is called
// on a 401 (the token is unknown or revoked) before the error is thrown.
export function createClient(session, onUnauthorized) {
  async function call(method, path, body, asBlob) {
    const headers = { Accept: asBlob ? '*/*' : 'application/json' };
    const token = session.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(path, {
        method, headers, cache: 'no-store', credentials: 'omit',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, null, { cause: e });
    }
    if (res.ok && asBlob) return res.blob();
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (!res.ok) {
      if (res.status === 401 && onUnauthorized) onUnauthorized();
      throw new ApiError(res.status, data, {
        retryAfter: retryAfterOf(res), requestId: res.headers.get('X-Request-Id'),
      });
    }
    return data;
  }
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body ?? {}),
    blob: (path) => call('GET', path, undefined, true),
  };
}

// A sentence for staff about err (an ApiError or anything thrown).
export function errorText(err) {
  if (!(err instanceof ApiError)) return t('err.generic', { status: '-', detail: String(err?.message || err) });
  if (err.status === 0) return t('err.network');
  if (err.status === 401) return t('err.401');
  if (err.status === 403) return t('err.403', { detail: err.problem?.detail || '' });
  return t('err.generic', { status: err.status, detail: err.problem?.detail || err.message });
}

// The sentence of a status for a citizen: err.status.<key> in i18n.js.
function statusKey(s) {
  if (s === 0) return 'network';
  if ([400, 401, 403, 404, 409].includes(s)) return String(s);
  if (s === 413 || s === 414 || s === 431) return '413';
  if (s === 429) return '429';
  if (s >= 500) return '5xx';
  return 'other';
}

// The name of a problem's field in the page's language, or null when the
// pages have no name for it (the sentence then names no field).
function fieldName(field) {
  if (!field) return null;
  if (has(`err.field.${field}`)) return t(`err.field.${field}`);
  if (has(`field.${field}`)) return t(`field.${field}`);
  return null;
}

// What a citizen is told about err (an ApiError or anything thrown), in
// the page's language: { text, detail, requestId }. text is the sentence
// (for 429 and 5xx with when to try again); detail is the register's own
// line (English) or what fetch threw, '' when there is none; requestId is
// the id support finds the request by, or null.
export function explainError(err) {
  if (!(err instanceof ApiError))
    return { text: t('err.page'), detail: String(err?.message || err || ''), requestId: null };
  const s = err.status;
  const key = statusKey(s);
  const field = s === 400 ? fieldName(err.problem?.field) : null;
  let text;
  if (field) text = t('err.status.400.field', { field });
  else if (key === '401') text = t('err.401'); // the portal signs out, saying so
  else text = t(`err.status.${key}`, { status: s });
  if (key === '429' || key === '5xx') {
    text += ' ' + (err.retryAfter != null
      ? tn('err.retryIn', Math.max(1, err.retryAfter)) : t(`err.status.${key}.wait`));
  }
  const detail = s === 0 ? String(err.cause?.message || '') : (err.problem?.detail || `HTTP ${s}`);
  return { text, detail, requestId: err.requestId };
}

// path with each {name} replaced by the URL-encoded vars[name].
export function path(template, vars) {
  return template.replace(/\{(\w+)\}/g, (m, k) => encodeURIComponent(vars[k]));
}
