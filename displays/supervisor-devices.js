// xephang supervisor dashboard, devices card "Thiết bị / Devices" (supervisor.html): every
// configured TV, counter display, kiosk and rating tablet, connected or since when it is
// gone, its address and, for lobby boards, whether their sound plays or the browser blocks it
// (GET /api/v1/devices). Presence is not an event of the stream, so the card is fetched again
// every 10 s and at once when a device alert is raised or cleared on the supervisor's socket.
import { api, esc, L, onLang, fmtTime, toast, $ } from '/assets/client.js';

const REFRESH_MS = 10000;
const ROLE = {
  display: ['Màn hình', 'Display'],
  kiosk: ['Kiosk lấy số', 'Ticket kiosk'],
  rating: ['Máy đánh giá', 'Rating tablet'],
  supervisor: ['Giám sát', 'Supervisor'],
};
const SOUND = {
  playing: ['Đang phát', 'Playing', 'ok'],
  blocked: ['Bị chặn — chạm vào TV', 'Blocked — touch the TV', 'bad'],
  off: ['Không dùng loa', 'No sound', 'muted'],
};
let list = null;
let tok = '';
let timer = null;

function render() {
  const box = $('#devices');
  if (!box || !list) return;
  const up = list.filter((d) => d.connected).length;
  const sum = $('#devices-sum');
  sum.textContent = L(`${up}/${list.length} đang kết nối`, `${up}/${list.length} connected`);
  sum.classList.toggle('bad', up < list.length);
  if (!list.length) {
    box.innerHTML = `<tr><td class="muted">${esc(L('Chưa khai báo thiết bị nào.', 'No device configured.'))}</td></tr>`;
    return;
  }
  const head = `<tr><th>${esc(L('Thiết bị', 'Device'))}</th><th>${esc(L('Trạng thái', 'Status'))}</th>
    <th>${esc(L('Âm thanh', 'Sound'))}</th><th>${esc(L('Địa chỉ', 'Address'))}</th><th class="r">${esc(L('Lần cuối', 'Last seen'))}</th></tr>`;
  box.innerHTML = head + list.map((d) => {
    const role = L(...(ROLE[d.role] || [d.role, d.role])) + (d.counter ? ` · ${L('Quầy', 'Counter')} ${d.counter}` : '');
    const pages = d.pages?.length ? ` · ${d.pages.join(', ')}` : '';
    const state = `<span class="dev ${d.connected ? 'on' : 'off'}">${esc(d.connected ? L('Đang kết nối', 'Connected') : L('Mất kết nối', 'Offline'))}</span>
      <small class="muted">${esc(L('từ', 'since'))} ${esc(fmtTime(d.since))}</small>`;
    const s = d.connected && d.audio ? SOUND[d.audio] : null;
    const sound = s ? `<span class="snd ${s[2]}">${esc(L(s[0], s[1]))}</span>` : '<span class="muted">—</span>';
    return `<tr data-device="${esc(d.name)}" class="${d.connected ? 'on' : 'off'}">
      <td><b>${esc(d.name)}</b><br><small class="muted">${esc(role + pages)}</small></td>
      <td class="state">${state}</td><td class="sound">${sound}</td>
      <td class="num">${esc(d.address || '—')}</td><td class="r num">${esc(d.last_seen ? fmtTime(d.last_seen, true) : '—')}</td></tr>`;
  }).join('');
}

async function load() {
  clearTimeout(timer);
  try {
    list = await api('GET', '/api/v1/devices', undefined, { token: tok });
    render();
  } catch (err) {
    if (err.status !== 401 && err.status !== 403) toast(err.message);
  }
  timer = setTimeout(load, REFRESH_MS);
}

/** Hooks the card to the dashboard's live link. */
export function attachDevices(client, token) {
  tok = token;
  client.on('snapshot', load);
  client.on('event', (ev) => {
    const kind = ev.type === 'alert' ? ev.kind : null;
    const key = ev.type === 'alert_cleared' ? ev.key : '';
    if (kind === 'device_offline' || kind === 'audio_blocked'
      || key.startsWith('device_offline:') || key.startsWith('audio_blocked:')) load();
  });
  onLang(render);
  load();
}
