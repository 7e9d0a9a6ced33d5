// xephang lobby board (board.html). Renders the shared model; runs a highlight queue so that
// when several counters call within the same seconds each call gets its own few seconds
// large on screen (and, with ?audio=1, its own announcement, one at a time, in order).
import {
  connect, model, qs, token, esc, bi, L, i18n, applyStatic, svcName, counterName,
  fmtTime, fmtDate, waitText, everySecond, serverNow, onLang, $,
} from '/assets/client.js';
import { COUNTER_STATUS } from '/assets/labels.js';

const DWELL_MS = 5000;        // a call alone stays highlighted this long (at least)
const DWELL_BUSY_MS = 3000;   // when more calls are waiting for their turn
const MAX_QUEUE = 12;         // older queued highlights are dropped beyond this
const STALE_MS = 60000;       // replayed calls older than this are not highlighted again

const client = connect({ token, page: 'board' });
const audio = qs.get('audio') === '1' ? makeAnnouncer() : null;
if (!audio) client.report({ audio: 'off' });

// ---------------------------------------------------------------- highlight queue
const queue = [];
let running = false;
let shown = null; // the call on the big panel: {number, service, counter, at, key}

function enqueue(call) {
  queue.push(call);
  if (queue.length > MAX_QUEUE) queue.splice(0, queue.length - MAX_QUEUE);
  if (!running) runQueue();
  else wake?.();
}

async function runQueue() {
  running = true;
  while (queue.length) {
    const call = queue.shift();
    showCall(call, true);
    const said = audio && call.audio?.length ? audio.play(call.audio).catch(() => {}) : null;
    // Every call gets DWELL_BUSY_MS; a call with nobody behind it keeps the stage up to
    // DWELL_MS, unless another call arrives meanwhile.
    await Promise.all([sleep(DWELL_BUSY_MS), said]);
    if (!queue.length) await Promise.race([sleep(DWELL_MS - DWELL_BUSY_MS), new Promise((r) => { wake = r; })]);
    wake = null;
  }
  running = false;
  renderAll(); // a ticket finished during the calls leaves the big panel now
}
let wake = null; // resolves the tail of a lone call's dwell when another call arrives

const COUNTER_FLASH_MS = 3600; // the counter's tile flashes this long on its call
const flashUntil = new Map();   // counter id → end of its flash (tiles are rebuilt on changes)

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function showCall(call, animate) {
  shown = call;
  const now = $('#now');
  const num = $('#now-number');
  num.textContent = call ? call.number : '';
  fitNumber(num, now);
  $('#now-counter').textContent = call ? counterName(call.counter) : '';
  $('#now-service').innerHTML = call ? svcBi(call.service)
    : model.recent.length ? bi('Mời theo dõi số tiếp theo', 'Watch for the next number') : bi('Chưa có số nào được gọi', 'No number called yet');
  now.classList.toggle('empty', !call);
  if (animate) {
    now.classList.remove('flash');
    void now.offsetWidth; // restart the animation
    now.classList.add('flash');
    flashUntil.set(call.counter, Date.now() + COUNTER_FLASH_MS);
    renderCounters();
  }
  renderRecent();
}

/** The largest font size (≤ 15rem) at which the number fits the panel's width. */
function fitNumber(el, box) {
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
  const chars = Math.max(el.textContent.length, 3);
  const px = Math.min(15 * rem, (box.clientWidth * 0.92) / (chars * 0.7));
  el.style.setProperty('--nsize', `${px}px`);
}
window.addEventListener('resize', () => fitNumber($('#now-number'), $('#now')));

function svcBi(id) {
  const s = model.services.find((x) => x.id === id);
  return s ? bi(s.name, s.name_en || s.name) : esc(id);
}

// ---------------------------------------------------------------- rendering
function renderHeader() {
  const c = model.centre || {};
  const [p, s] = i18n.lang === 'en' ? [c.name_en || c.name, c.name] : [c.name, c.name_en];
  const cn = $('#centre-name');
  if (cn.textContent !== (p || 'xephang')) {
    cn.textContent = p || 'xephang';
    fitCentre();
  }
  $('#centre-name-en').textContent = s && s !== p ? s : '';
  const logo = $('#logo');
  const src = c.logo || '/assets/logo.svg';
  if (logo.getAttribute('src') !== src) logo.src = src;
  document.title = `${p || 'xephang'} — ${L('Bảng gọi số', 'Calling board')}`;
}

let lastRecentKey = null;
/** Shrinks a long centre name until it fits the header (again once the font has loaded). */
function fitCentre() {
  const cn = $('#centre-name');
  let size = 3; // rem
  cn.style.setProperty('--csize', `${size}rem`);
  while (cn.scrollWidth > cn.clientWidth + 1 && size > 1.6) {
    size -= 0.1;
    cn.style.setProperty('--csize', `${size.toFixed(2)}rem`);
  }
}
document.fonts?.ready.then(fitCentre);
document.fonts?.addEventListener('loadingdone', fitCentre);
window.addEventListener('resize', fitCentre);

function renderRecent() {
  const rows = model.recent.slice(0, 8);
  const top = rows[0] ? `${rows[0].number}@${rows[0].at}` : null;
  const isNew = top !== lastRecentKey && lastRecentKey !== null;
  lastRecentKey = top;
  $('#recent').innerHTML = rows.map((r, i) => {
    const hl = shown && r.number === shown.number && r.counter === shown.counter ? ' hl' : '';
    const nw = i === 0 && isNew ? ' new' : '';
    return `<li class="num${hl}${nw}"><span>${esc(r.number)}</span><span class="c">${esc(counterName(r.counter))}</span></li>`;
  }).join('');
  const list = $('#recent');
  for (const li of [...list.children].reverse()) {
    if (li.offsetTop + li.offsetHeight <= list.clientHeight + list.offsetTop + 1 || list.children.length <= 1) break;
    li.remove();
  }
  if (shown) { // only the first matching row stays highlighted
    const hls = document.querySelectorAll('#recent li.hl');
    hls.forEach((li, i) => { if (i > 0) li.classList.remove('hl'); });
  }
}

function renderCounters() {
  const list = model.counters.filter((c) => c.status !== 'closed');
  const box = $('#counters');
  const n = Math.max(list.length, 1);
  const rows = Math.ceil(n / 10);
  const cols = Math.max(Math.ceil(n / rows), 6);
  box.style.setProperty('--cols', cols);
  box.style.setProperty('--cscale', `${(1 / Math.sqrt(rows)).toFixed(3)}rem`);
  box.innerHTML = list.map((c) => {
    const cur = c.current
      ? `<span class="cur num">${esc(c.current.number)}</span>`
      : `<span class="idle">${c.status === 'paused' ? esc(L(...COUNTER_STATUS.paused)) : '—'}</span>`;
    const left = (flashUntil.get(c.id) || 0) - Date.now();
    const fl = left > 0 ? ` flash" style="--fl-delay:${left - COUNTER_FLASH_MS}ms` : '';
    return `<div class="counter ${esc(c.status)}${fl}" data-id="${c.id}"><span class="cn">${esc(c.name)}</span>${cur}</div>`;
  }).join('') || `<div class="counter"><span class="cn">${esc(L('Chưa có quầy mở', 'No counter open'))}</span></div>`;
}

const lastWaiting = new Map();
function renderServices() {
  const box = $('#services');
  box.style.setProperty('--sscale', `${Math.min(1, 7 / Math.max(model.services.length, 1)).toFixed(3)}rem`);
  box.innerHTML = model.services.map((s) => {
    const closed = s.open === false;
    const eta = waitText(s);
    const bump = lastWaiting.has(s.id) && lastWaiting.get(s.id) !== s.waiting ? ' bump' : '';
    lastWaiting.set(s.id, s.waiting);
    return `<div class="svc${closed ? ' closed' : ''}${bump}" data-service="${esc(s.id)}">
      <div class="name">${bi(s.name, s.name_en || s.name)}</div>
      <div class="count num waiting">${esc(s.waiting ?? 0)}</div>
      <div class="eta${!closed && (!s.waiting || s.staffed === false) ? ' none' : ''}">${esc(eta)}</div></div>`;
  }).join('');
  fitServices(box);
}

/** Shrinks the service list until its box shows every row whole (a long English subtitle or
 * a two-line wait must not push the last service out of sight). */
function fitServices(box) {
  const outer = box.parentElement;
  let scale = Math.min(1, 7 / Math.max(model.services.length, 1));
  for (let i = 0; i < 14 && outer.scrollHeight > outer.clientHeight + 1; i += 1) {
    scale *= 0.94;
    box.style.setProperty('--sscale', `${scale.toFixed(3)}rem`);
  }
}

function renderFooter() {
  const d = model.dossier;
  const el = $('#dossier');
  el.hidden = !d;
  if (d) {
    el.innerHTML = `
      <span>${esc(L('Hồ sơ tiếp nhận', 'Dossiers received'))}: <b class="num">${esc(d.received)}</b></span>
      <span>${esc(L('Đúng hạn', 'On time'))}: <b class="num">${esc(d.on_time)}</b></span>
      <span class="bad">${esc(L('Quá hạn', 'Overdue'))}: <b class="num">${esc(d.overdue)}</b></span>`;
    el.title = d.as_of ? `${L('Cập nhật', 'As of')} ${fmtTime(d.as_of)}` : '';
  }
  const c = model.centre || {};
  // The English board shows `notice_en` when the centre wrote one (issue 14).
  const text = (i18n.lang === 'en' && c.notice_en) || c.notice || L(
    'Vui lòng lấy số thứ tự tại ki-ốt và theo dõi bảng gọi số. Quét mã QR trên phiếu để theo dõi lượt của bạn trên điện thoại.',
    'Please take a number at the kiosk and watch this board. Scan the QR code on your ticket to follow your turn on your phone.');
  const n = $('#notice');
  if (n.textContent !== text) {
    n.textContent = text;
    n.style.setProperty('--marquee-s', `${Math.max(20, text.length * 0.22)}s`);
  }
}

function renderAll() {
  renderHeader();
  renderCounters();
  renderRecent();
  renderServices();
  renderFooter();
  if (!running) {
    // The latest call still being served: a finished ticket leaves the big panel as its
    // counter's tile shows "—" (issue 14).
    const r = model.recent.find((x) => model.counters.find((c) => c.id === x.counter)?.current?.number === x.number);
    if (r) {
      if (!shown || shown.number !== r.number || shown.counter !== r.counter) showCall(r, false);
    } else if (shown || !$('#now').classList.contains('empty')) {
      showCall(null, false);
    }
  }
}

// ---------------------------------------------------------------- wiring
client.on('change', renderAll);
client.on('event', (ev, frame) => {
  if (ev.type !== 'ticket_called' && ev.type !== 'ticket_recalled') return;
  if (frame.at && serverNow() - Date.parse(frame.at) > STALE_MS) return; // replayed history
  enqueue({ number: ev.ticket.number, service: ev.ticket.service, counter: ev.counter,
    at: frame.at, audio: ev.audio });
});
onLang(() => { renderAll(); showCall(shown, false); });

everySecond((now) => {
  $('#clock').textContent = fmtTime(now, true);
  $('#date').textContent = fmtDate(now);
});

applyStatic();

// ---------------------------------------------------------------- audio (?audio=1)
// Web Audio: each clip is fetched and decoded once, an announcement's clips are scheduled
// back to back, and the next announcement waits for the previous one to end.
function makeAnnouncer() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return null;
  const ctx = new Ctx();
  const cache = new Map();
  const unlock = $('#audio-unlock');
  // The daemon is told whether the sound plays or the browser's autoplay policy holds the
  // context suspended until a touch (supervisor's devices panel, `audio_blocked` alert).
  let reporting = false;
  const report = () => { if (reporting) client.report({ audio: ctx.state === 'running' ? 'playing' : 'blocked' }); };
  const check = () => { unlock.hidden = ctx.state !== 'suspended'; report(); };
  ctx.addEventListener('statechange', check);
  unlock.addEventListener('click', () => ctx.resume().then(check));
  document.addEventListener('keydown', () => ctx.resume().then(check));
  // A fresh context may start suspended for a moment even where sound is allowed.
  setTimeout(() => { reporting = true; check(); }, 1500);
  const clip = (url) => {
    if (!cache.has(url)) {
      cache.set(url, fetch(url).then((r) => {
        if (!r.ok) throw new Error(`${url}: ${r.status}`);
        return r.arrayBuffer();
      }).then((b) => ctx.decodeAudioData(b)).catch((e) => { cache.delete(url); throw e; }));
    }
    return cache.get(url);
  };
  return {
    async play(urls) {
      // Without a user gesture resume() never settles: wait a second at most, and skip the
      // announcement (the page reports its sound as blocked) rather than hold the queue.
      if (ctx.state === 'suspended') {
        await Promise.race([ctx.resume().catch(() => {}), sleep(1000)]);
        check();
        if (ctx.state !== 'running') return;
      }
      const bufs = await Promise.all(urls.map((u) => clip(u).catch(() => null)));
      let t = ctx.currentTime + 0.05;
      for (const b of bufs) {
        if (!b) continue;
        const src = ctx.createBufferSource();
        src.buffer = b;
        src.connect(ctx.destination);
        src.start(t);
        t += b.duration;
      }
      await sleep((t - ctx.currentTime) * 1000 + 400);
    },
  };
}
