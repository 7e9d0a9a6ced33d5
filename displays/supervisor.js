// xephang supervisor dashboard (supervisor.html). Live parts come from the WebSocket model
// (waiting tickets, counters, ratings); the day's figures from GET /api/v1/stats, fetched
// again shortly after events (never on a timer); waits and alerts tick with the server clock.
import {
  connect, model, api, esc, L, i18n, applyStatic, onLang, langToggle, svcName, prioName,
  fmtTime, fmtClock, since, everySecond, toast, $,
} from '/assets/client.js';
import { initialToken, showLogin, signedOut, wireSignIn } from '/assets/supervisor-session.js';
import { LEVELS, face } from '/assets/faces.js';
import { COUNTER_STATUS, label } from '/assets/labels.js';
import { attachBookings } from '/assets/supervisor-bookings.js';
import { attachPrinters, printerAlert } from '/assets/supervisor-printers.js';
import { attachDevices } from '/assets/supervisor-devices.js';
import { attachDayOne } from '/assets/supervisor-dayone.js';
import { attachUplink } from '/assets/supervisor-uplink.js';

let tok = initialToken();
let stats = null;
let statsTimer = null;
let client = null;

// ---------------------------------------------------------------- sign-in
wireSignIn({ home: '/supervisor', onSignedIn: (t) => { tok = t; start(); } });

async function start() {
  try {
    await loadStats();
  } catch (err) {
    if (err.status === 401 || err.status === 403) { signedOut(err.message); return; }
    toast(err.message);
  }
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#csv').href = `/api/v1/reports/daily.csv?token=${encodeURIComponent(tok)}`;
  client = connect({ token: tok, page: 'supervisor' });
  client.on('change', render);
  client.on('event', () => {
    clearTimeout(statsTimer);
    statsTimer = setTimeout(() => loadStats().then(render).catch((err) => toast(err.message)), 1500);
  });
  client.on('snapshot', () => loadStats().then(render).catch(() => {}));
  attachBookings(client, tok);
  attachPrinters(client, tok);
  attachDevices(client, tok);
  attachDayOne(client, tok);
  attachUplink(client, tok);
}

async function loadStats() {
  stats = await api('GET', '/api/v1/stats', undefined, { token: tok });
}

// ---------------------------------------------------------------- rendering
const fig = (list, id) => (list || []).find((x) => String(x.id) === String(id)) || null;
const avg = (d) => (d && d.avg != null ? fmtClock(d.avg) : '—');
const pct = (v) => (v == null ? '—' : `${Math.round(v)}%`);
const count = (r) => (r ? Object.values(r).reduce((a, b) => a + b, 0) : 0);

function render() {
  if ($('#app').hidden) return;
  const c = model.centre || {};
  $('#centre').textContent = L(c.name, c.name_en || c.name) || '';
  renderKpis();
  renderServices();
  renderCounters();
  renderAlerts();
  renderChart();
  renderRatings();
  renderDossier();
}

function renderKpis() {
  const t = stats?.totals || {};
  const waiting = model.services.reduce((n, s) => n + (s.waiting || 0), 0);
  const served = model.counters.reduce((n, x) => n + (x.served || 0), 0);
  const nr = t.ratings ? Object.values(t.ratings).reduce((a, b) => a + b, 0) : 0;
  const k = [
    ['Đã cấp số', 'Issued', t.issued ?? '—'],
    ['Đã phục vụ', 'Served', Math.max(served, t.served ?? 0)],
    ['Đang chờ', 'Waiting', waiting],
    ['Vắng mặt', 'No-show', t.no_show ?? '—'],
    ['Chờ trung bình', 'Average wait', avg(t.wait_s)],
    ['Đúng hạn', 'On time', pct(t.on_time_pct), t.on_time_pct != null && t.on_time_pct < 80],
    ['Hài lòng', 'Satisfaction', pct(t.satisfaction_pct), t.satisfaction_pct != null && t.satisfaction_pct < 80],
    ['Lượt đánh giá', 'Ratings', nr],
  ];
  $('#kpis').innerHTML = k.map(([vi, en, v, bad]) => `<div class="kpi${bad ? ' bad' : ''}" data-kpi="${esc(en.toLowerCase().replace(/\W+/g, '-'))}">
    <div class="k">${esc(L(vi, en))}</div><div class="v num">${esc(v)}</div></div>`).join('');
}

function oldestWaiting(sid) {
  let oldest = null;
  for (const t of model.waiting || []) {
    if (t.service === sid && (!oldest || Date.parse(t.issued_at) < Date.parse(oldest.issued_at))) oldest = t;
  }
  return oldest;
}

function renderServices() {
  const head = `<tr><th>${esc(L('Lĩnh vực', 'Service'))}</th><th class="r">${esc(L('Đang chờ', 'Waiting'))}</th>
    <th class="r">${esc(L('Chờ lâu nhất', 'Longest wait'))}</th><th class="r">${esc(L('Chờ TB', 'Avg. wait'))}</th>
    <th class="r">${esc(L('Đúng hạn', 'On time'))}</th><th class="r">${esc(L('Mục tiêu', 'Target'))}</th>
    <th class="r">${esc(L('Đã cấp', 'Issued'))}</th></tr>`;
  $('#svc-table').innerHTML = head + model.services.map((s) => {
    const f = fig(stats?.services, s.id);
    const o = oldestWaiting(s.id);
    const w = o ? since(o.issued_at) : null;
    const late = w != null && s.target_wait_s && w > s.target_wait_s;
    return `<tr data-service="${esc(s.id)}"><td>${esc(L(s.name, s.name_en || s.name))}${s.open === false ? ` <span class="muted">(${esc(L('đóng', 'closed'))})</span>` : ''}</td>
      <td class="r n num waiting">${esc(s.waiting ?? 0)}</td>
      <td class="r num longest${late ? ' late' : ''}" data-issued="${esc(o?.issued_at || '')}" data-target="${esc(s.target_wait_s || '')}">${w == null ? '—' : esc(fmtClock(w))}</td>
      <td class="r num">${esc(avg(f?.wait_s))}</td><td class="r num">${esc(pct(f?.on_time_pct))}</td>
      <td class="r num">${s.target_wait_s ? esc(fmtClock(s.target_wait_s)) : '—'}</td><td class="r num">${esc(f?.issued ?? '—')}</td></tr>`;
  }).join('');
}

function renderCounters() {
  const head = `<tr><th>${esc(L('Quầy', 'Counter'))}</th><th>${esc(L('Trạng thái', 'Status'))}</th><th>${esc(L('Cán bộ', 'Clerk'))}</th>
    <th class="r">${esc(L('Đang phục vụ', 'Current'))}</th><th class="r">${esc(L('Đã phục vụ', 'Served'))}</th>
    <th class="r">${esc(L('TG phục vụ TB', 'Avg. service'))}</th></tr>`;
  $('#ctr-table').innerHTML = head + model.counters.map((c) => {
    const f = fig(stats?.counters, c.id);
    return `<tr data-counter="${c.id}"><td>${esc(c.name)}</td>
      <td><span class="pill ${esc(c.status)}">${esc(L(...label(COUNTER_STATUS, c.status)))}</span></td>
      <td>${c.clerk ? esc(c.clerk.name) : '<span class="muted">—</span>'}</td>
      <td class="r n num current">${c.current ? esc(c.current.number) : '—'}</td>
      <td class="r num served">${esc(c.served ?? f?.served ?? 0)}</td><td class="r num">${esc(avg(f?.service_s))}</td></tr>`;
  }).join('');
}

function renderAlerts() {
  const late = (model.waiting || []).map((t) => {
    const s = model.services.find((x) => x.id === t.service);
    return { t, s, w: since(t.issued_at) };
  }).filter((x) => x.s?.target_wait_s && x.w > x.s.target_wait_s).sort((a, b) => b.w - a.w);
  // Counters paused too long and services nobody serves: raised by the daemon (alert events).
  const other = [...(model.alerts?.values() || [])].filter((a) => a.kind !== 'ticket_overdue');
  const otherHtml = other.map((a) => printerAlert(a) ?? (a.kind === 'counter_paused'
    ? `<span class="t">${esc(L(`Quầy ${a.counter} tạm dừng từ`, `Counter ${a.counter} paused since`))} ${esc(fmtTime(a.since))}</span>`
    : a.kind === 'device_offline'
      ? `<span class="t"><b>${esc(a.device)}</b> ${esc(L('mất kết nối từ', 'offline since'))} ${esc(fmtTime(a.since))}</span>`
      : a.kind === 'audio_blocked'
        ? `<span class="t"><b>${esc(a.device)}</b>: ${esc(L('trình duyệt chặn âm thanh — chạm vào màn hình', 'the browser blocks its sound — touch the screen'))}</span>`
        : `<span class="t">${esc(L('Không có quầy mở cho', 'No open counter for'))} <b>${esc(svcName(a.service))}</b></span>`)).join('');
  const box = $('#alerts');
  box.hidden = !late.length && !other.length;
  if (!late.length && !other.length) return;
  box.innerHTML = otherHtml + (late.length ? `<span>${esc(L(`${late.length} phiếu chờ quá thời gian mục tiêu:`, `${late.length} tickets waiting past their target:`))}</span>` : '')
    + late.slice(0, 14).map(({ t, w }) => `<span class="t"><b class="num">${esc(t.number)}</b> ${esc(svcName(t.service))}${
      t.priority ? ` · ${esc(prioName(t.priority))}` : ''} · ${esc(fmtClock(w))}</span>`).join('')
    + (late.length > 14 ? `<span>+${late.length - 14}</span>` : '');
}

function renderChart() {
  // The working day (7h–17h) always, widened to any hour that has tickets.
  const given = new Map((stats?.hours || []).map((h) => [h.hour, h]));
  const hs = [...given.keys()];
  const from = Math.min(7, ...hs), to = Math.max(17, ...hs);
  const hours = [];
  for (let h = from; h <= to; h++) hours.push(given.get(h) || { hour: h, issued: 0, wait_s: null });
  const box = $('#chart');
  const W = 760, H = 260, pl = 40, pr = 46, pt = 14, pb = 30;
  const iw = W - pl - pr, ih = H - pt - pb;
  const maxN = Math.ceil(Math.max(4, ...hours.map((h) => h.issued || 0)) / 4) * 4;
  const waits = hours.map((h) => (h.wait_s && h.wait_s.avg != null ? h.wait_s.avg / 60 : null));
  const maxW = Math.ceil(Math.max(4, ...waits.filter((x) => x != null)) / 4) * 4;
  const bw = iw / hours.length;
  const y1 = (v) => pt + ih - (v / maxN) * ih;
  const y2 = (v) => pt + ih - (v / maxW) * ih;
  let svg = `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(L('Biểu đồ theo giờ', 'Hourly chart'))}">`;
  for (let i = 0; i <= 4; i++) {
    const y = pt + (ih * i) / 4;
    svg += `<line x1="${pl}" x2="${W - pr}" y1="${y}" y2="${y}" stroke="#e4e7ec"/>`
      + `<text x="${pl - 6}" y="${y + 4}" text-anchor="end" font-size="11" fill="#4b5668">${Math.round(maxN * (1 - i / 4))}</text>`
      + `<text x="${W - pr + 6}" y="${y + 4}" font-size="11" fill="#d62b2b">${Math.round(maxW * (1 - i / 4))}′</text>`;
  }
  hours.forEach((h, i) => {
    const x = pl + i * bw;
    const v = h.issued || 0;
    svg += `<rect x="${x + bw * 0.15}" y="${y1(v)}" width="${bw * 0.7}" height="${pt + ih - y1(v)}" rx="3" fill="#1b4173"><title>${h.hour}h: ${v}</title></rect>`
      + `<text x="${x + bw / 2}" y="${H - 10}" text-anchor="middle" font-size="11" fill="#4b5668">${h.hour}h</text>`;
  });
  const pts = waits.map((w, i) => (w == null ? null : `${pl + i * bw + bw / 2},${y2(w)}`)).filter(Boolean);
  if (pts.length) {
    svg += `<polyline points="${pts.join(' ')}" fill="none" stroke="#d62b2b" stroke-width="3" stroke-linejoin="round"/>`
      + pts.map((p) => `<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="4" fill="#d62b2b"/>`).join('');
  }
  svg += '</svg>';
  box.innerHTML = `${svg}<div class="legend"><span><i style="background:#1b4173"></i>${esc(L('Số phiếu đã cấp', 'Tickets issued'))}</span>
    <span><i style="background:#d62b2b"></i>${esc(L('Thời gian chờ TB (phút)', 'Average wait (min)'))}</span></div>`;
}

function renderRatings() {
  const r = stats?.totals?.ratings || { 1: 0, 2: 0, 3: 0, 4: 0 };
  const total = Object.values(r).reduce((a, b) => a + b, 0);
  $('#ratings').innerHTML = LEVELS.map((l) => {
    const n = r[l.score] || r[String(l.score)] || 0;
    return `${face(l)}<div><div>${esc(L(l.vi, l.en))}</div><div class="bar"><span style="width:${total ? (100 * n) / total : 0}%;background:${l.color}"></span></div></div>
      <b class="num" data-score="${l.score}">${n}</b>`;
  }).join('') + `<div class="sum">${esc(L('Tổng', 'Total'))}: <span class="num" id="rating-total">${total}</span> · ${esc(L('Hài lòng', 'Satisfied'))}: ${esc(pct(stats?.totals?.satisfaction_pct))}</div>`
    + `<div class="sum muted">${esc(L('Tại quầy', 'At the counter'))}: <span class="num" id="rating-counter">${count(stats?.totals?.ratings_counter)}</span> · ${
      esc(L('Qua điện thoại', 'From phones'))}: <span class="num" id="rating-phone">${count(stats?.totals?.ratings_phone)}</span></div>`;
  // #rating-list (today's comments with the clerk's name) is supervisor-dayone.js's.
}

let dossierShown = null;
function renderDossier() {
  const d = model.dossier;
  const key = JSON.stringify(d);
  if (key === dossierShown || document.activeElement?.closest('#dossier')) return;
  dossierShown = key;
  for (const f of ['received', 'on_time', 'overdue']) $(`#d-${f}`).value = d ? d[f] : '';
}
$('#dossier').addEventListener('submit', async (e) => {
  e.preventDefault();
  const body = { as_of: new Date().toISOString() };
  for (const f of ['received', 'on_time', 'overdue']) body[f] = Number($(`#d-${f}`).value);
  try {
    await api('PUT', '/api/v1/dossier-stats', body, { token: tok });
    toast(L('Đã cập nhật số liệu hồ sơ.', 'Dossier figures updated.'), 'ok', 3000);
  } catch (err) { toast(err.message); }
});

// Waits and alerts move with the clock, between events too.
everySecond((now) => {
  $('#clock').textContent = fmtTime(now, true);
  if ($('#app').hidden) return;
  for (const td of document.querySelectorAll('#svc-table td.longest[data-issued]')) {
    if (!td.dataset.issued) continue;
    const w = since(td.dataset.issued);
    td.textContent = fmtClock(w);
    td.classList.toggle('late', !!td.dataset.target && w > Number(td.dataset.target));
  }
  renderAlerts();
});

langToggle($('#lang'));
onLang(render);
applyStatic();
document.documentElement.lang = i18n.lang;
if (tok) start(); else showLogin();
