// xephang appointment page (book.html): service → day → slot → optional name and phone →
// POST /api/v1/bookings → the code, big, with its QR code; cancel with a code. The slots
// of the chosen service are fetched when it is chosen and again whenever the live socket
// says a booking of that service was made or cancelled (never on a timer). Bookings made
// here are remembered in this browser (localStorage) so the code can be shown again.
import {
  connect, model, api, esc, L, applyStatic, onLang, langToggle, svcName, fmtTime, fmtDate,
  serverNow, $, $$,
} from '/assets/client.js';

const MINE = 'xephang.bookings';
let service = null;   // chosen service id
let day = null;       // chosen day, YYYY-MM-DD
let slot = null;      // chosen slot {start, end, capacity, free}
const slots = new Map(); // day → slots of the chosen service (null while loading)
let shown = null;     // the booking on the "done" card {code, service, start}
let toCancel = null;  // the code waiting for confirmation
let refreshTimer = null;

// ---------------------------------------------------------------- helpers
const bookable = () => model.services.filter((s) => s.appointments);
const svc = (id) => model.services.find((s) => s.id === id);
/** The centre's local day of an RFC 3339 time written in the centre's offset. */
const dayOf = (t) => String(t).slice(0, 10);
function addDays(d, n) {
  const t = new Date(`${d}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + n);
  return t.toISOString().slice(0, 10);
}
const WD = [['CN', 'Sun'], ['T2', 'Mon'], ['T3', 'Tue'], ['T4', 'Wed'], ['T5', 'Thu'], ['T6', 'Fri'], ['T7', 'Sat']];
function dayLabel(d) {
  const t = new Date(`${d}T00:00:00Z`);
  const wd = WD[t.getUTCDay()];
  return { wd: L(...wd), dm: `${d.slice(8, 10)}/${d.slice(5, 7)}` };
}
const isFree = (s) => s.free > 0 && Date.parse(s.start) > serverNow() + 30000;
function mine() {
  try { return JSON.parse(localStorage.getItem(MINE) || '[]').filter((b) => b && b.code); } catch { return []; }
}
function saveMine(list) {
  try { localStorage.setItem(MINE, JSON.stringify(list.slice(-20))); } catch { /* private mode */ }
}
const when = (b) => `${fmtTime(b.start)} · ${fmtDate(b.start)}`;

// ---------------------------------------------------------------- rendering
function renderHeader() {
  const c = model.centre || {};
  $('#centre').textContent = L(c.name, c.name_en || c.name) || '';
  $('#remote-link').hidden = !model.services.some((s) => s.remote);
}

function renderServices() {
  const list = bookable();
  $('#no-services').hidden = list.length > 0 || !model.loaded;
  $('#services').innerHTML = list.map((s) => `<button type="button" class="choice" data-service="${esc(s.id)}"
    aria-pressed="${s.id === service}"><b>${esc(L(s.name, s.name_en || s.name))}</b>${
    s.appointment_only ? `<small>${esc(L('Chỉ tiếp theo lịch hẹn', 'By appointment only'))}</small>` : ''}</button>`).join('');
}

function renderDays() {
  $('#step-day').hidden = !service;
  if (!service) return;
  const ahead = svc(service)?.appointment_days_ahead ?? 14;
  const days = [];
  for (let i = 0; i <= ahead; i++) days.push(addDays(model.day, i));
  $('#days').innerHTML = days.map((d) => {
    const list = slots.get(d);
    const free = list ? list.filter(isFree).length : null;
    const { wd, dm } = dayLabel(d);
    const note = free == null ? '…' : free ? L(`${free} giờ trống`, `${free} free`) : L('Kín / nghỉ', 'Full / closed');
    return `<button type="button" class="day" data-day="${d}" aria-pressed="${d === day}" ${free === 0 ? 'disabled' : ''}>
      <span class="wd">${esc(wd)}</span><span class="dm num">${esc(dm)}</span><small>${esc(note)}</small></button>`;
  }).join('');
}

function renderSlots() {
  $('#step-slot').hidden = !day;
  if (!day) return;
  // Slots already begun are not shown; full ones are, greyed out.
  const list = (slots.get(day) || []).filter((s) => Date.parse(s.start) > serverNow());
  if (slot && !list.some((s) => s.start === slot.start && isFree(s))) slot = null;
  $('#no-slots').hidden = list.some(isFree) || !slots.has(day);
  $('#slots').innerHTML = list.map((s) => {
    const ok = isFree(s);
    const left = s.free > 0 ? L(`còn ${s.free} chỗ`, `${s.free} left`) : L('hết chỗ', 'full');
    return `<button type="button" class="slot" data-start="${esc(s.start)}" data-free="${s.free}" aria-pressed="${slot?.start === s.start}"
      ${ok ? '' : 'disabled'}><b class="num">${esc(fmtTime(s.start))}–${esc(fmtTime(s.end))}</b><small>${esc(left)}</small></button>`;
  }).join('');
  renderWho();
}

function renderWho() {
  $('#step-who').hidden = !slot;
  if (!slot) return;
  $('#summary').textContent = `${svcName(service)} · ${fmtTime(slot.start)}–${fmtTime(slot.end)} · ${fmtDate(slot.start)}`;
}

function renderDone() {
  $('#done').hidden = !shown;
  if (!shown) return;
  $('#code').textContent = shown.code;
  $('#qr').src = `/api/v1/bookings/${encodeURIComponent(shown.code)}/qr.svg`;
  $('#done-what').innerHTML = `<b>${esc(svcName(shown.service))}</b><br>${esc(when(shown))}`;
}

function renderMine() {
  const soon = mine().filter((b) => Date.parse(b.start) > serverNow() - 3600000);
  $('#mine').hidden = !soon.length;
  $('#mine-list').innerHTML = soon.map((b) => `<li><b class="num">${esc(b.code)}</b>
    <span>${esc(svcName(b.service))} · ${esc(when(b))}</span>
    <button type="button" class="btn ghost" data-show="${esc(b.code)}">${esc(L('Xem mã', 'Show code'))}</button></li>`).join('');
}

function renderAll() {
  renderHeader();
  renderServices();
  renderDays();
  renderSlots();
  renderDone();
  renderMine();
}

// ---------------------------------------------------------------- loading slots
async function loadDay(d) {
  try {
    const list = await api('GET', `/api/v1/slots?service=${encodeURIComponent(service)}&day=${d}`);
    slots.set(d, Array.isArray(list) ? list : []);
  } catch {
    slots.set(d, []);
  }
}

async function loadDays() {
  const chosen = service;
  const ahead = svc(service)?.appointment_days_ahead ?? 14;
  slots.clear();
  renderDays();
  const days = [];
  for (let i = 0; i <= ahead; i++) days.push(addDays(model.day, i));
  await Promise.all(days.map(loadDay));
  if (chosen !== service) return;
  if (!day || !slots.get(day)?.some(isFree)) day = days.find((d) => slots.get(d)?.some(isFree)) || null;
  renderDays();
  renderSlots();
}

/** Someone booked or cancelled: the day's free places changed. */
function refreshDay(d) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    await loadDay(d);
    renderDays();
    renderSlots();
  }, 150);
}

// ---------------------------------------------------------------- actions
$('#services').addEventListener('click', (e) => {
  const b = e.target.closest('[data-service]');
  if (!b) return;
  service = b.dataset.service;
  day = null;
  slot = null;
  renderServices();
  renderSlots();
  loadDays();
});
$('#days').addEventListener('click', (e) => {
  const b = e.target.closest('[data-day]');
  if (!b || b.disabled) return;
  day = b.dataset.day;
  slot = null;
  renderDays();
  renderSlots();
});
$('#slots').addEventListener('click', (e) => {
  const b = e.target.closest('[data-start]');
  if (!b || b.disabled) return;
  slot = (slots.get(day) || []).find((s) => s.start === b.dataset.start) || null;
  renderSlots();
  $('#name').focus({ preventScroll: true });
  $('#step-who').scrollIntoView({ behavior: 'smooth', block: 'nearest' });
});

$('#step-who').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!slot) return;
  const btn = $('#book-btn');
  btn.disabled = true;
  const err = $('#book-err');
  err.textContent = '';
  delete err.dataset.code;
  try {
    const body = { service, start: slot.start };
    const name = $('#name').value.trim();
    const phone = $('#phone').value.trim();
    if (name) body.name = name;
    if (phone) body.phone = phone;
    const b = await api('POST', '/api/v1/bookings', body);
    shown = { code: b.code, service: b.service, start: b.start };
    saveMine([...mine().filter((x) => x.code !== b.code), shown]);
    slot = null;
    // A shared computer must not show the next citizen what this one typed.
    $('#name').value = '';
    $('#phone').value = '';
    $('#form').hidden = true;
    renderAll();
    $('#done').scrollIntoView({ block: 'start' });
  } catch (ex) {
    err.textContent = ex.message;
    err.dataset.code = ex.code;
    if (ex.code === 'slot_full' || ex.code === 'bad_request') refreshDay(day);
  } finally {
    btn.disabled = false;
  }
});

$('#again').addEventListener('click', () => {
  shown = null;
  $('#form').hidden = false;
  renderAll();
  if (service) loadDays();
});
$('#cancel-this').addEventListener('click', () => { if (shown) askCancel(shown.code); });
$('#mine-list').addEventListener('click', (e) => {
  const code = e.target.closest('[data-show]')?.dataset.show;
  const b = mine().find((x) => x.code === code);
  if (!b) return;
  shown = b;
  $('#form').hidden = true;
  renderDone();
  $('#done').scrollIntoView({ block: 'start' });
});

async function askCancel(input) {
  const code = input.trim().toUpperCase();
  if (!code) return;
  $('#cancel-code').value = code;
  $('#cancel-msg').textContent = '';
  $('#cancel-confirm').hidden = true;
  // Look the code up first: a code that does not exist is said at once, not after "Yes".
  let b;
  try {
    b = await api('GET', `/api/v1/booking-lookup/${encodeURIComponent(code)}`);
  } catch (ex) {
    const msg = $('#cancel-msg');
    msg.className = 'msg err';
    msg.dataset.code = ex.code;
    msg.textContent = ex.code === 'unknown_booking'
      ? L(`Không có lịch hẹn nào mã ${code} (hoặc lịch đã bị hủy). Hãy kiểm tra lại mã.`, `There is no booking with code ${code} (or it was cancelled). Check the code.`)
      : ex.message;
    return;
  }
  toCancel = code;
  $('#cancel-q').textContent = L(`Hủy lịch hẹn mã ${code} (${svcName(b.service)}, ${when(b)})?`, `Cancel booking ${code} (${svcName(b.service)}, ${when(b)})?`);
  $('#cancel-confirm').hidden = false;
  $('#cancel-confirm').scrollIntoView({ behavior: 'smooth', block: 'nearest' });
}
$('#cancel-form').addEventListener('submit', (e) => { e.preventDefault(); askCancel($('#cancel-code').value); });
$('#cancel-no').addEventListener('click', () => { $('#cancel-confirm').hidden = true; toCancel = null; });
$('#cancel-yes').addEventListener('click', async () => {
  if (!toCancel) return;
  const code = toCancel;
  const msg = $('#cancel-msg');
  $('#cancel-yes').disabled = true;
  try {
    const r = await api('DELETE', `/api/v1/bookings/${encodeURIComponent(code)}`);
    msg.className = 'msg ok';
    msg.dataset.code = 'cancelled';
    msg.textContent = r.start
      ? L(`Đã hủy lịch hẹn ${code} (${svcName(r.service)}, ${when(r)}).`, `Booking ${code} cancelled (${svcName(r.service)}, ${when(r)}).`)
      : L(`Đã hủy lịch hẹn ${code}.`, `Booking ${code} cancelled.`);
    saveMine(mine().filter((x) => x.code !== code));
    if (shown?.code === code) { shown = null; $('#form').hidden = false; }
    $('#cancel-code').value = '';
    renderAll();
  } catch (ex) {
    msg.className = 'msg err';
    msg.dataset.code = ex.code;
    msg.textContent = ex.message;
  } finally {
    $('#cancel-yes').disabled = false;
    $('#cancel-confirm').hidden = true;
    toCancel = null;
  }
});
$('#cancel-code').addEventListener('input', (e) => {
  e.target.value = e.target.value.toUpperCase().replace(/[^A-Z0-9]/g, '');
});

// ---------------------------------------------------------------- wiring
langToggle($('#lang'));
applyStatic();
onLang(renderAll);
const client = connect({});
client.on('snapshot', () => { renderAll(); if (service) loadDays(); });
client.on('change', renderHeader);
client.on('event', (ev) => {
  if ((ev.type === 'booking_created' || ev.type === 'booking_cancelled') && ev.service === service) {
    const d = dayOf(ev.start);
    if (slots.has(d)) refreshDay(d);
  }
});
