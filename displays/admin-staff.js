// xephang administration page, section "Cán bộ / Staff" (admin.html): the staff list
// (GET /api/v1/admin/staff), adding a member (POST → a one-time PIN shown large, once), locking
// and unlocking (PATCH {disabled}), resetting a PIN after a confirmation (POST …/reset-pin → a
// one-time PIN, once) and uploading a photo (PUT …/photo, JPEG or PNG up to 512 KiB).
import { esc, L, avatar, $ } from '/assets/client.js';
import { api, putBytes, submit, saved, dialog, confirm, onceLine, showError } from '/assets/admin-forms.js';

const PHOTO_MAX = 512 * 1024;

export function staffSection() {
  let list = null;
  let photoFor = null;
  const form = $('#staff-add');
  const f = (n) => form.elements.namedItem(n);

  async function load() {
    list = await api('GET', '/api/v1/admin/staff');
    render();
  }

  function render() {
    const box = $('#staff-list');
    if (!list) return;
    const head = `<caption class="sr-only">${esc(L('Danh sách cán bộ', 'Staff list'))}</caption><tr><th>${esc(L('Mã', 'ID'))}</th><th>${esc(L('Họ và tên', 'Name'))}</th>
      <th>${esc(L('Vai trò', 'Role'))}</th><th>${esc(L('Trạng thái', 'Status'))}</th><th>${esc(L('Thao tác', 'Actions'))}</th></tr>`;
    const stamp = Date.now();
    box.innerHTML = head + list.map((s) => {
      const state = s.disabled
        ? `<span class="pill closed">${esc(L('Đã khóa', 'Locked'))}</span>`
        : `<span class="pill open">${esc(L('Đang làm việc', 'Active'))}</span>`;
      const pin = s.must_change_pin ? ` <span class="pill wait">${esc(L('Chờ đặt PIN mới', 'Must choose a PIN'))}</span>` : '';
      const photo = avatar({ id: s.id, name: s.name, photo: s.has_photo ? `/photos/${encodeURIComponent(s.id)}?v=${stamp}` : null });
      return `<tr data-staff="${esc(s.id)}"${s.disabled ? ' class="off"' : ''}>
        <td class="mono">${esc(s.id)}</td>
        <td><span class="who">${photo}<span>${esc(s.name)}${s.source === 'config' ? `<small class="muted src">${esc(L('từ tệp cấu hình', 'from the config file'))}</small>` : ''}</span></span></td>
        <td>${esc(s.supervisor ? L('Giám sát viên', 'Supervisor') : L('Cán bộ quầy', 'Clerk'))}</td>
        <td>${state}${pin}</td>
        <td class="acts">
          <button type="button" class="btn ghost sm" data-act="reset">${esc(L('Đặt lại PIN', 'Reset PIN'))}</button>
          <button type="button" class="btn ghost sm" data-act="${s.disabled ? 'enable' : 'disable'}">${esc(s.disabled ? L('Mở khóa', 'Unlock') : L('Khóa', 'Lock'))}</button>
          <button type="button" class="btn ghost sm" data-act="photo">${esc(L('Tải ảnh lên', 'Upload photo'))}</button>
          <em class="ferr" role="alert"></em>
        </td></tr>`;
    }).join('');
  }

  /** The one-time PIN, large, with the "shown once" line. */
  function showPin(title, who, pin) {
    return dialog({
      title,
      html: `<p class="dlg-text">${esc(L(`Mã PIN dùng một lần của ${who.name} (${who.id}):`, `One-time PIN of ${who.name} (${who.id}):`))}</p>
        <p class="secret-pin num" id="one-time-pin">${esc(pin)}</p>
        ${onceLine()}
        <p class="dlg-text">${esc(L('Đưa mã này cho cán bộ. Lần đăng nhập đầu tiên, cán bộ sẽ phải tự đặt mã PIN mới.',
    'Give it to the clerk. At their first sign-in they must choose a new PIN of their own.'))}</p>`,
      ok: ['Tôi đã ghi lại', 'I have written it down'], noCancel: true,
    });
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit(form, async () => {
      const body = { id: f('id').value.trim(), name: f('name').value.trim(), supervisor: f('supervisor').checked };
      const r = await api('POST', '/api/v1/admin/staff', body);
      form.reset();
      saved(form, `Đã thêm ${r.name}.`, `${r.name} added.`);
      return r;
    }).then(async (r) => {
      if (!r) return;
      load().catch(() => {});
      await showPin(L('Đã thêm cán bộ', 'Staff added'), r, r.pin);
    });
  });

  $('#staff-list').addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-act]');
    if (!b) return;
    const row = b.closest('tr');
    const s = list.find((x) => x.id === row.dataset.staff);
    if (!s) return;
    const err = row.querySelector('.ferr');
    err.textContent = '';
    const run = async (fn) => {
      try { await fn(); } catch (x) {
        if (x.status === 401) { location.reload(); return; }
        err.textContent = x.message;
      }
    };
    if (b.dataset.act === 'reset') {
      const ok = await confirm(L('Đặt lại mã PIN?', 'Reset the PIN?'),
        L(`Mã PIN hiện tại của ${s.name} (${s.id}) sẽ không dùng được nữa. Một mã dùng một lần sẽ được tạo.`,
          `The current PIN of ${s.name} (${s.id}) will stop working. A one-time PIN will be made.`),
        ['Đặt lại PIN', 'Reset PIN']);
      if (!ok) return;
      await run(async () => {
        const r = await api('POST', `/api/v1/admin/staff/${encodeURIComponent(s.id)}/reset-pin`);
        await load();
        await showPin(L('Đã đặt lại mã PIN', 'PIN reset'), s, r.pin);
      });
    } else if (b.dataset.act === 'enable' || b.dataset.act === 'disable') {
      const disabled = b.dataset.act === 'disable';
      if (disabled) {
        const ok = await confirm(L('Khóa tài khoản?', 'Lock the account?'),
          L(`${s.name} (${s.id}) sẽ không đăng nhập được nữa và phiên làm việc hiện tại kết thúc ngay.`,
            `${s.name} (${s.id}) can no longer sign in and their current session ends at once.`), ['Khóa', 'Lock']);
        if (!ok) return;
      }
      await run(async () => {
        await api('PATCH', `/api/v1/admin/staff/${encodeURIComponent(s.id)}`, { disabled });
        await load();
        $('#status').textContent = disabled ? L(`Đã khóa ${s.name}.`, `${s.name} locked.`) : L(`Đã mở khóa ${s.name}.`, `${s.name} unlocked.`);
      });
    } else if (b.dataset.act === 'photo') {
      photoFor = s;
      $('#photo-file').value = '';
      $('#photo-file').click();
    }
  });

  $('#photo-file').addEventListener('change', async () => {
    const file = $('#photo-file').files[0];
    const s = photoFor;
    if (!file || !s) return;
    const row = $(`#staff-list tr[data-staff="${CSS.escape(s.id)}"]`);
    const err = row?.querySelector('.ferr');
    if (!/^image\/(jpeg|png)$/.test(file.type) || file.size > PHOTO_MAX) {
      if (err) err.textContent = L('Ảnh phải là JPEG hoặc PNG, tối đa 512 KB.', 'The photo must be a JPEG or PNG of at most 512 KB.');
      return;
    }
    try {
      await putBytes(`/api/v1/admin/staff/${encodeURIComponent(s.id)}/photo`, file);
      await load();
      $('#status').textContent = L(`Đã cập nhật ảnh của ${s.name}.`, `Photo of ${s.name} updated.`);
    } catch (x) {
      if (err) err.textContent = x.message;
    }
  });

  return { load, render, showError: (x) => showError(form, x) };
}
