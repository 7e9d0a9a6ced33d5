// xephang counter display (display.html): shows counter {n} from /display/{n} with its
// current number, the clerk on duty (photo and name) and flashes on a call or a recall.
import {
  connect, model, token, pathParam, esc, bi, L, applyStatic, onLang, avatar, fmtTime,
  everySecond, serverNow, $,
} from '/assets/client.js';
import { COUNTER_STATUS, label } from '/assets/labels.js';

const id = Number(pathParam());
const client = connect({ token, page: 'display' });
const STALE_MS = 60000;

function fit() {
  const el = $('#number');
  const box = $('#now');
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
  const chars = Math.max(el.textContent.length, 3);
  const byW = (box.clientWidth * 0.9) / (chars * 0.7);
  const byH = box.clientHeight - 9 * rem;
  el.style.setProperty('--nsize', `${Math.max(4 * rem, Math.min(byW, byH))}px`);
}

function render() {
  const c = model.counters.find((x) => x.id === id);
  if (!c) {
    $('#counter-name').textContent = model.loaded ? L(`Không có quầy ${id}`, `No counter ${id}`) : '';
    return;
  }
  $('#counter-name').textContent = c.name;
  document.title = `${c.name} — xephang`;
  const st = $('#status');
  st.className = `status ${c.status}`;
  st.textContent = c.status === 'open' ? '' : L(...label(COUNTER_STATUS, c.status));
  st.hidden = c.status === 'open';
  const t = c.current;
  $('#now').classList.toggle('idle', !t);
  $('#number').textContent = t ? t.number : '—';
  const svc = t && model.services.find((s) => s.id === t.service);
  $('#service').innerHTML = svc ? bi(svc.name, svc.name_en || svc.name) : '';
  const k = c.clerk;
  const box = $('#clerk');
  box.classList.toggle('empty', !k);
  box.innerHTML = k
    ? `${avatar(k)}<div class="role">${bi('Cán bộ tiếp nhận', 'Officer on duty')}</div><div class="name">${esc(k.name)}</div>`
    : `<div class="role">${bi('Chưa có cán bộ', 'No officer yet')}</div>`;
  $('#services').textContent = c.services.map((sid) => {
    const s = model.services.find((x) => x.id === sid);
    return s ? L(s.name, s.name_en || s.name) : sid;
  }).join(' · ');
  fit();
}

client.on('change', render);
client.on('event', (ev, frame) => {
  if ((ev.type === 'ticket_called' || ev.type === 'ticket_recalled') && ev.counter === id) {
    if (frame.at && serverNow() - Date.parse(frame.at) > STALE_MS) return;
    const now = $('#now');
    now.classList.remove('flash');
    void now.offsetWidth;
    now.classList.add('flash');
  }
});
onLang(render);
window.addEventListener('resize', fit);
everySecond((now) => { $('#clock').textContent = fmtTime(now); });
applyStatic();
