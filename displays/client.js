// xephang shared client module, imported by every screen (board, display, clerk, kiosk,
// rating, supervisor, phone page). It owns:
//  - the WebSocket link to /ws (snapshot, then events applied strictly in seq order; a gap
//    reconnects with `since`; reconnect forever with capped exponential backoff + jitter),
//  - the "connection lost" banner (after 3 s without a link; never stale data silently),
//  - a local model of the lobby kept by one reducer, so every page reads the same state,
//  - i18n (Vietnamese by default, English by ?lang=en or a toggle),
//  - the server clock (offset from the snapshot's `now` and each event's `at`, shown in the
//    centre's own UTC offset),
//  - api(): fetch with the bearer token that throws the API's {"error":{code,message}}.

import { priorityLabel } from '/assets/labels.js';

export const qs = new URLSearchParams(location.search);
export const token = qs.get('token') || '';
/** On the province hub, a centre's pages live under /c/{centre}/ (e.g. the phone page
 * /c/{centre}/t/{id}): the centre whose API and socket they use; '' in a lobby. */
export const hubCentre = (/^\/c\/([a-z0-9-]+)\//.exec(location.pathname) || [])[1] || '';
/** A lobby API path as this page must call it (the hub's per-centre path on the hub). */
export function apiPath(path) {
  return hubCentre && path.startsWith('/api/v1/tickets/')
    ? `/api/v1/centres/${hubCentre}${path.slice('/api/v1'.length)}` : path;
}

/** The last non-empty path segment: `{n}` of /display/{n}, `{id}` of /t/{id}. */
export function pathParam() {
  const parts = location.pathname.split('/').filter(Boolean);
  return parts.length > 1 ? decodeURIComponent(parts[parts.length - 1]) : '';
}

export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) =>
    ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// ---------------------------------------------------------------- i18n
const langListeners = new Set();
export const i18n = { lang: qs.get('lang') === 'en' ? 'en' : 'vi', defaultLang: 'vi' };
i18n.defaultLang = i18n.lang;

/** The text in the current language. */
export const L = (vi, en) => (i18n.lang === 'en' ? en : vi);

/** Both languages as HTML: the current one first, the other one smaller; each marked with
 * its language, so a screen reader reads the English line with an English voice. */
export function bi(vi, en) {
  const [p, s] = i18n.lang === 'en' ? [en, vi] : [vi, en];
  const [lp, ls] = i18n.lang === 'en' ? ['en', 'vi'] : ['vi', 'en'];
  return `<span class="p" lang="${lp}">${esc(p)}</span><span class="s" lang="${ls}">${esc(s)}</span>`;
}

/** Static markup: `data-en` swaps text, `data-bi` shows both, `data-en-ph` a placeholder. */
export function applyStatic(root = document) {
  for (const el of root.querySelectorAll('[data-en]')) {
    if (el.dataset.vi === undefined) el.dataset.vi = el.textContent.trim();
    if (el.hasAttribute('data-bi')) el.innerHTML = bi(el.dataset.vi, el.dataset.en);
    else el.textContent = L(el.dataset.vi, el.dataset.en);
  }
  for (const el of root.querySelectorAll('[data-en-ph]')) {
    if (el.dataset.viPh === undefined) el.dataset.viPh = el.placeholder;
    el.placeholder = L(el.dataset.viPh, el.dataset.enPh);
  }
  document.documentElement.lang = i18n.lang;
}

export function setLang(lang) {
  if (lang !== 'vi' && lang !== 'en') return;
  if (lang === i18n.lang) return;
  i18n.lang = lang;
  applyStatic();
  updateBanner();
  for (const fn of langListeners) fn(lang);
}
export const onLang = (fn) => langListeners.add(fn);

/** Turns a button into a VI/EN toggle. */
export function langToggle(btn) {
  const paint = () => {
    btn.innerHTML = i18n.lang === 'en' ? '<b>EN</b> · VI' : '<b>VI</b> · EN';
    btn.title = L('Chuyển sang tiếng Anh', 'Switch to Vietnamese');
  };
  btn.classList.add('lang-toggle');
  btn.addEventListener('click', () => setLang(i18n.lang === 'en' ? 'vi' : 'en'));
  onLang(paint);
  paint();
}

export function svcName(id) {
  const s = model.services.find((x) => x.id === id);
  if (!s) return id || '';
  return L(s.name, s.name_en || s.name);
}
export function prioName(id) {
  const p = priorityLabel(id, model.priorities);
  return p ? L(...p) : '';
}
export function counterName(id) {
  const c = model.counters.find((x) => x.id === Number(id));
  return c ? c.name : L(`Quầy ${id}`, `Counter ${id}`);
}

// ---------------------------------------------------------------- server clock
const clock = { offset: 0, tzMin: -new Date().getTimezoneOffset(), known: false };

function tzOf(rfc3339) {
  const m = /([+-])(\d\d):?(\d\d)$/.exec(rfc3339 || '');
  if (m) return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  return /Z$/.test(rfc3339 || '') ? 0 : null;
}
function syncClock(rfc3339, authoritative) {
  const t = Date.parse(rfc3339);
  if (Number.isNaN(t)) return;
  const tz = tzOf(rfc3339);
  if (tz !== null) clock.tzMin = tz;
  const cand = t - Date.now(); // a lower bound: the message was in flight after `at`
  if (authoritative || !clock.known || cand > clock.offset) clock.offset = cand;
  clock.known = true;
}
/** Milliseconds since the epoch by the daemon's clock. */
export const serverNow = () => Date.now() + clock.offset;
const toMs = (x) => (typeof x === 'number' ? x : x instanceof Date ? x.getTime() : Date.parse(x));
/** A Date whose UTC fields read as the centre's wall clock (a time string with an offset
 * reads in its own offset: the daemon writes times in the centre's zone). */
const wall = (x) => {
  const tz = typeof x === 'string' ? tzOf(x) : null;
  return new Date(toMs(x) + (tz ?? clock.tzMin) * 60000);
};
const p2 = (n) => String(n).padStart(2, '0');

export function fmtTime(x, seconds = false) {
  if (x == null || Number.isNaN(toMs(x))) return '—';
  const d = wall(x);
  return `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}` + (seconds ? `:${p2(d.getUTCSeconds())}` : '');
}
export function fmtDate(x) {
  const d = wall(x);
  const vi = ['Chủ Nhật', 'Thứ Hai', 'Thứ Ba', 'Thứ Tư', 'Thứ Năm', 'Thứ Sáu', 'Thứ Bảy'];
  const en = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const day = `${p2(d.getUTCDate())}/${p2(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
  return `${L(vi, en)[d.getUTCDay()]}, ${day}`;
}
/** A duration in words, rounded up to minutes ("~12 phút"). */
export function fmtDur(s) {
  if (s == null || Number.isNaN(s)) return '—';
  if (s < 60) return L('dưới 1 phút', 'under 1 min');
  const m = Math.ceil(s / 60);
  if (m < 60) return L(`${m} phút`, `${m} min`);
  const h = Math.floor(m / 60), r = m % 60;
  return L(`${h} giờ ${r ? r + ' phút' : ''}`, `${h} h ${r ? r + ' min' : ''}`).trim();
}
/**
 * What a citizen is told about waiting for service `s` (the one wording of every screen):
 * closed (and when it opens again today), no counter open (no number then: an estimate
 * with nobody serving means nothing), no wait, or the estimate ("dưới 1 phút", "~12 phút").
 * `eta` and `waiting` default to the service's own; a ticket passes its own.
 */
export function waitText(s, eta = s?.eta_s, waiting = s?.waiting) {
  if (!s) return '—';
  if (s.open === false) {
    return s.reopens_at ? L(`Nhận lại từ ${s.reopens_at}`, `Opens again at ${s.reopens_at}`)
      : L('Ngoài giờ tiếp nhận', 'Closed now');
  }
  if (s.staffed === false) return L('Chưa có quầy phục vụ', 'No counter open yet');
  if (!waiting) return L('Không phải chờ', 'No wait');
  return eta < 60 ? L('dưới 1 phút', 'under 1 min') : `~${fmtDur(eta)}`;
}

/** A duration as m:ss (or h:mm:ss). */
export function fmtClock(s) {
  if (s == null || Number.isNaN(s)) return '—';
  s = Math.max(0, Math.floor(s));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), x = s % 60;
  return h ? `${h}:${p2(m)}:${p2(x)}` : `${m}:${p2(x)}`;
}
/** Seconds elapsed since an RFC 3339 time, by the server clock. */
export const since = (t) => (t ? Math.max(0, (serverNow() - Date.parse(t)) / 1000) : null);

// ---------------------------------------------------------------- HTTP API
export class ApiError extends Error {
  constructor(code, message, status, field) {
    super(message);
    this.code = code;
    this.status = status;
    this.field = field; // the request's field the refusal is about (admin forms), if any
  }
}

export async function api(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json', 'Accept-Language': i18n.lang };
  const tok = opts.token !== undefined ? opts.token : token;
  if (tok) headers.Authorization = `Bearer ${tok}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  Object.assign(headers, opts.headers || {});
  let res;
  try {
    res = await fetch(apiPath(path), {
      method, headers, cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeout || 15000),
    });
  } catch (e) {
    throw new ApiError('network', L('Không kết nối được tới máy chủ. Vui lòng thử lại.',
      'Cannot reach the server. Please try again.'), 0);
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!res.ok) {
    const e = data && data.error;
    throw new ApiError(e?.code || `http_${res.status}`,
      e?.message || L(`Lỗi máy chủ (${res.status})`, `Server error (${res.status})`), res.status, e?.field);
  }
  return data;
}

// ---------------------------------------------------------------- model and reducer
/** The local model of the lobby, shared by every page. */
export const model = {
  seq: null, day: null, centre: { name: '' }, priorities: [], services: [], counters: [],
  recent: [], dossier: null, waiting: null, ratings: [], loaded: false,
};
const RECENT = 10;

function sameTicket(a, b) {
  if (!a || !b) return false;
  if (a.id && b.id) return a.id === b.id;
  return a.number === b.number;
}

function loadSnapshot(st) {
  model.seq = st.seq;
  model.day = st.day;
  model.centre = st.centre || { name: '' };
  model.priorities = st.priorities || [];
  model.services = (st.services || []).map((s) => ({ ...s }));
  model.counters = (st.counters || []).map((c) => ({ ...c }));
  model.recent = (st.recent_calls || []).slice(0, RECENT);
  model.dossier = st.dossier || null;
  model.waiting = Array.isArray(st.waiting) ? st.waiting.slice() : null;
  // Supervisor alerts raised by the daemon (staff snapshots only), by key.
  model.alerts = new Map((st.alerts || []).map((a) => [a.key, a]));
  model.loaded = true;
  if (st.now) syncClock(st.now, true);
  for (const fn of tickers) { try { fn(serverNow()); } catch (e) { console.error(e); } }
}

/**
 * A ticket's latest copy, put wherever the model holds it. Every ticket event carries the
 * whole ticket, so nothing is derived from the event's type: the copy replaces the old one
 * by id (by number for the public, who see no ids) in the waiting list, or leaves it when it
 * no longer waits; a called ticket is its counter's current one, and a counter whose ticket
 * was called elsewhere, finished, missed, transferred, cancelled or expired has none.
 */
function putTicket(t) {
  if (model.waiting) {
    const i = model.waiting.findIndex((w) => sameTicket(w, t));
    if (t.status !== 'waiting') { if (i >= 0) model.waiting.splice(i, 1); }
    else if (i >= 0) model.waiting[i] = t;
    else model.waiting.push(t);
  }
  for (const c of model.counters) {
    if (t.status === 'called' && t.counter === c.id) c.current = t;
    else if (sameTicket(c.current, t)) c.current = null;
  }
}

/** Replaces the fields an event gives of counter `n` (found by its number). */
function putCounter(n, fields) {
  const c = model.counters.find((x) => x.id === n);
  if (c) Object.assign(c, fields);
}

/** Applies one event frame to the model (the reducer every page shares). */
export function reduce(frame) {
  const ev = frame.event || {};
  model.seq = frame.seq;
  for (const sum of frame.services || []) {
    const s = model.services.find((x) => x.id === sum.id);
    if (s) Object.assign(s, sum);
  }
  if (ev.ticket && typeof ev.ticket === 'object') putTicket(ev.ticket);
  const { type, ...body } = ev;
  switch (type) {
    case 'ticket_called':
    case 'ticket_recalled':
      model.recent.unshift({ number: ev.ticket.number, service: ev.ticket.service, counter: ev.counter, at: frame.at });
      model.recent.length = Math.min(model.recent.length, RECENT);
      break;
    case 'ticket_finished': {
      // The one figure of a counter no event carries: how many it served today.
      const c = model.counters.find((x) => x.id === ev.counter);
      if (c) c.served = (c.served || 0) + 1;
      break;
    }
    case 'counter_status':
      putCounter(ev.counter, { status: ev.status });
      break;
    case 'clerk_login':
      putCounter(ev.counter, { clerk: ev.clerk || null });
      break;
    case 'rating':
      model.ratings.unshift({ ...ev, at: frame.at });
      model.ratings.length = Math.min(model.ratings.length, 50);
      break;
    case 'dossier_stats':
      model.dossier = body;
      break;
    case 'alert':
      model.alerts?.set(ev.key, ev);
      break;
    case 'alert_cleared':
      model.alerts?.delete(ev.key);
      break;
    default:
  }
}

// ---------------------------------------------------------------- connection banner
let bannerEl = null;
let bannerShown = false;
function updateBanner() {
  if (!bannerShown) { bannerEl?.remove(); bannerEl = null; return; }
  if (!bannerEl) {
    bannerEl = document.createElement('div');
    bannerEl.id = 'xp-banner';
    bannerEl.setAttribute('role', 'alert');
    document.body.appendChild(bannerEl);
  }
  bannerEl.innerHTML = bi('Mất kết nối — đang kết nối lại…', 'Connection lost — reconnecting…');
  document.body.classList.add('xp-offline');
}
function setBanner(on) {
  bannerShown = on;
  if (!on) document.body.classList.remove('xp-offline');
  updateBanner();
}

/** Admin changes that alter what screens show (a `config_changed` event's `change.change`). */
const SPEC_CHANGES = new Set(['counter_changed', 'service_changed', 'notice_changed']);

/** The full-screen "this device has been revoked" message (kept in both languages). */
function showRevoked() {
  let el = document.getElementById('xp-revoked');
  if (!el) {
    el = document.createElement('div');
    el.id = 'xp-revoked';
    el.setAttribute('role', 'alert');
    document.body.appendChild(el);
  }
  const paint = () => {
    el.innerHTML = `<div class="t">${bi('Thiết bị này đã bị thu hồi', 'This device has been revoked')}</div>`
      + `<div class="m">${bi('Hãy liên hệ giám sát viên của trung tâm để được cấp lại.', 'Ask the centre\'s supervisor for a new one.')}</div>`;
  };
  paint();
  onLang(paint);
  document.body.classList.add('xp-revoked');
}

// ---------------------------------------------------------------- WebSocket link
/**
 * Opens the live link. opts: {token, ticket}. Returns a client with
 * on('snapshot'|'event'|'ticket'|'print'|'change'|'link', fn), reconnect(fresh), and `model`.
 * 'event' handlers get (event, frame); 'change' fires once per burst of frames.
 */
export function connect(opts = {}) {
  const handlers = {};
  const emit = (type, ...a) => (handlers[type] || []).forEach((fn) => {
    try { fn(...a); } catch (e) { console.error(e); }
  });
  let ws = null, lastSeq = null, attempt = 0, up = false, downTimer = null, retryTimer = null;
  let lastMsg = Date.now(), probeSuspect = null, changeQueued = false, stableTimer = null;
  let stopped = false; // the device was revoked: no more reconnecting
  // What the page says about itself on its socket (src/devices.rs): sent again on every open.
  let status = opts.page ? { type: 'status', page: opts.page } : null;
  const sendStatus = () => { if (status && ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(status)); };

  const change = () => {
    if (changeQueued) return;
    changeQueued = true;
    setTimeout(() => { changeQueued = false; emit('change', model); }, 0);
  };
  const linkDown = () => {
    if (up) { up = false; emit('link', false); }
    if (!downTimer && !bannerShown) downTimer = setTimeout(() => { downTimer = null; if (!up) setBanner(true); }, 3000);
  };
  const linkUp = () => {
    clearTimeout(downTimer); downTimer = null;
    if (!up) { up = true; emit('link', true); }
    setBanner(false);
  };

  function url() {
    const q = new URLSearchParams();
    if (opts.token) q.set('token', opts.token);
    if (lastSeq != null) q.set('since', String(lastSeq));
    if (opts.ticket) q.set('ticket', opts.ticket);
    if (hubCentre) q.set('centre', hubCentre);
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    return `${proto}://${location.host}/ws?${q}`;
  }

  function open() {
    clearTimeout(retryTimer); retryTimer = null;
    let sock;
    try { sock = new WebSocket(url()); } catch { schedule(); return; }
    ws = sock;
    sock.onopen = () => {
      if (ws !== sock) return;
      lastMsg = Date.now();
      linkUp();
      sendStatus();
      stableTimer = setTimeout(() => { attempt = 0; }, 5000);
    };
    sock.onmessage = (m) => { if (ws === sock) onFrame(m.data); };
    sock.onclose = (e) => {
      if (ws !== sock) return;
      ws = null; clearTimeout(stableTimer);
      if (e.code === 4001) { revoked(); return; } // closed with reason `revoked`
      linkDown(); schedule();
    };
    sock.onerror = () => {};
  }

  function schedule() {
    if (retryTimer || stopped) return;
    const base = Math.min(10000, 500 * 2 ** attempt);
    attempt = Math.min(attempt + 1, 10);
    retryTimer = setTimeout(open, base / 2 + Math.random() * base / 2);
  }

  /** Drops the current socket (whatever its state) and opens a new one. */
  function reconnect(fresh = false) {
    if (fresh) lastSeq = null;
    const old = ws;
    ws = null;
    if (old) { old.onclose = old.onmessage = old.onopen = null; try { old.close(); } catch { /* gone */ } }
    linkDown();
    clearTimeout(retryTimer); retryTimer = null;
    schedule();
  }

  function onFrame(data) {
    lastMsg = Date.now();
    probeSuspect = null;
    let f;
    try { f = JSON.parse(data); } catch { return; }
    if (f.type === 'snapshot') {
      loadSnapshot(f.state || {});
      lastSeq = f.seq ?? f.state?.seq ?? null;
      model.seq = lastSeq;
      attempt = 0;
      linkUp();
      emit('snapshot', model);
      change();
    } else if (f.type === 'event') {
      if (lastSeq != null && f.seq <= lastSeq) return; // already applied
      if (lastSeq == null || f.seq !== lastSeq + 1) { reconnect(lastSeq == null); return; } // gap
      lastSeq = f.seq;
      if (f.at) syncClock(f.at, false);
      if (f.event?.type === 'day_started') { reconnect(true); return; } // a new day: fresh snapshot
      // The centre's configuration changed on the admin page (names, hours, counters, notice):
      // a fresh snapshot carries the effective one. (Staff and device changes reach screens
      // `redacted`: nothing to reload.)
      if (f.event?.type === 'config_changed' && SPEC_CHANGES.has(f.event.change?.change)) {
        emit('event', f.event, f); reconnect(true); return;
      }
      reduce(f);
      emit('event', f.event, f);
      change();
    } else if (f.type === 'ticket') {
      emit('ticket', f.ticket);
      change();
    } else if (f.type === 'revoked') {
      revoked();
    } else if (f.type === 'print') {
      emit('print', f); // a kiosk's daemon-printed ticket: printed or failed (kiosk-print.js)
    }
  }

  /** The device's token was revoked: say so over the whole screen and stop for good. */
  function revoked() {
    if (stopped) return;
    stopped = true;
    clearTimeout(downTimer); clearTimeout(retryTimer); clearTimeout(stableTimer);
    const old = ws;
    ws = null;
    if (old) { old.onclose = old.onmessage = null; try { old.close(); } catch { /* gone */ } }
    setBanner(false);
    // A page that signs people in (clerk, admin) says it its own way; a device's screen says
    // "revoked" over the whole screen.
    if (handlers.revoked?.length) emit('revoked'); else showRevoked();
  }

  // A half-open TCP link (a cable pulled) shows no close for minutes: when the socket has
  // been silent for a minute, one request to /healthz says whether the daemon is there and
  // whether we missed events. This is a liveness check, not data polling.
  setInterval(async () => {
    if (stopped || !ws || ws.readyState !== WebSocket.OPEN || Date.now() - lastMsg < 60000) return;
    try {
      const r = await fetch('/healthz', { cache: 'no-store', signal: AbortSignal.timeout(5000) });
      const h = await r.json();
      if (lastSeq != null && h.seq > lastSeq) {
        if (probeSuspect === lastSeq) reconnect(); else probeSuspect = lastSeq;
      }
    } catch { reconnect(); }
  }, 30000);
  const nudge = () => { if (!stopped && !ws && retryTimer) { clearTimeout(retryTimer); retryTimer = null; open(); } };
  window.addEventListener('online', nudge);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) nudge(); });

  linkDown();
  open();
  return {
    model,
    on(type, fn) { (handlers[type] ||= []).push(fn); return this; },
    reconnect,
    /** Reports the page's state to the daemon (e.g. `{audio: 'blocked'}`), now and on reconnects. */
    report(fields) { status = { type: 'status', ...(status || {}), ...fields }; sendStatus(); },
    get up() { return up; },
    get seq() { return lastSeq; },
  };
}

const tickers = new Set();
/** Calls fn every second, aligned to the server clock's second boundary (and at once when
 * a snapshot sets the clock, so no clock shows the browser's own time for a second). */
export function everySecond(fn) {
  tickers.add(fn);
  const tick = () => {
    fn(serverNow());
    setTimeout(tick, 1000 - (serverNow() % 1000) + 5);
  };
  tick();
}

/** A toast for errors and confirmations: kind 'error' | 'ok'. */
export function toast(message, kind = 'error', ms = 6000) {
  let box = document.getElementById('xp-toasts');
  if (!box) {
    box = document.createElement('div');
    box.id = 'xp-toasts';
    box.setAttribute('aria-live', 'assertive');
    document.body.appendChild(box);
  }
  const el = document.createElement('div');
  el.className = `xp-toast ${kind}`;
  el.textContent = message;
  el.addEventListener('click', () => el.remove());
  box.appendChild(el);
  setTimeout(() => el.remove(), ms);
}

// A clerk without a photo (404) shows the initials underneath (no inline handlers: the CSP).
document.addEventListener('error', (e) => {
  if (e.target instanceof HTMLImageElement && e.target.closest('.avatar')) e.target.remove();
}, true);

/** Clerk photo or initials, for the counter display and rating tablet. */
export function avatar(clerk) {
  if (!clerk) return '';
  const initials = String(clerk.name || clerk.id).split(/\s+/).filter(Boolean).slice(-2)
    .map((w) => w[0]).join('').toUpperCase();
  const img = clerk.photo
    ? `<img src="${esc(clerk.photo)}" alt="">` : '';
  return `<span class="avatar"><span class="initials">${esc(initials)}</span>${img}</span>`;
}
