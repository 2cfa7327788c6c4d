// signin.js: how a page gets its bearer token, kept pluggable.
//
// A provider is { id, mount(container, done) }: it draws its own way of
// signing in into container and calls done(token) when it has one. Today
// there is one, tokenProvider (paste a token); the national single sign-on
// would be another provider that redirects and comes back with a token.
// The token lives in sessionStorage only (this tab, gone when it closes),
// never in a URL, a cookie or localStorage.

import { t } from './i18n.js';
import { el } from './ui.js';

export function createSession(key) {
  return {
    token: () => sessionStorage.getItem(key),
    set: (token) => sessionStorage.setItem(key, token),
    clear: () => sessionStorage.removeItem(key),
  };
}

// Paste a token into a password field.
export function tokenProvider(helpKey) {
  return {
    id: 'token',
    mount(container, done) {
      const input = el('input', {
        id: 'token', name: 'token', type: 'password', autocomplete: 'off',
        spellcheck: 'false', required: '', 'aria-describedby': 'token-help token-error',
      });
      const error = el('p', { id: 'token-error', class: 'field-error', hidden: '' });
      const form = el('form', { class: 'stack', id: 'signin-form', novalidate: '' },
        el('div', { class: 'field' },
          el('label', { for: 'token', 'data-i18n': 'signin.token' }, t('signin.token')),
          el('p', { id: 'token-help', class: 'hint', 'data-i18n': helpKey }, t(helpKey)),
          input, error),
        el('button', { type: 'submit', class: 'primary', 'data-i18n': 'signin.submit' }, t('signin.submit')));
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const token = input.value.trim();
        if (!token) {
          error.textContent = t('signin.empty');
          error.hidden = false;
          input.setAttribute('aria-invalid', 'true');
          input.focus();
          return;
        }
        error.hidden = true;
        input.removeAttribute('aria-invalid');
        input.value = '';
        done(token);
      });
      container.append(form);
    },
  };
}

// Draw every provider into container; done(token) when one signs in.
export function mountSignIn(container, providers, done) {
  container.replaceChildren();
  for (const p of providers) p.mount(container, done);
}

// Sign out: forget the token and start the page afresh, so that nothing
// of the person stays in it: no rendered record, no half-typed appeal for
// the next person on a shared phone. The message (why: "your session has
// ended") survives the reload in this tab only.
export function endSession(session, key, message) {
  session.clear();
  sessionStorage.setItem(`${key}.farewell`, message || '');
  location.replace(location.pathname);
}

// The message endSession left for the fresh page, once; null if none.
export function takeFarewell(key) {
  const m = sessionStorage.getItem(`${key}.farewell`);
  if (m !== null) sessionStorage.removeItem(`${key}.farewell`);
  return m;
}
