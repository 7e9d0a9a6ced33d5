// xephang administration page (admin.html): what every section shares — calling the admin API
// with the supervisor's token, showing the server's refusal on the field it names (`field` in
// the error body) or on the form, the "saved" line, and the one dialog (confirm a change, or
// show a one-time secret: a PIN, a device's address) with the focus kept inside it.
import { api as rawApi, ApiError, L, esc, i18n, $ } from '/assets/client.js';

/** The session: the supervisor's token, set by admin.js once signed in. */
export const session = { token: '' };

/** The admin API with the session's token. */
export const api = (method, path, body) => rawApi(method, path, body, { token: session.token });

/**
 * A request with a raw body (a photo): the same error handling as api().
 */
export async function putBytes(path, file) {
  let res;
  try {
    res = await fetch(path, {
      method: 'PUT', body: file, cache: 'no-store',
      headers: { Authorization: `Bearer ${session.token}`, 'Content-Type': file.type || 'application/octet-stream', 'Accept-Language': i18n.lang },
    });
  } catch {
    throw new ApiError('network', L('Không kết nối được tới máy chủ. Vui lòng thử lại.', 'Cannot reach the server. Please try again.'), 0);
  }
  if (res.ok) return null;
  let e = null;
  try { e = (await res.json()).error; } catch { /* not JSON */ }
  const err = new ApiError(e?.code || `http_${res.status}`, e?.message || L(`Lỗi máy chủ (${res.status})`, `Server error (${res.status})`), res.status);
  err.field = e?.field;
  throw err;
}

/** Removes every error shown in `form`. */
export function clearErrors(form) {
  for (const el of form.querySelectorAll('.ferr')) el.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  form.querySelector('.ok-line')?.remove();
}

/** The element of `form` that shows field `name`: exact, else its first part
 * (`hours[1]` → `hours`, `appointments.slot_min` → `appointments.slot_min`, then `appointments`). */
function fieldBox(form, name) {
  if (!name) return null;
  const tries = [name, name.replace(/\[\d+\]/g, ''), name.split(/[.[]/)[0]];
  for (const t of tries) {
    const sel = `[data-field="${CSS.escape(t)}"]`;
    const el = form.matches(sel) ? form : form.querySelector(sel);
    if (el) return el;
  }
  return null;
}

/**
 * Shows a refused request on `form`: on the field the server named (its input marked
 * invalid and focused), else on the form's own error line. Returns the element used.
 */
export function showError(form, err, focus = true) {
  const box = fieldBox(form, err.field);
  const line = box?.querySelector('.ferr') || form.querySelector('.form-err');
  if (line) line.textContent = err.message;
  const input = box?.querySelector('input, select, textarea, button:not(:disabled)');
  if (input) { input.setAttribute('aria-invalid', 'true'); if (focus) input.focus(); }
  return line;
}

// A refusal stays shown when its section is drawn again (another supervisor's change, or this
// page's own event arriving after the answer): kept per form key until the form is sent again.
const kept = new Map();
/** Forgets the refusal kept for `key` (the form was edited or undone: it no longer applies). */
export const forgetError = (key) => kept.delete(key);

/** Shows again, on each form of `root`, the refusal kept for its key (`keyOf(form)`). */
export function restoreErrors(root, keyOf) {
  for (const form of root.querySelectorAll('form')) {
    const err = kept.get(keyOf(form));
    if (err) showError(form, err, false);
  }
}

/** A short "saved" line after `form`'s button, gone after a few seconds. */
export function saved(form, vi, en) {
  form.querySelector('.ok-line')?.remove();
  const p = document.createElement('p');
  p.className = 'ok-line';
  p.setAttribute('role', 'status');
  p.textContent = L(vi, en);
  form.appendChild(p);
  $('#status').textContent = p.textContent;
  setTimeout(() => p.remove(), 6000);
}

/** Runs `fn` for a form: clears its errors, disables its buttons meanwhile, shows a refusal
 * (kept under `key`, if given, for restoreErrors). */
export async function submit(form, fn, key) {
  clearErrors(form);
  if (key) kept.delete(key);
  const buttons = [...form.querySelectorAll('button')];
  for (const b of buttons) b.disabled = true;
  try {
    return await fn();
  } catch (err) {
    if (err.status === 401) { location.reload(); return undefined; }
    if (key) kept.set(key, err);
    // The form may have been drawn again meanwhile: show it on the one in the page.
    showError(key && !form.isConnected ? (document.querySelector(`form[data-key="${CSS.escape(key)}"]`) || form) : form, err);
    return undefined;
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

// ---------------------------------------------------------------- the dialog
let closeDlg = null;

/**
 * Opens the dialog: `title`, `html` body, an OK button (`ok` [vi, en], `danger` red) and a
 * Cancel one unless `noCancel`. Resolves true on OK, false on Cancel or Escape. The focus
 * goes to `focus` (a selector in the body) or OK, and back where it was afterwards.
 */
export function dialog({ title, html, ok, cancel = ['Hủy', 'Cancel'], danger = false, noCancel = false, focus }) {
  closeDlg?.(false);
  const back = document.activeElement;
  const dlg = $('#dlg');
  $('#dlg-title').textContent = title;
  $('#dlg-body').innerHTML = html;
  const okBtn = $('#dlg-ok');
  okBtn.textContent = L(...ok);
  okBtn.className = `btn${danger ? ' danger' : ''}`;
  const cancelBtn = $('#dlg-cancel');
  cancelBtn.textContent = L(...cancel);
  cancelBtn.hidden = noCancel;
  dlg.hidden = false;
  document.body.classList.add('dlg-open');
  (focus ? $(focus, dlg) : okBtn)?.focus();
  return new Promise((resolve) => {
    const done = (v) => {
      closeDlg = null;
      dlg.hidden = true;
      document.body.classList.remove('dlg-open');
      okBtn.onclick = cancelBtn.onclick = null;
      dlg.onkeydown = null;
      if (back?.isConnected) back.focus();
      resolve(v);
    };
    closeDlg = done;
    okBtn.onclick = () => done(true);
    cancelBtn.onclick = () => done(false);
    dlg.onkeydown = (e) => {
      if (e.key === 'Escape' && !noCancel) { e.preventDefault(); done(false); }
      if (e.key === 'Tab') {
        const f = [...dlg.querySelectorAll('button:not([hidden]), input, a[href], select, textarea')].filter((x) => !x.disabled);
        const i = f.indexOf(document.activeElement);
        if (e.shiftKey && i <= 0) { e.preventDefault(); f[f.length - 1].focus(); }
        if (!e.shiftKey && i === f.length - 1) { e.preventDefault(); f[0].focus(); }
      }
    };
  });
}

/** Asks before a change that cannot be undone from here (reset a PIN, revoke a device). */
export const confirm = (title, text, ok) => dialog({
  title, html: `<p class="dlg-text">${esc(text)}</p>`, ok, danger: true,
});

/** The "shown once" warning of a one-time secret. */
export const onceLine = () => `<p class="once">${esc(L(
  'Hãy ghi lại ngay. Mã này chỉ hiện MỘT LẦN: đóng hộp này là không xem lại được.',
  'Write it down now. It is shown ONCE only: once this box is closed it cannot be seen again.'))}</p>`;
