// xephang administration page, section "Thiết bị / Devices" (admin.html): every device with
// whether it is connected now (GET /api/v1/admin/devices, fetched again every 10 s while the
// section is shown: presence is not an event), adding one (a counter display is a display with
// its counter: `/display/{n}`; POST → its address with its token,
// shown once with a QR code drawn here by the vendored qrcode-generator, so the TV or tablet
// opens it by camera), renaming (PATCH {name}) and revoking after a confirmation (DELETE: its
// screens close at once and its token stops working).
import { esc, L, $ } from '/assets/client.js';
import { api, submit, saved, dialog, confirm, onceLine, showError, clearErrors } from '/assets/admin-forms.js';
import qrcode from '/assets/vendor/qrcode-generator/qrcode.js';

const REFRESH_MS = 10000;
export const ROLES = {
  display: ['Màn hình sảnh (TV)', 'Lobby display (TV)'],
  kiosk: ['Ki-ốt lấy số', 'Ticket kiosk'],
  rating: ['Máy đánh giá tại quầy', 'Rating tablet'],
  supervisor: ['Máy giám sát', 'Supervisor PC'],
};
/** The kinds the "add" form offers: a counter display is a display with its counter. */
const KINDS = {
  display: ['Màn hình sảnh (TV, mọi quầy)', 'Lobby display (TV, every counter)'],
  counter_display: ['Màn hình quầy (trên một quầy)', 'Counter display (above one counter)'],
  kiosk: ROLES.kiosk,
  rating: ROLES.rating,
  supervisor: ROLES.supervisor,
};
/** Kinds that belong to one counter. */
const AT_COUNTER = ['rating', 'counter_display'];
/** A device's kind in words: a display with a counter is that counter's display. */
const kindOf = (d) => (d.role === 'display' && d.counter ? KINDS.counter_display : ROLES[d.role] || [d.role, d.role]);

/** A QR code of `text` as an SVG string (black on white, a quiet zone of 4 modules). */
export function qrSvg(text, label) {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  let d = '';
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + 4} ${r + 4}h1v1h-1z`;
  return `<svg class="qr" viewBox="0 0 ${n + 8} ${n + 8}" role="img" aria-label="${esc(label)}" shape-rendering="crispEdges">
    <rect width="100%" height="100%" fill="#fff"/><path d="${d}" fill="#000"/></svg>`;
}

export function devicesSection(ctx) {
  let list = null;
  let timer = 0;
  let editing = null; // the name of the device being renamed
  const form = $('#device-add');
  const f = (n) => form.elements.namedItem(n);

  async function load() {
    list = await api('GET', '/api/v1/admin/devices');
    render();
  }

  function fillForm() {
    const role = f('role').value || 'display';
    f('role').innerHTML = Object.entries(KINDS).map(([k, v]) => `<option value="${k}"${k === role ? ' selected' : ''}>${esc(L(...v))}</option>`).join('');
    const counter = f('counter').value;
    f('counter').innerHTML = (ctx.state?.counters || []).map((c) => `<option value="${c.id}"${String(c.id) === counter ? ' selected' : ''}>${esc(c.name)}</option>`).join('');
    // A rating tablet and a counter display belong to one counter; the others to the centre.
    form.querySelector('.dev-counter').hidden = !AT_COUNTER.includes(role);
  }

  function render() {
    fillForm();
    const box = $('#device-list');
    if (!list) return;
    const head = `<caption class="sr-only">${esc(L('Danh sách thiết bị', 'Device list'))}</caption><tr><th>${esc(L('Tên', 'Name'))}</th><th>${esc(L('Loại', 'Kind'))}</th>
      <th>${esc(L('Kết nối', 'Connection'))}</th><th>${esc(L('Thao tác', 'Actions'))}</th></tr>`;
    box.innerHTML = head + list.map((d) => {
      const kind = L(...kindOf(d)) + (d.counter ? ` · ${ctxCounter(d.counter)}` : '');
      const state = `<span class="pill ${d.connected ? 'open' : 'closed'}">${esc(d.connected ? L('Đang kết nối', 'Connected') : L('Không kết nối', 'Not connected'))}</span>`;
      const name = editing === d.name
        ? `<form class="rename" data-field="name" novalidate><input name="name" value="${esc(d.name)}" aria-label="${esc(L('Tên mới', 'New name'))}" autocomplete="off">
            <button class="btn sm" type="submit">${esc(L('Lưu', 'Save'))}</button><button class="btn ghost sm" type="button" data-act="cancel">${esc(L('Hủy', 'Cancel'))}</button>
            <em class="ferr" role="alert"></em></form>`
        : `${esc(d.name)}${d.source === 'config' ? `<small class="muted src">${esc(L('từ tệp cấu hình', 'from the config file'))}</small>` : ''}`;
      return `<tr data-device="${esc(d.name)}"><td>${name}</td><td>${esc(kind)}</td><td>${state}</td>
        <td class="acts">${editing === d.name ? '' : `<button type="button" class="btn ghost sm" data-act="rename">${esc(L('Đổi tên', 'Rename'))}</button>`}
          <button type="button" class="btn ghost sm danger-text" data-act="revoke">${esc(L('Thu hồi', 'Revoke'))}</button>
          <em class="ferr row-err" role="alert"></em></td></tr>`;
    }).join('');
    if (editing) $('#device-list form.rename input')?.focus();
  }
  const ctxCounter = (n) => ctx.state?.counters?.find((c) => c.id === Number(n))?.name || L(`Quầy ${n}`, `Counter ${n}`);

  f('role').addEventListener('change', fillForm);

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit(form, async () => {
      const kind = f('role').value;
      const role = kind === 'counter_display' ? 'display' : kind;
      const body = { name: f('name').value.trim(), role };
      const counter = f('counter').value;
      if (AT_COUNTER.includes(kind) && counter) body.counter = Number(counter);
      const r = await api('POST', '/api/v1/admin/devices', body);
      form.reset();
      fillForm();
      saved(form, `Đã thêm ${r.name}.`, `${r.name} added.`);
      return { ...r, counter: body.counter };
    }).then(async (r) => {
      if (!r) return;
      load().catch(() => {});
      await showAddress(r);
    });
  });

  /** The new device's address and QR code, once. */
  function showAddress(r) {
    return dialog({
      title: L('Đã thêm thiết bị', 'Device added'),
      html: `<p class="dlg-text">${esc(L(`Mở địa chỉ này trên “${r.name}” (${L(...kindOf(r))}), hoặc quét mã QR bằng camera của thiết bị:`,
        `Open this address on “${r.name}” (${L(...kindOf(r))}), or scan the QR code with the device's camera:`))}</p>
        <div class="dev-url">${qrSvg(r.url, L('Mã QR của địa chỉ thiết bị', 'QR code of the device address'))}
        <label><span>${esc(L('Địa chỉ của thiết bị', 'Address of the device'))}</span><textarea id="device-url" readonly rows="3" spellcheck="false">${esc(r.url)}</textarea></label></div>
        ${onceLine()}
        <p class="dlg-text muted">${esc(L('Địa chỉ chứa mã truy cập riêng của thiết bị. Nếu làm mất, hãy thu hồi thiết bị và thêm lại.',
    'The address holds the device\'s own token. If it is lost, revoke the device and add it again.'))}</p>`,
      ok: ['Tôi đã mở hoặc ghi lại', 'I have opened or noted it'], noCancel: true, focus: '#device-url',
    });
  }

  $('#device-list').addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-act]');
    if (!b) return;
    const row = b.closest('tr');
    const d = list.find((x) => x.name === row.dataset.device);
    if (!d) return;
    if (b.dataset.act === 'rename') { editing = d.name; render(); return; }
    if (b.dataset.act === 'cancel') { editing = null; render(); return; }
    if (b.dataset.act === 'revoke') {
      const ok = await confirm(L('Thu hồi thiết bị?', 'Revoke the device?'),
        L(`“${d.name}” sẽ bị ngắt ngay: màn hình của nó đóng lại và mã truy cập không dùng được nữa. Muốn dùng lại phải thêm thiết bị mới.`,
          `“${d.name}” is cut off at once: its screens close and its token stops working. To use it again, add it as a new device.`),
        ['Thu hồi', 'Revoke']);
      if (!ok) return;
      try {
        await api('DELETE', `/api/v1/admin/devices/${encodeURIComponent(d.name)}`);
        await load();
        $('#status').textContent = L(`Đã thu hồi ${d.name}.`, `${d.name} revoked.`);
      } catch (x) {
        if (x.status === 401) { location.reload(); return; }
        const err = $(`#device-list tr[data-device="${CSS.escape(d.name)}"] .row-err`);
        if (err) err.textContent = x.message;
      }
    }
  });

  $('#device-list').addEventListener('submit', (e) => {
    const rf = e.target.closest('form.rename');
    if (!rf) return;
    e.preventDefault();
    const from = rf.closest('tr').dataset.device;
    clearErrors(rf);
    const to = rf.elements.namedItem('name').value.trim();
    submit(rf, async () => {
      await api('PATCH', `/api/v1/admin/devices/${encodeURIComponent(from)}`, { name: to });
      editing = null;
      await load();
      $('#status').textContent = L(`Đã đổi tên thành ${to}.`, `Renamed to ${to}.`);
    });
  });

  function visible(on) {
    clearInterval(timer);
    if (on) timer = setInterval(() => { if (!editing) load().catch(() => {}); }, REFRESH_MS);
  }

  return { load, render, visible, showError: (x) => showError(form, x) };
}
