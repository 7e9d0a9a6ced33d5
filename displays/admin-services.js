// xephang administration page, section "Lĩnh vực / Services" (admin.html): per service its
// names (vi/en), opening hours, target wait, whether citizens may take a ticket from home,
// its appointment slots (or none: "stop taking appointments", PATCH {appointments: false},
// refused while citizens hold bookings still to come), and "stop issuing" / "issue again"
// (closed). Saved with
// PATCH /api/v1/admin/services/{id}, sending only the fields that changed, so a save never
// touches what the form did not show; the server's refusal shows on the field it names.
import { esc, L, $ } from '/assets/client.js';
import { api, submit, saved, confirm, showError, clearErrors, restoreErrors, forgetError } from '/assets/admin-forms.js';

/** Hours as the config writes them ("07:30-11:30"), from a string or {start, end}. */
const windowText = (w) => (typeof w === 'string' ? w : w && w.start ? `${String(w.start).slice(0, 5)}-${String(w.end).slice(0, 5)}` : '');
/** A service's hours as one line ("07:30-11:30, 13:30-17:00"); '' means all day. */
function hoursText(h) {
  if (!h) return '';
  const list = Array.isArray(h) ? h : h.windows || [];
  return list.map(windowText).filter(Boolean).join(', ');
}
const hoursList = (text) => text.split(/[,;\s]+/).map((x) => x.trim()).filter(Boolean);
const WINDOW = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/;
const hhmmss = (h, m) => `${h.padStart(2, '0')}:${m}:00`;
/** "08:00-11:00, 14:00-16:00" as the slots' windows ({start, end} times), or null if one is not HH:MM-HH:MM. */
function windowsOf(text) {
  const out = [];
  for (const w of hoursList(text)) {
    const m = WINDOW.exec(w);
    if (!m) return null;
    out.push({ start: hhmmss(m[1], m[2]), end: hhmmss(m[3], m[4]) });
  }
  return out;
}
/** A new service's appointment slots: the config file's defaults (Mon–Fri, 14 days ahead, 15 min grace). */
const NEW_SLOTS = { hours: { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], windows: [] }, days_ahead: 14, grace_min: 15, appointment_only: false };

export function servicesSection(ctx) {
  const box = $('#service-list');
  let detail = null; // the admin's own list, when the server has one (more than /state shows)

  async function load() {
    try { detail = await api('GET', '/api/v1/admin/services'); } catch { detail = null; }
    render();
  }

  /** The service as known: the admin list's record over the /state one. */
  const svc = (id) => ({ ...(ctx.state?.services?.find((s) => s.id === id) || {}), ...(detail?.find?.((s) => s.id === id) || {}) });

  /** The slots as the form says ({...} or null when the service takes none), or 'bad' hours. */
  function slots(a, slotMin, capacity, text) {
    const windows = windowsOf(text);
    if (!windows) return 'bad';
    const base = a || NEW_SLOTS;
    return { ...base, slot_min: Number(slotMin), capacity: Number(capacity), hours: { ...base.hours, windows } };
  }

  /** The form's values, in the PATCH body's shape. */
  function values(form, s) {
    const v = (n) => form.elements.namedItem(n);
    const a = s.appointments && typeof s.appointments === 'object' ? s.appointments : null;
    return {
      name: v('name').value.trim(),
      name_en: v('name_en').value.trim(),
      hours: hoursList(v('hours').value),
      target_wait_s: Math.round(Number(v('target').value) * 60),
      remote: v('remote').checked,
      appointments: a || v('appt')?.checked ? slots(a, v('slot_min').value, v('capacity').value, v('appt_hours').value) : null,
    };
  }
  /** What the form showed at first, in the same shape. */
  function initial(s) {
    const a = s.appointments && typeof s.appointments === 'object' ? s.appointments : null;
    return {
      name: s.name || '', name_en: s.name_en || '', hours: hoursList(hoursText(s.hours)),
      target_wait_s: s.target_wait_s || 0, remote: !!s.remote,
      appointments: a ? slots(a, a.slot_min, a.capacity, hoursText(a.hours)) : null,
    };
  }

  function card(base) {
    const s = svc(base.id);
    const a = typeof s.appointments === 'object' && s.appointments ? s.appointments : null;
    const hasAppt = !!a;
    // Slots known in full (the admin list) can be edited; a service without slots can get them.
    const canEdit = hasAppt || !s.appointments;
    const closed = s.closed === true;
    const state = closed ? ['Tạm ngừng cấp số', 'Not issuing', 'closed']
      : s.open === false ? ['Ngoài giờ nhận', 'Outside hours', 'paused'] : ['Đang cấp số', 'Issuing', 'open'];
    const id = esc(s.id);
    return `<form class="card svc-card" data-service="${id}" data-key="service:${id}" novalidate>
      <h2>${esc(L(s.name, s.name_en || s.name))} <span class="pill ${state[2]}">${esc(L(state[0], state[1]))}</span></h2>
      <div class="two">
        <label data-field="name"><span>${esc(L('Tên tiếng Việt', 'Name in Vietnamese'))}</span><input name="name" lang="vi" value="${esc(s.name || '')}"><em class="ferr" role="alert"></em></label>
        <label data-field="name_en"><span>${esc(L('Tên tiếng Anh', 'Name in English'))}</span><input name="name_en" lang="en" value="${esc(s.name_en || '')}"><em class="ferr" role="alert"></em></label>
      </div>
      <div class="two">
        <label data-field="hours"><span>${esc(L('Giờ nhận hồ sơ, ví dụ 07:30-11:30, 13:30-17:00', 'Opening hours, e.g. 07:30-11:30, 13:30-17:00'))}</span>
          <input name="hours" value="${esc(hoursText(s.hours))}" placeholder="${esc(L('trống: cả ngày', 'empty: all day'))}" autocomplete="off"><em class="ferr" role="alert"></em></label>
        <label data-field="target_wait_s"><span>${esc(L('Thời gian chờ mục tiêu (phút)', 'Target wait (minutes)'))}</span>
          <input name="target" type="number" min="1" max="600" value="${s.target_wait_s ? Math.round(s.target_wait_s / 60) : ''}"><em class="ferr" role="alert"></em></label>
      </div>
      <label class="check" data-field="remote"><input name="remote" type="checkbox"${s.remote ? ' checked' : ''}><span>${esc(L('Cho lấy số từ xa (trên điện thoại)', 'Citizens may take a ticket from home (phone)'))}</span><em class="ferr" role="alert"></em></label>
      <fieldset><legend>${esc(L('Lịch hẹn', 'Appointments'))}</legend>
        ${hasAppt ? `<p class="muted appt-on">${esc(a.appointment_only ? L('Chỉ nhận công dân đã đặt lịch.', 'Booked citizens only.') : L('Nhận đặt lịch hẹn.', 'Takes appointments.'))}</p>`
    : canEdit ? `<label class="check"><input name="appt" type="checkbox"><span>${esc(L('Nhận đặt lịch hẹn', 'Take appointments'))}</span></label>`
      : `<p class="muted">${esc(L('Nhận đặt lịch hẹn (sửa trong tệp cấu hình).', 'Takes appointments (edited in the config file).'))}</p>`}
        <div class="three appt"${hasAppt ? '' : ' hidden'}>
          <label data-field="appointments.slot_min"><span>${esc(L('Mỗi lượt (phút)', 'Slot (minutes)'))}</span><input name="slot_min" type="number" min="5" max="240" value="${esc(a?.slot_min ?? 15)}"><em class="ferr" role="alert"></em></label>
          <label data-field="appointments.capacity"><span>${esc(L('Số người mỗi lượt', 'Citizens per slot'))}</span><input name="capacity" type="number" min="1" max="50" value="${esc(a?.capacity ?? 1)}"><em class="ferr" role="alert"></em></label>
          <label data-field="appointments.hours"><span>${esc(L('Giờ hẹn', 'Appointment hours'))}</span><input name="appt_hours" value="${esc(hoursText(a?.hours))}" placeholder="${esc(L('ví dụ 08:00-11:00', 'e.g. 08:00-11:00'))}" autocomplete="off"><em class="ferr" role="alert"></em></label>
        </div>
        <div class="appt-stop" data-field="appointments">${hasAppt ? `<button class="btn ghost sm danger-text" type="button" data-act="stop-appt">${esc(L('Ngừng nhận lịch hẹn', 'Stop taking appointments'))}</button>` : ''}
          <em class="ferr" role="alert"></em></div></fieldset>
      <div class="row-buttons" data-field="closed"><button class="btn" type="submit">${esc(L('Lưu', 'Save'))}</button>
        <button class="btn ${closed ? 'ok' : 'ghost'}" type="button" data-act="close">${esc(closed ? L('Mở lại cấp số', 'Issue tickets again') : L('Tạm ngừng cấp số', 'Stop issuing'))}</button>
        <em class="ferr" role="alert"></em></div>
      <p class="ferr form-err" role="alert"></p></form>`;
  }

  /** The fields of `form` that differ from what it was drawn with (the PATCH body). */
  function changes(form) {
    const s = svc(form.dataset.service);
    const now = values(form, s);
    const was = initial(s);
    const body = {};
    for (const [k, v] of Object.entries(now)) {
      if (JSON.stringify(v) !== JSON.stringify(was[k])) body[k] = v;
    }
    return body;
  }

  function render() {
    if (!ctx.state) return;
    // A card being edited (focused, or with changes not saved yet) is kept as it is.
    const keep = new Map();
    for (const form of box.querySelectorAll('form')) {
      if (form.contains(document.activeElement) || Object.keys(changes(form)).length) keep.set(form.dataset.service, form);
    }
    box.innerHTML = (ctx.state.services || []).map((s) => (keep.has(s.id) ? `<div data-keep="${esc(s.id)}"></div>` : card(s))).join('');
    for (const [id, form] of keep) box.querySelector(`[data-keep="${CSS.escape(id)}"]`)?.replaceWith(form);
    restoreErrors(box, (f) => f.dataset.key);
  }

  box.addEventListener('input', (e) => { const f = e.target.closest('form'); if (f) forgetError(f.dataset.key); });
  box.addEventListener('change', (e) => {
    if (e.target.name !== 'appt') return;
    e.target.closest('fieldset').querySelector('.appt').hidden = !e.target.checked;
  });

  async function saveThen(form, body, vi, en) {
    const id = form.dataset.service;
    await api('PATCH', `/api/v1/admin/services/${encodeURIComponent(id)}`, body);
    await ctx.reloadState();
    await load();
    const again = box.querySelector(`form[data-service="${CSS.escape(id)}"]`);
    saved(again, vi, en);
    again.querySelector('button[type="submit"]').focus();
  }

  box.addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.target;
    const body = changes(form);
    if (body.appointments === 'bad') {
      clearErrors(form);
      showError(form, { field: 'appointments.hours', message: L('Giờ hẹn phải có dạng HH:MM-HH:MM, ví dụ 08:00-11:00.', 'Appointment hours must be HH:MM-HH:MM, e.g. 08:00-11:00.') });
      return;
    }
    if (!Object.keys(body).length) { saved(form, 'Không có gì thay đổi.', 'Nothing changed.'); return; }
    submit(form, () => saveThen(form, body, 'Đã lưu lĩnh vực.', 'Service saved.'), `service:${form.dataset.service}`);
  });

  box.addEventListener('click', async (e) => {
    const stop = e.target.closest('button[data-act="stop-appt"]');
    if (stop) {
      const form = stop.closest('form');
      const s = svc(form.dataset.service);
      const ok = await confirm(L('Ngừng nhận lịch hẹn?', 'Stop taking appointments?'),
        L(`“${s.name}” sẽ không nhận đặt lịch hẹn mới. Nếu còn người dân đã đặt lịch chưa đến, hệ thống sẽ từ chối và cho biết số lịch hẹn.`,
          `“${s.name_en || s.name}” takes no new bookings. If citizens still hold bookings to come, this is refused and their number shown.`),
        ['Ngừng nhận lịch hẹn', 'Stop taking appointments']);
      if (!ok) return;
      submit(form, () => saveThen(form, { appointments: false },
        'Đã ngừng nhận lịch hẹn cho lĩnh vực này.', 'This service takes no appointments now.'), `service:${form.dataset.service}`);
      return;
    }
    const b = e.target.closest('button[data-act="close"]');
    if (!b) return;
    const form = b.closest('form');
    const closed = svc(form.dataset.service).closed !== true;
    submit(form, () => saveThen(form, { closed },
      closed ? 'Đã tạm ngừng cấp số cho lĩnh vực này. Người đang chờ vẫn được gọi.' : 'Đã mở lại cấp số.',
      closed ? 'This service issues no new tickets now. Citizens already waiting are still called.' : 'Issuing again.'));
  });

  return { load, render, showError: (x) => showError(box, x) };
}
