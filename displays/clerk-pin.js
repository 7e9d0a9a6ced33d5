// xephang clerk terminal (clerk.html): "Đặt mã PIN mới / Choose a new PIN". A clerk who signed
// in with a one-time PIN (the login answer says `must_change_pin: true`, or a clerk route
// answered `pin_change_required`) chooses a PIN of their own — twice — before anything else:
// POST /api/v1/me/pin {pin: the one-time PIN, new_pin}. The one-time PIN is kept in memory
// only; after a reload the form asks for it again.
import { api, L, $ } from '/assets/client.js';

let ctx = null; // {token, oldPin, onDone, onLeave}

function setErr(id, msg) {
  const el = $(`#${id}-err`);
  const input = $(`#${id}`);
  if (el) el.textContent = msg || '';
  if (msg) { input.setAttribute('aria-invalid', 'true'); input.focus(); } else input.removeAttribute('aria-invalid');
}

/** Shows the form instead of the terminal; `onDone()` once the new PIN is saved. */
export function askNewPin(opts) {
  ctx = opts;
  $('#login').hidden = true;
  $('#app').hidden = true;
  $('#newpin').hidden = false;
  $('#np-old-box').hidden = !!opts.oldPin;
  for (const id of ['np1', 'np2', 'np-old']) { $(`#${id}`).value = ''; setErr(id, ''); }
  $('#newpin-err').textContent = opts.message || '';
  (opts.oldPin ? $('#np1') : $('#np-old')).focus();
}

$('#newpin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!ctx) return;
  for (const id of ['np1', 'np2', 'np-old']) setErr(id, '');
  $('#newpin-err').textContent = '';
  const oldPin = ctx.oldPin || $('#np-old').value;
  const p1 = $('#np1').value, p2 = $('#np2').value;
  if (!/^\d{4,8}$/.test(p1)) { setErr('np1', L('Mã PIN gồm 4 đến 8 chữ số.', 'A PIN is 4 to 8 digits.')); return; }
  if (p1 !== p2) { setErr('np2', L('Hai lần nhập không giống nhau: hãy nhập lại.', 'The two entries differ: type it again.')); return; }
  const btn = $('#newpin-submit');
  btn.disabled = true;
  try {
    await api('POST', '/api/v1/me/pin', { pin: oldPin, new_pin: p1 }, { token: ctx.token });
    $('#newpin').hidden = true;
    const done = ctx.onDone;
    ctx = null;
    done();
  } catch (err) {
    if (err.status === 401 && err.code === 'unauthorized') { ctx.onLeave(err.message); return; }
    // The server names the field it refuses: the one-time PIN (`pin`) or the new one (`new_pin`).
    if (err.field === 'pin') { ctx.oldPin = ''; $('#np-old-box').hidden = false; setErr('np-old', err.message); $('#np-old').setAttribute('aria-describedby', 'newpin-err'); $('#newpin-err').textContent = err.message; }
    else if (err.field === 'new_pin') setErr('np1', err.message);
    else $('#newpin-err').textContent = err.message;
  } finally {
    btn.disabled = false;
  }
});

$('#newpin-leave').addEventListener('click', () => ctx?.onLeave(''));
