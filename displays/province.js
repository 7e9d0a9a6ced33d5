// xephang province dashboard (province.html): the province list from /ws/province (hub-list.js)
// and the day's province figures (GET /api/v1/province/stats, fetched again after changes).
import { api, esc, L, applyStatic, onLang, langToggle, fmtDur, fmtTime, qs, $ } from '/assets/client.js';
import { followList } from '/assets/hub-list.js';
import { ALERT_KINDS, label } from '/assets/labels.js';

const KEY = 'xephang.province';
let tok = qs.get('token') || sessionStorage.getItem(KEY) || '';
let centres = [];
let totals = null;
let statsTimer = null;

const pct = (v) => (v == null ? '—' : `${Math.round(v)}%`);
const ago = (s) => (s == null ? L('chưa bao giờ', 'never') : s < 60 ? L(`${s} giây trước`, `${s} s ago`) : L(`${Math.round(s / 60)} phút trước`, `${Math.round(s / 60)} min ago`));

function sortKey(c) {
  const f = c.figures || {};
  switch ($('#sort').value) {
    case 'satisfaction': return -(f.satisfaction_pct ?? -1);
    case 'waiting': return -(f.waiting ?? 0);
    default: return -(f.on_time_pct ?? -1);
  }
}

function render() {
  const online = centres.filter((c) => c.online).length;
  const t = totals || {};
  $('#kpis').innerHTML = [
    [L('Trung tâm trực tuyến', 'Centres online'), `${online}/${centres.length}`],
    [L('Đang chờ', 'Waiting'), t.waiting ?? '—'],
    [L('Đã phục vụ hôm nay', 'Served today'), t.served ?? '—'],
    [L('Đúng hẹn', 'On time'), pct(t.on_time_pct)],
    [L('Hài lòng', 'Satisfied'), pct(t.satisfaction_pct)],
    [L('Chờ lâu nhất', 'Longest wait'), t.longest_wait_s == null ? '—' : fmtDur(t.longest_wait_s)],
  ].map(([k, v]) => `<div class="kpi"><span>${esc(k)}</span><b class="num">${esc(v)}</b></div>`).join('');
  const alerts = [];
  for (const c of centres) {
    const n = L(c.name, c.name_en || c.name);
    if (c.problem) alerts.push(`<li data-kind="identity"><b>${esc(n)}</b>: ${esc(L('dữ liệu từ máy có định danh khác bị từ chối (máy bị xóa dữ liệu?) — cần quản trị viên xử lý', 'events from another data directory refused (a wiped lobby?) — an operator must resolve it'))}</li>`);
    if (c.silent_alert) alerts.push(`<li data-kind="silent"><b>${esc(n)}</b>: ${esc(L(`mất liên lạc trong giờ làm việc (lần cuối ${ago(c.silent_s)})`, `silent during opening hours (last heard ${ago(c.silent_s)})`))}</li>`);
    for (const a of c.alerts || []) {
      const k = label(ALERT_KINDS, a.kind);
      alerts.push(`<li data-kind="${esc(a.kind)}"><b>${esc(n)}</b>: ${esc(L(...k))}${a.number ? ` ${esc(a.number)}` : ''} · ${esc(fmtTime(a.since))}</li>`);
    }
  }
  $('#alerts').hidden = !alerts.length;
  $('#alerts').innerHTML = `<b>${esc(L('Cảnh báo', 'Alerts'))} (${alerts.length})</b><ul>${alerts.join('')}</ul>`;
  const rows = centres.slice().sort((a, b) => sortKey(a) - sortKey(b));
  $('#table').innerHTML = `<thead><tr><th>#</th><th>${esc(L('Trung tâm', 'Centre'))}</th><th>${esc(L('Trạng thái', 'Status'))}</th>
    <th>${esc(L('Đang chờ', 'Waiting'))}</th><th>${esc(L('Chờ lâu nhất', 'Longest wait'))}</th><th>${esc(L('Đúng hẹn', 'On time'))}</th>
    <th>${esc(L('Hài lòng', 'Satisfied'))}</th><th>${esc(L('Đã phục vụ', 'Served'))}</th><th>${esc(L('Quầy mở', 'Counters open'))}</th>
    <th>${esc(L('Cảnh báo', 'Alerts'))}</th><th>${esc(L('Liên lạc', 'Last heard'))}</th></tr></thead><tbody>` + rows.map((c, i) => {
    const f = c.figures || {};
    const status = c.problem ? L('Bị từ chối', 'Refused') : !c.online ? L('Mất liên lạc', 'Offline') : L('Trực tuyến', 'Online');
    const cls = c.problem || c.silent_alert ? 'bad' : (c.alerts || []).length ? 'warn' : '';
    return `<tr class="${cls}" data-id="${esc(c.id)}"><td class="rank">${i + 1}</td><td>${esc(L(c.name, c.name_en || c.name))}</td><td>${esc(status)}</td>
      <td class="num">${esc(f.waiting ?? '—')}</td><td class="num">${f.longest_wait_s == null ? '—' : esc(fmtDur(f.longest_wait_s))}</td>
      <td class="num">${esc(pct(f.on_time_pct))}</td><td class="num">${esc(pct(f.satisfaction_pct))}</td><td class="num">${esc(f.served ?? '—')}</td>
      <td class="num">${esc(c.counters_open ?? 0)}</td><td class="num">${esc((c.alerts || []).length)}</td><td>${esc(ago(c.silent_s))}</td></tr>`;
  }).join('') + '</tbody>';
}

async function loadStats() {
  try { totals = (await api('GET', '/api/v1/province/stats', undefined, { token: tok })).totals; } catch { /* shown at the next try */ }
  render();
}

function start() {
  $('#login').hidden = true;
  $('#app').hidden = false;
  const today = new Date().toISOString().slice(0, 10);
  $('#report').href = `/api/v1/province/report.xlsx?token=${encodeURIComponent(tok)}&from=${today}&to=${today}`;
  followList(`/ws/province?token=${encodeURIComponent(tok)}`, (list) => {
    centres = list;
    render();
    clearTimeout(statsTimer);
    statsTimer = setTimeout(loadStats, 1000);
  });
  loadStats();
}

langToggle($('#lang'));
applyStatic();
onLang(render);
$('#sort').addEventListener('change', render);
$('#go').addEventListener('click', async () => {
  tok = $('#tok').value.trim();
  try {
    await api('GET', '/api/v1/province/stats', undefined, { token: tok });
    sessionStorage.setItem(KEY, tok);
    start();
  } catch (e) { $('#login-err').textContent = e.message; }
});
if (tok) start(); else $('#login').hidden = false;
