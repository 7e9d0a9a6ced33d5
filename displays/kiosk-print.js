// xephang kiosk, tickets printed by the daemon (kiosk.html, issue 16). A kiosk whose config
// names a `printer` gets tickets with `print: {by: "daemon", state, reason}`: the daemon
// prints them on its ESC/POS printer, this page never calls window.print for them. The
// outcome arrives as a `print` frame on the kiosk's socket ({type: "print", ticket, number,
// status: "printed"|"failed", reason}); when the print failed (or the answer already says
// so, or no outcome came within PRINT_WAIT_MS) the page shows the ticket large with its QR
// code and asks the citizen, in Vietnamese and English, to note the number.
// `data-print-state` on the body (queued | printed | failed) is for the tests and the IT
// person. Kiosks without a printer keep the browser printing of kiosk.js.
import { api, esc, bi, L, fmtTime, fmtDur, $ } from '/assets/client.js';

const PRINT_WAIT_MS = 25000;  // no outcome by then: the daemon dropped the job (20 s) or the link
const FAILED_SHOW_MS = 60000; // the "could not print" sheet stays this long (or until tapped)

let waiting = null;           // {ticket, timer} of the ticket being printed
let failedTimer = null;
let failedUntil = 0;
let hooks = { closeTicket: () => {}, serviceLabel: (t) => esc(t.service) };

/** Whether the daemon prints this ticket (the kiosk has a `printer`). */
export const byDaemon = (t) => t?.print?.by === 'daemon';

/** Wires the print frames of the kiosk's socket; `closeTicket` hides the issued sheet. */
export function attachDaemonPrint(client, opts) {
  hooks = { ...hooks, ...opts };
  client.on('print', onFrame);
  $('#pf-done').addEventListener('click', closeFailed);
}

/** A daemon-printed ticket was just issued (or reprinted): wait for its outcome. */
export function daemonPrint(t) {
  document.body.dataset.printed = t.number;
  clearTimeout(waiting?.timer);
  if (t.print?.state === 'failed') {
    waiting = null;
    showFailed(t, t.print.reason);
    return;
  }
  document.body.dataset.printState = 'queued';
  waiting = { ticket: t, timer: setTimeout(() => showFailed(t, 'no_answer'), PRINT_WAIT_MS) };
}

/** Prints `t` again on the daemon's printer (this kiosk within 60 s, or `token`'s supervisor). */
export async function daemonReprint(t, token) {
  try {
    const body = token && t.print?.printer ? { printer: t.print.printer } : undefined;
    const r = await api('POST', `/api/v1/tickets/${encodeURIComponent(t.id)}/reprint`, body, token ? { token } : {});
    daemonPrint({ ...t, print: { ...(t.print || {}), ...r.print } });
  } catch (err) {
    showFailed(t, err.code);
  }
}

function onFrame(f) {
  if (!waiting || f.ticket !== waiting.ticket.id) return;
  clearTimeout(waiting.timer);
  const t = waiting.ticket;
  waiting = null;
  if (f.status === 'printed') {
    document.body.dataset.printState = 'printed';
  } else {
    showFailed(t, f.reason);
  }
}

function showFailed(t, reason) {
  document.body.dataset.printState = 'failed';
  document.body.dataset.printReason = reason || '';
  hooks.closeTicket();
  $('#pf-number').textContent = t.number;
  $('#pf-service').innerHTML = hooks.serviceLabel(t);
  $('#pf-ahead').textContent = t.waiting_ahead ?? 0;
  $('#pf-eta').textContent = t.eta_s ? `~${fmtDur(t.eta_s)}` : L('Không phải chờ', 'No wait');
  $('#pf-time').textContent = fmtTime(t.issued_at);
  $('#pf-qr').src = `/api/v1/tickets/${encodeURIComponent(t.id)}/qr.svg`;
  $('#pf-why').innerHTML = bi(...why(reason));
  $('#print-failed').hidden = false;
  failedUntil = Date.now() + FAILED_SHOW_MS;
  clearInterval(failedTimer);
  failedTimer = setInterval(tick, 250);
  tick();
}

function why(reason) {
  if (reason === 'paper_out' || reason === 'paper_low') return ['Máy in hết giấy.', 'The printer is out of paper.'];
  return ['Máy in không phản hồi.', 'The printer does not respond.'];
}

function tick() {
  const left = Math.ceil((failedUntil - Date.now()) / 1000);
  $('#pf-count').textContent = Math.max(left, 0);
  if (left <= 0) closeFailed();
}

function closeFailed() {
  clearInterval(failedTimer);
  $('#print-failed').hidden = true;
}
