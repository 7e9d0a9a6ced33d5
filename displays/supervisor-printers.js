// xephang supervisor dashboard, printers card (supervisor.html, issue 16): every kiosk printer
// the daemon drives, with its state (ok, paper low, out of paper, offline), since when, its
// last error and today's counts (GET /api/v1/printers), fetched again when a printer alert is
// raised or cleared and shortly after tickets are issued (never on a timer). The card stays
// hidden in a centre whose kiosks all print through their browser. Also the words of the
// printer alerts in the dashboard's alert row.
import { api, esc, L, onLang, fmtTime, toast, $ } from '/assets/client.js';

const STATE = {
  unknown: ['chưa rõ', 'unknown'],
  ok: ['sẵn sàng', 'ready'],
  paper_low: ['sắp hết giấy', 'paper low'],
  paper_out: ['hết giấy', 'out of paper'],
  offline: ['không kết nối', 'offline'],
};
const REASON = {
  paper_out: ['Hết giấy hoặc mở nắp', 'Out of paper or cover open'],
  offline: ['Máy in báo ngoại tuyến', 'The printer reports offline'],
  no_answer: ['Máy in không trả lời', 'The printer does not answer'],
  closed: ['Máy in ngắt kết nối', 'The printer closed the connection'],
  cut: ['Mất kết nối khi đang in', 'The connection broke while printing'],
  unreachable: ['Không kết nối được máy in', 'Cannot reach the printer'],
  busy: ['Lần in trước chưa xong', 'The previous print has not finished'],
  io: ['Lỗi ghi dữ liệu', 'Write error'],
};
const KINDS = ['printer_paper_low', 'printer_paper_out', 'printer_offline'];
let list = null;
let tok = '';
let timer = null;

/** The alert row's words for a printer alert, or null for other kinds. */
export function printerAlert(a) {
  if (!KINDS.includes(a.kind)) return null;
  const what = {
    printer_paper_low: ['sắp hết giấy', 'is low on paper'],
    printer_paper_out: ['hết giấy', 'is out of paper'],
    printer_offline: ['không in được', 'cannot print'],
  }[a.kind];
  return `<span class="t">${esc(L('Máy in', 'Printer'))} <b>${esc(a.printer)}</b> ${esc(L(...what))} ${esc(L('từ', 'since'))} ${esc(fmtTime(a.since))}</span>`;
}

function render() {
  const card = $('#printers-card');
  if (!card || !list) return;
  card.hidden = list.length === 0;
  const head = `<tr><th>${esc(L('Ki-ốt', 'Kiosk'))}</th><th>${esc(L('Máy in', 'Printer'))}</th><th>${esc(L('Trạng thái', 'State'))}</th>
    <th>${esc(L('Lỗi gần nhất', 'Last error'))}</th><th class="r">${esc(L('Đã in', 'Printed'))}</th><th class="r">${esc(L('Không in được', 'Failed'))}</th></tr>`;
  $('#printers').innerHTML = head + list.map((p) => {
    const bad = p.state === 'paper_out' || p.state === 'offline';
    const state = L(...(STATE[p.state] || [p.state, p.state]));
    const since = p.since ? ` ${esc(L('từ', 'since'))} ${esc(fmtTime(p.since))}` : '';
    const words = REASON[p.last_reason];
    const err = p.last_error
      ? `<span title="${esc(p.last_error)}">${esc(words ? L(...words) : p.last_error)}</span> <span class="muted">${esc(fmtTime(p.last_error_at))}</span>`
      : '<span class="muted">—</span>';
    return `<tr data-printer="${esc(p.name)}" data-state="${esc(p.state)}"><td>${esc(p.name)}</td>
      <td class="num muted">${esc(p.printer)} · ${esc(p.paper_mm)} mm</td>
      <td><span class="pill ${bad ? 'fault' : p.state === 'paper_low' ? 'paused' : 'open'}">${esc(state)}</span>${since}</td>
      <td>${err}</td><td class="r num">${esc(p.printed)}</td><td class="r num">${esc(p.failed)}</td></tr>`;
  }).join('');
}

async function load() {
  try {
    list = await api('GET', '/api/v1/printers', undefined, { token: tok });
    render();
  } catch (err) { toast(err.message); }
}

function soon(ms = 400) {
  clearTimeout(timer);
  timer = setTimeout(load, ms);
}

/** Hooks the card to the dashboard's live link. */
export function attachPrinters(client, token) {
  tok = token;
  client.on('snapshot', () => soon());
  client.on('event', (ev) => {
    if ((ev.type === 'alert' && KINDS.includes(ev.kind))
      || (ev.type === 'alert_cleared' && KINDS.some((k) => String(ev.key).startsWith(`${k}:`)))) soon();
    else if (ev.type === 'ticket_issued' && list?.length) soon(1500);
  });
  onLang(render);
  load();
}
