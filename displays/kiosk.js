// xephang ticket kiosk (kiosk.html): issues tickets with the kiosk token, shows the ticket
// for 10 s and prints it on 80 mm paper; double taps never issue two tickets (the buttons
// are off until the answer arrives, then taps are ignored for 1.5 s); the last ticket can
// be reprinted within a minute; appointment check-in (on-screen keys, a keyboard or a
// scanner); a supervisor-only settings overlay.
import {
  connect, model, api, token, esc, bi, L, i18n, setLang, applyStatic, onLang, langToggle,
  fmtTime, fmtDate, waitText, everySecond, $, $$,
} from '/assets/client.js';
import { byDaemon, attachDaemonPrint, daemonPrint, daemonReprint } from '/assets/kiosk-print.js';
import { ticketClass } from '/assets/ticket-class.js';

const SHOW_MS = 10000;     // the issued ticket stays on screen this long
const QUIET_MS = 1500;     // taps ignored after an answer (double taps)
const REPRINT_MS = 60000;  // the kiosk may reprint its last ticket within this time
const IDLE_MS = 45000;     // back to the start (priority, language) after this long untouched

const client = connect({ token, page: 'kiosk' });
let priority = null;
let busy = false;
let quietUntil = 0;
let last = null;           // {ticket, at}
let showTimer = null;
let showUntil = 0;         // when the issued ticket leaves the screen (ms since epoch)
let idleTimer = null;
let code = '';
let svToken = null;
let myPrinter = null;      // `print` of this kiosk's daemon-printed tickets (kiosk-print.js)

// ---------------------------------------------------------------- rendering
// Buttons are built once per set of services and language, then only their counts change:
// rebuilding under a finger would swallow the tap.
let builtKey = '';
function render() {
  const c = model.centre || {};
  $('#centre-name').textContent = L(c.name, c.name_en || c.name) || '';
  const list = model.services.filter((s) => !s.appointment_only && s.walk_in !== false);
  const key = `${i18n.lang}|${list.map((s) => s.id).join(',')}|${model.priorities.map((p) => p.id).join(',')}`;
  if (key !== builtKey) {
    builtKey = key;
    const prios = [{ id: null, name: 'Không ưu tiên', name_en: 'No priority' }, ...model.priorities];
    $('#prio').innerHTML = prios.map((p) => `<button type="button" class="chip" data-prio="${esc(p.id ?? '')}"
      >${bi(p.name, p.name_en || p.name)}</button>`).join('');
    const box = $('#services');
    box.style.setProperty('--svc-font', list.length > 8 ? '1.6rem' : '1.9rem');
    box.innerHTML = list.map((s) => `<button type="button" class="svc" data-service="${esc(s.id)}">
      <span class="inner"><span class="name">${bi(s.name, s.name_en || s.name)}</span><span class="meta"></span></span></button>`).join('');
  }
  $$('#prio .chip').forEach((x) => x.setAttribute('aria-pressed', String((x.dataset.prio || null) === priority)));
  for (const b of $$('#services .svc')) {
    const s = model.services.find((x) => x.id === b.dataset.service);
    if (!s) continue;
    const closed = s.open === false;
    b.classList.toggle('closed', closed);
    b.disabled = closed || busy;
    const meta = closed ? esc(waitText(s))
      : `<b class="num">${esc(s.waiting ?? 0)}</b>${esc(L('đang chờ', 'waiting'))}<br>${esc(waitText(s))}`;
    const m = b.querySelector('.meta');
    if (m.innerHTML !== meta) m.innerHTML = meta;
  }
  $('#booking').hidden = !model.services.some((s) => s.appointments);
  renderReprint();
}

function renderReprint() {
  const ok = last && Date.now() - last.at < REPRINT_MS;
  const b = $('#reprint');
  b.hidden = !ok;
  if (ok) b.innerHTML = bi(`In lại phiếu số ${last.ticket.number}`, `Reprint ticket ${last.ticket.number}`);
  $('#t-reprint').hidden = !ok;
}

function setBusy(on) {
  busy = on;
  $$('#services .svc').forEach((b) => { b.disabled = on || b.classList.contains('closed'); });
  $('#booking').disabled = on;
}

// ---------------------------------------------------------------- issuing
async function issue(service) {
  if (busy || Date.now() < quietUntil) return;
  setBusy(true);
  try {
    const body = { service };
    if (priority) body.priority = priority;
    const t = await api('POST', '/api/v1/tickets', body, {
      headers: { 'Idempotency-Key': (crypto.randomUUID?.() || String(Math.random()).slice(2)) },
    });
    done(t);
  } catch (err) {
    showError(err.message);
  } finally {
    quietUntil = Date.now() + QUIET_MS;
    setTimeout(() => setBusy(false), QUIET_MS);
  }
}

function done(t) {
  last = { ticket: t, at: Date.now() };
  priority = null;
  render();
  showTicket(t);
  printTicket(t);
  setTimeout(renderReprint, REPRINT_MS + 50);
}

/** The wait printed and shown for a ticket just issued: its own place and estimate. */
function ticketWait(t) {
  const s = model.services.find((x) => x.id === t.service);
  return waitText(s ? { ...s, open: true } : null, t.eta_s ?? 0, t.waiting_ahead ?? 0);
}

function showTicket(t) {
  $('#t-number').textContent = t.number;
  const s = model.services.find((x) => x.id === t.service);
  $('#t-service').innerHTML = s ? bi(s.name, s.name_en || s.name) : esc(t.service);
  const cls = ticketClass(t);
  $('#t-prio').hidden = !cls;
  $('#t-prio').innerHTML = cls ? bi(...cls) : '';
  $('#t-ahead').textContent = t.waiting_ahead ?? 0;
  $('#t-eta').textContent = ticketWait(t);
  $('#t-time').textContent = fmtTime(t.issued_at);
  $('#t-qr').src = `/api/v1/tickets/${encodeURIComponent(t.id)}/qr.svg`;
  $('#issued').hidden = false;
  // A deadline, not a count of ticks: a print that holds the page's thread (a misconfigured
  // kiosk without --kiosk-printing, a slow driver) delays the timers, and the ticket must
  // still leave the screen on time, or at the latest the moment the page runs again.
  showUntil = Date.now() + SHOW_MS;
  clearInterval(showTimer);
  showTimer = setInterval(tickTicket, 250);
  tickTicket();
}

function tickTicket() {
  const left = Math.ceil((showUntil - Date.now()) / 1000);
  $('#t-count').textContent = Math.max(left, 0);
  if (left <= 0) closeTicket();
}

function closeTicket() {
  clearInterval(showTimer);
  showUntil = 0;
  $('#issued').hidden = true;
}

/**
 * Fills the 80 mm layout and prints it once the QR image has loaded. Printing never holds
 * the kiosk: the print runs in a task of its own after the screen has been drawn, a print
 * that throws is logged and forgotten, and the on-screen ticket keeps its deadline however
 * long the print held the page. `data-printed` on
 * the body names the ticket last handed to the printer (for the tests and the IT person).
 */
async function printTicket(t) {
  // A kiosk with a `printer`: the daemon prints; this page only shows the outcome.
  if (byDaemon(t)) {
    myPrinter = t.print;
    daemonPrint(t);
    return;
  }
  const c = model.centre || {};
  const s = model.services.find((x) => x.id === t.service);
  $('#p-centre').textContent = c.name || '';
  $('#p-service').textContent = s ? `${s.name}${s.name_en ? ` · ${s.name_en}` : ''}` : t.service;
  $('#p-number').textContent = t.number;
  const cls = ticketClass(t);
  $('#p-prio').textContent = cls ? `${cls[0]} · ${cls[1]}` : '';
  $('#p-time').textContent = `${fmtTime(t.issued_at)} · ${fmtDate(t.issued_at).split(', ')[1]}`;
  $('#p-ahead').textContent = String(t.waiting_ahead ?? 0);
  $('#p-eta').textContent = ticketWait(t);
  const img = $('#p-qr');
  img.src = `/api/v1/tickets/${encodeURIComponent(t.id)}/qr.svg`;
  try {
    await Promise.race([img.decode(), new Promise((r) => setTimeout(r, 2500))]);
  } catch { /* print without the QR rather than not at all */ }
  pendingPrint = t.number;
  startPrint();
}

let pendingPrint = null;   // the number waiting for the printer
let printQueued = false;

function startPrint() {
  if (printQueued) return; // one print task at a time; it prints the newest ticket
  printQueued = true;
  setTimeout(() => {
    printQueued = false;
    if (pendingPrint === null) return;
    document.body.dataset.printed = pendingPrint;
    pendingPrint = null;
    try {
      window.print();
    } catch (err) {
      console.warn('print failed', err);
    }
    // window.print() may hold the page until the printer took the job; the ticket on
    // screen leaves at its deadline or right now if that has passed meanwhile.
    if (showUntil) tickTicket();
  }, 0);
}
window.addEventListener('afterprint', () => { if (showUntil) tickTicket(); });

// ---------------------------------------------------------------- appointment check-in
const KEYS = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'.split(''); // the daemon's code alphabet (no look-alikes)
function renderKeys() {
  $('#keys').innerHTML = KEYS.map((k) => `<button type="button" data-k="${k}">${k}</button>`).join('')
    + `<button type="button" class="wide" data-k="DEL">⌫</button>`;
  $('#code').textContent = code || ' ';
}
$('#keys').addEventListener('click', (e) => {
  const k = e.target.closest('button')?.dataset.k;
  if (!k) return;
  code = k === 'DEL' ? code.slice(0, -1) : (code + k).slice(0, 8);
  $('#code').textContent = code || ' ';
  $('#checkin-err').textContent = '';
});
$('#booking').addEventListener('click', () => { code = ''; renderKeys(); $('#checkin').hidden = false; });
// A code typed on a keyboard, or by a barcode/QR scanner (which types like one and ends with
// Enter): the first letter opens the check-in, Enter sends it.
document.addEventListener('keydown', (e) => {
  if (!$('#settings').hidden || e.ctrlKey || e.altKey || e.metaKey) return;
  const open = !$('#checkin').hidden;
  const k = e.key.length === 1 ? e.key.toUpperCase() : e.key;
  if (/^[A-Z0-9]$/.test(k)) {
    if (!open) {
      if ($('#booking').hidden) return;
      code = '';
      renderKeys();
      $('#checkin').hidden = false;
    }
    code = (code + k).slice(0, 8);
  } else if (open && k === 'Backspace') {
    code = code.slice(0, -1);
  } else if (open && k === 'Enter' && !e.target.closest?.('#checkin button')) { // a focused key or button: its own
    e.preventDefault();
    $('#checkin-ok').click();
    return;
  } else if (open && k === 'Escape') {
    $('#checkin').hidden = true;
    return;
  } else {
    return;
  }
  e.preventDefault();
  $('#code').textContent = code || ' ';
  $('#checkin-err').textContent = '';
});
$('#checkin-cancel').addEventListener('click', () => { $('#checkin').hidden = true; });
$('#checkin-ok').addEventListener('click', async () => {
  if (busy || !code) return;
  setBusy(true);
  $('#checkin-ok').disabled = true;
  try {
    const t = await api('POST', '/api/v1/checkins', { code });
    $('#checkin').hidden = true;
    done(t);
  } catch (err) {
    $('#checkin-err').textContent = err.message;
    $('#checkin-err').dataset.code = err.code;
  } finally {
    $('#checkin-ok').disabled = false;
    quietUntil = Date.now() + QUIET_MS;
    setTimeout(() => setBusy(false), QUIET_MS);
  }
});

// ---------------------------------------------------------------- errors
function showError(msg) {
  $('#error-msg').textContent = msg;
  $('#error').hidden = false;
}
$('#error-ok').addEventListener('click', () => { $('#error').hidden = true; });

// ---------------------------------------------------------------- settings (supervisor only)
let pressTimer = null;
const logo = $('#logo');
logo.addEventListener('pointerdown', () => { pressTimer = setTimeout(openSettings, 3000); });
['pointerup', 'pointerleave', 'pointercancel'].forEach((t) => logo.addEventListener(t, () => clearTimeout(pressTimer)));

function openSettings() {
  svToken = null;
  $('#sv-token').value = '';
  $('#sv-panel').hidden = true;
  $('#sv-login').hidden = false;
  $('#sv-err').textContent = '';
  $('#settings').hidden = false;
}
$('#sv-close').addEventListener('click', () => { svToken = null; $('#settings').hidden = true; });
$('#sv-login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const tok = $('#sv-token').value.trim();
  $('#sv-err').textContent = '';
  try {
    const me = await api('GET', '/api/v1/me', undefined, { token: tok });
    if (me.role !== 'supervisor') throw new Error(L('Cần mã của giám sát viên.', 'A supervisor token is needed.'));
    svToken = tok;
    $('#sv-login').hidden = true;
    $('#sv-panel').hidden = false;
    const st = await api('GET', '/api/v1/state', undefined, { token: tok });
    const waiting = (st.waiting || []).filter((t) => t.id).slice(-40).reverse();
    $('#sv-tickets').innerHTML = waiting.map((t) => `<button type="button" data-id="${esc(t.id)}">${esc(t.number)}</button>`).join('')
      || esc(L('Không có phiếu đang chờ.', 'No waiting ticket.'));
    $('#sv-tickets').dataset.tickets = JSON.stringify(waiting);
  } catch (err) {
    $('#sv-err').textContent = err.message;
  }
});
$('#sv-tickets').addEventListener('click', async (e) => {
  const id = e.target.closest('button')?.dataset.id;
  if (!id || !svToken) return;
  try {
    const t = await api('GET', `/api/v1/tickets/${encodeURIComponent(id)}`, undefined, { token: svToken });
    $('#settings').hidden = true;
    if (myPrinter) daemonReprint({ ...t, print: myPrinter }, svToken); else printTicket(t);
  } catch (err) { $('#sv-err').textContent = err.message; }
});
$('#sv-reload').addEventListener('click', () => location.reload());
$('#sv-exit').addEventListener('click', () => { if (svToken) location.href = '/'; });

// ---------------------------------------------------------------- wiring
$('#prio').addEventListener('click', (e) => {
  const b = e.target.closest('.chip');
  if (!b) return;
  priority = b.dataset.prio || null;
  $$('#prio .chip').forEach((x) => x.setAttribute('aria-pressed', String(x === b)));
});
$('#services').addEventListener('click', (e) => {
  const b = e.target.closest('.svc');
  if (b && !b.disabled) issue(b.dataset.service);
});
// Reprint: the daemon's printer again (POST …/reprint), or the browser's.
const reprintTicket = (t) => (byDaemon(t) ? daemonReprint(t) : printTicket(t));
$('#reprint').addEventListener('click', () => { if (last && Date.now() - last.at < REPRINT_MS) reprintTicket(last.ticket); });
$('#t-reprint').addEventListener('click', () => { if (last && Date.now() - last.at < REPRINT_MS) reprintTicket(last.ticket); });
$('#t-done').addEventListener('click', closeTicket);
document.addEventListener('contextmenu', (e) => e.preventDefault());
document.addEventListener('pointerdown', () => {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    priority = null;
    $('#checkin').hidden = true;
    $('#error').hidden = true;
    $('#settings').hidden = true;
    svToken = null;
    setLang(i18n.defaultLang);
    render();
  }, IDLE_MS);
}, true);

langToggle($('#lang'));
client.on('change', render);
attachDaemonPrint(client, {
  closeTicket,
  serviceLabel: (t) => {
    const s = model.services.find((x) => x.id === t.service);
    return s ? bi(s.name, s.name_en || s.name) : esc(t.service);
  },
});
onLang(render);
everySecond((now) => { $('#clock').textContent = `${fmtDate(now)} · ${fmtTime(now)}`; });
applyStatic();
