// api.js: the pages' one door to the register: the public HTTP API, with
// the signed-in user's bearer token, exactly as any other client uses it.
//
// A failed call throws ApiError with the HTTP status and the RFC 9457
// problem document; errorText() turns it into a sentence for the user
// (401 and 403 get their own, plain explanation).

import { t } from './i18n.js';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
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
    } catch {
      throw new ApiError(0, null);
    }
    if (res.ok && asBlob) return res.blob();
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (!res.ok) {
      if (res.status === 401 && onUnauthorized) onUnauthorized();
      throw new ApiError(res.status, data);
    }
    return data;
  }
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body ?? {}),
    blob: (path) => call('GET', path, undefined, true),
  };
}

// A sentence for the user about err (an ApiError or anything thrown).
export function errorText(err) {
  if (!(err instanceof ApiError)) return t('err.generic', { status: '-', detail: String(err?.message || err) });
  if (err.status === 0) return t('err.network');
  if (err.status === 401) return t('err.401');
  if (err.status === 403) return t('err.403', { detail: err.problem?.detail || '' });
  return t('err.generic', { status: err.status, detail: err.problem?.detail || err.message });
}

// path with each {name} replaced by the URL-encoded vars[name].
export function path(template, vars) {
  return template.replace(/\{(\w+)\}/g, (m, k) => encodeURIComponent(vars[k]));
}
