// verify.js: the public check of a paper summons. Anyone with the code
// printed on it (or its QR code) asks GET /v1/verify/{code}, with no token:
// the answer says whether the summons is genuine and still in force, and
// which office, purpose and report time it names, never whom it is for.
// The code may come in the page's address (/verify?code=...).

import { initI18n, t, has } from '/assets/i18n.js';
import { createClient, path } from '/assets/api.js';
import { el, $, announce, showAlert, showError, timeEl, stateBadge } from '/assets/ui.js';

const api = createClient({ token: () => null });
let last = null;

function render() {
  if (!last) return;
  const r = last;
  $('#result').hidden = false;
  $('#result-h').textContent = r.valid ? t('verify.valid') : r.office ? t('verify.invalid') : t('verify.noneH');
  $('#result-h').className = r.valid ? 'ok-text' : 'lead bad';
  $('#result-facts').replaceChildren(...(r.office ? [
    el('dt', {}, t('sum.state')), el('dd', {}, stateBadge(r.state)),
    el('dt', {}, t('sum.office')), el('dd', {}, r.office_name || r.office),
    el('dt', {}, t('sum.purpose')), el('dd', {}, has(`purpose.${r.purpose}`) ? t(`purpose.${r.purpose}`) : r.purpose),
    el('dt', {}, t('verify.issued')), el('dd', {}, timeEl(r.issued_at, r.office_timezone)),
    el('dt', {}, t('sum.reportAt')), el('dd', {}, timeEl(r.report_at, r.office_timezone)),
  ] : [el('dt', {}, t('verify.why')), el('dd', {}, t('verify.noSuch'))]));
}

async function check(code) {
  showAlert('');
  const err = $('#code-error');
  const input = $('#code');
  code = code.replace(/[\s-]/g, '');
  if (!/^[A-Za-z0-9]{8,40}$/.test(code)) {
    err.textContent = t('verify.bad');
    err.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  err.hidden = true;
  input.removeAttribute('aria-invalid');
  try {
    last = await api.get(path('/v1/verify/{code}', { code: code.toUpperCase() }));
    history.replaceState(null, '', `${location.pathname}?code=${encodeURIComponent(code.toUpperCase())}`);
    render();
    $('#result-h').focus();
    announce($('#result-h').textContent);
  } catch (e) {
    showError(e);
  }
}

initI18n();
document.title = t('verify.doctitle');
document.addEventListener('langchange', () => {
  document.title = t('verify.doctitle');
  render();
});
$('#verify-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  check($('#code').value.trim());
});
const given = new URLSearchParams(location.search).get('code');
if (given) {
  $('#code').value = given;
  check(given.trim());
}
