// xephang administration page, section "Nhật ký thay đổi / Change log" (admin.html): every
// configuration change, newest first, with when, who (the supervisor's name and id) and what,
// in the page's language (GET /api/v1/admin/audit: `summary` and `summary_en`).
import { esc, L, fmtDate, fmtTime, $ } from '/assets/client.js';
import { api } from '/assets/admin-forms.js';

export function auditSection() {
  let list = null;

  async function load() {
    list = await api('GET', '/api/v1/admin/audit');
    render();
  }

  function render() {
    const box = $('#audit-list');
    if (!list) return;
    const head = `<caption class="sr-only">${esc(L('Nhật ký thay đổi, mới nhất trước', 'Change log, newest first'))}</caption>
      <tr><th>${esc(L('Thời gian', 'When'))}</th><th>${esc(L('Người thay đổi', 'Changed by'))}</th><th>${esc(L('Nội dung', 'Change'))}</th></tr>`;
    if (!list.length) {
      box.innerHTML = `${head}<tr><td colspan="3" class="muted">${esc(L('Chưa có thay đổi nào.', 'No change yet.'))}</td></tr>`;
      return;
    }
    box.innerHTML = head + list.map((a) => `<tr data-change="${esc(a.change)}"><td class="when num">${esc(fmtDate(a.at))}<br><b>${esc(fmtTime(a.at, true))}</b></td>
      <td class="by">${esc(a.by?.name || '')} <small class="muted">${esc(a.by?.id || '')}</small></td>
      <td class="what">${esc(L(a.summary, a.summary_en || a.summary))}</td></tr>`).join('');
  }

  return { load, render };
}
