// xephang supervisor dashboard, appointments card (supervisor.html): today's bookings with the
// names and phone numbers citizens left and who has checked in (GET /api/v1/bookings),
// fetched again shortly after a booking, a cancellation, a check-in or a purge arrives on the
// supervisor's socket (never on a timer); and the links to the day's call-back list (CSV).
import { api, esc, L, onLang, svcName, fmtTime, toast, $ } from '/assets/client.js';
import { TICKET_STATUS as STATUS } from '/assets/labels.js';
let list = null;
let tok = '';
let timer = null;

function render() {
  const box = $('#bookings');
  if (!box || !list) return;
  const arrived = list.filter((b) => b.ticket).length;
  $('#bookings-sum').textContent = L(`${list.length} lịch hẹn · ${arrived} đã đến`, `${list.length} bookings · ${arrived} checked in`);
  if (!list.length) {
    box.innerHTML = `<tr><td class="muted">${esc(L('Hôm nay chưa có lịch hẹn.', 'No booking today.'))}</td></tr>`;
    return;
  }
  const head = `<tr><th>${esc(L('Giờ', 'Time'))}</th><th>${esc(L('Mã', 'Code'))}</th><th>${esc(L('Lĩnh vực', 'Service'))}</th>
    <th>${esc(L('Họ tên', 'Name'))}</th><th>${esc(L('Điện thoại', 'Phone'))}</th><th>${esc(L('Đến', 'Arrived'))}</th></tr>`;
  box.innerHTML = head + list.map((b) => {
    const t = b.ticket;
    const arrivedCell = t
      ? `<b class="num">${esc(t.number)}</b> ${esc(fmtTime(t.issued_at))}${t.priority === 'appointment' ? '' : ` <span class="late">${esc(L('(muộn)', '(late)'))}</span>`}
         <span class="muted">${esc(L(...(STATUS[t.status] || [t.status, t.status])))}</span>`
      : `<span class="muted">${esc(L('chưa đến', 'not yet'))}</span>`;
    return `<tr data-code="${esc(b.code)}"><td class="num">${esc(fmtTime(b.start))}</td><td class="num code">${esc(b.code)}</td>
      <td>${esc(svcName(b.service))}</td><td class="name">${esc(b.name || '—')}</td><td class="num phone">${esc(b.phone || '—')}</td>
      <td class="arrived">${arrivedCell}</td></tr>`;
  }).join('');
}

async function load() {
  try {
    const r = await api('GET', '/api/v1/bookings', undefined, { token: tok });
    list = r.bookings || [];
    render();
  } catch (err) { toast(err.message); }
}

function soon() {
  clearTimeout(timer);
  timer = setTimeout(load, 400);
}

/** Hooks the card to the dashboard's live link. */
export function attachBookings(client, token) {
  tok = token;
  const q = `token=${encodeURIComponent(tok)}`;
  $('#callbacks').href = `/api/v1/reports/callbacks.csv?${q}`;
  client.on('snapshot', soon);
  client.on('event', (ev) => {
    if (ev.type === 'booking_created' || ev.type === 'booking_cancelled' || ev.type === 'personal_data_purged'
      || (ev.type === 'ticket_issued' && ev.booking)
      || (list && ev.ticket && list.some((b) => b.ticket && b.ticket.id === ev.ticket.id))) soon();
  });
  onLang(render);
  load();
}
