// xephang administration page, section "Dòng thông báo / Notice line" (admin.html): the line
// that runs along the bottom of the lobby board, in Vietnamese and English, read from the
// centre (GET /api/v1/state) and saved with PATCH /api/v1/admin/notice {vi, en}; the board
// shows it at once.
import { $ } from '/assets/client.js';
import { api, submit, saved, showError } from '/assets/admin-forms.js';

export function noticeSection(ctx) {
  const form = $('#notice-form');
  const f = (n) => form.elements.namedItem(n);
  let shown = null; // what the form was filled with, so a refresh keeps what is being typed

  async function load() {
    const c = ctx.state?.centre || {};
    const now = JSON.stringify([c.notice || '', c.notice_en || '']);
    if (now !== shown && !form.contains(document.activeElement)) {
      f('vi').value = c.notice || '';
      f('en').value = c.notice_en || '';
      shown = now;
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit(form, async () => {
      await api('PATCH', '/api/v1/admin/notice', { vi: f('vi').value.trim(), en: f('en').value.trim() });
      await ctx.reloadState();
      shown = null;
      await load();
      saved(form, 'Đã lưu. Bảng gọi số hiển thị dòng mới ngay.', 'Saved. The board shows the new line at once.');
    });
  });

  return { load, render: () => {}, showError: (x) => showError(form, x) };
}
