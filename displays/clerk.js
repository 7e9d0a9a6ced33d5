// xephang clerk terminal (clerk.html): login (token kept in localStorage so a reload keeps
// the session), the live counter through /ws with the clerk token (snapshot with `waiting`),
// action buttons and keyboard shortcuts, the clerk's figures from /api/v1/me. Every API error
// is shown in words.
import {
  connect, model, api, ApiError, esc, L, applyStatic, onLang, langToggle, svcName, prioName,
  fmtTime, fmtClock, since, everySecond, toast, $, $$,
} from '/assets/client.js';
import { mountNoShows } from '/assets/noshows.js';
import { askNewPin } from '/assets/clerk-pin.js';

const KEY = 'xephang.clerk';
let session = null;  // {token, counter, staff}
let me = null;
let client = null;
let inFlight = false;

function loadSession() {
  try { return JSON.parse(localStorage.getItem(KEY)) || null; } catch { return null; }
}
function saveSession(s) {
  if (s) localStorage.setItem(KEY, JSON.stringify(s)); else localStorage.removeItem(KEY);
  session = s;
}

// ---------------------------------------------------------------- login
async function showLogin(message) {
  $('#app').hidden = true;
  $('#login').hidden = false;
  $('#login-err').textContent = message || '';
  const last = loadLastCounter();
  try {
    const st = await api('GET', '/api/v1/state', undefined, { token: '' });
    $('#login-centre').textContent = st.centre?.name || '';
    $('#counter').innerHTML = (st.counters || []).map((c) => `<option value="${c.id}" ${c.id === last ? 'selected' : ''}>${esc(c.name)}${
      c.clerk ? ` — ${esc(c.clerk.name)}` : ''}</option>`).join('');
  } catch (err) {
    $('#login-err').textContent = err.message;
  }
  $('#staff').focus();
}
const loadLastCounter = () => Number(new URLSearchParams(location.search).get('counter') || localStorage.getItem(`${KEY}.counter`) || 0);

let lockTimer = 0;
/** A 429 lockout: the message counts down each second and the button stays disabled. */
function lockedOut(err) {
  const m = /(\d+)/.exec(err.message);
  let left = m ? Number(m[1]) : 60;
  const btn = $('#login-submit');
  clearInterval(lockTimer);
  const tick = () => {
    if (left <= 0) {
      clearInterval(lockTimer);
      btn.disabled = false;
      $('#login-err').textContent = L('Hết thời gian khóa: hãy nhập lại mã PIN.', 'The lockout is over: enter your PIN again.');
      return;
    }
    btn.disabled = true;
    $('#login-err').textContent = L(`Thử sai quá nhiều lần: tạm khóa, thử lại sau ${left} giây.`,
      `Too many wrong tries: locked, try again in ${left} s.`);
    left -= 1;
  };
  tick();
  lockTimer = setInterval(tick, 1000);
}

async function signIn(force) {
  const btn = $('#login-submit');
  btn.disabled = true;
  $('#login-err').textContent = '';
  $('#takeover').hidden = true;
  const counter = Number($('#counter').value);
  const staff = $('#staff').value.trim();
  try {
    const body = { staff, pin: $('#pin').value, counter };
    if (force) body.force = true;
    const r = await api('POST', '/api/v1/login', body, { token: '' });
    localStorage.setItem(`${KEY}.counter`, String(counter));
    saveSession({ token: r.token, counter: r.counter ?? counter, staff, mustChange: !!r.must_change_pin });
    const typed = $('#pin').value;
    $('#pin').value = '';
    btn.disabled = false;
    if (r.must_change_pin) { needNewPin(typed); return; }
    if (client) { location.reload(); return; } // the old session's socket: start afresh
    await start();
  } catch (err) {
    btn.disabled = false;
    if (err.code === 'counter_taken') {
      // Someone else holds this counter: ask before taking it over (the PIN stays typed).
      $('#takeover-msg').textContent = err.message;
      $('#takeover').hidden = false;
      $('#takeover-yes').focus();
      return;
    }
    if (err.status === 429) { $('#pin').value = ''; lockedOut(err); return; }
    $('#login-err').textContent = err.message;
    if (err.status === 401) { $('#pin').value = ''; $('#pin').focus(); }
  }
}
$('#login-form').addEventListener('submit', (e) => { e.preventDefault(); signIn(false); });
$('#takeover-yes').addEventListener('click', () => signIn(true));
$('#takeover-no').addEventListener('click', () => { $('#takeover').hidden = true; $('#counter').focus(); });

// ---------------------------------------------------------------- terminal
async function start() {
  try {
    me = await api('GET', '/api/v1/me', undefined, { token: session.token });
  } catch (err) {
    if (err.status === 401 || err.status === 403) { saveSession(null); showLogin(err.message); return; }
    showLogin(err.message); // the daemon is unreachable: show why, keep the session
    setTimeout(() => { if (session) start(); }, 5000);
    return;
  }
  if (session.mustChange || me.must_change_pin) { needNewPin(''); return; }
  $('#login').hidden = true;
  $('#app').hidden = false;
  if (!client) {
    client = connect({ token: session.token });
    client.on('change', render);
    client.on('link', (up) => { $('#link').classList.toggle('up', up); $('#link').title = up ? L('Đã kết nối', 'Connected') : L('Mất kết nối', 'Disconnected'); });
    client.on('event', (ev, frame) => {
      if (ev.type === 'clerk_login' && ev.counter === session?.counter && ev.clerk?.id !== session.staff) {
        displaced(ev, frame?.at);
        return;
      }
      if (ev.counter === session?.counter && (ev.type === 'ticket_finished' || ev.type === 'clerk_login')) refreshMe();
    });
    client.on('change', queueSoon);
    // Locked on the admin page: the session ends at once.
    client.on('revoked', () => {
      saveSession(null);
      showLogin(L('Tài khoản của bạn đã bị khóa hoặc phiên làm việc đã bị thu hồi. Hãy liên hệ giám sát viên.',
        'Your account was locked or your session revoked. Ask your supervisor.'));
    });
    noShows = mountNoShows($('#noshows'), { token: () => session?.token, client });
  }
  render();
  queueSoon();
}

/** Another clerk took this counter over (or this clerk signed in elsewhere): say who, at
 * once, and go back to the sign-in form. */
function displaced(ev, when) {
  const name = counter()?.name || L(`Quầy ${session.counter}`, `Counter ${session.counter}`);
  const at = fmtTime(when || new Date().toISOString());
  const msg = ev.clerk
    ? L(`${ev.clerk.name} (${ev.clerk.id}) đã đăng nhập ${name} lúc ${at}. Phiên làm việc của bạn đã kết thúc.`,
      `${ev.clerk.name} (${ev.clerk.id}) signed in at ${name} at ${at}. Your session has ended.`)
    : L(`Bạn đã rời ${name} lúc ${at} (đăng xuất hoặc đăng nhập quầy khác).`,
      `You left ${name} at ${at} (signed out or signed in at another counter).`);
  saveSession(null);
  showLogin(msg);
  $('#login-err').classList.add('displaced');
}

/** A one-time PIN: the clerk chooses their own before anything else (clerk-pin.js). */
function needNewPin(oldPin) {
  askNewPin({
    token: session.token, oldPin,
    onDone: () => { saveSession({ ...session, mustChange: false }); start(); },
    onLeave: async (msg) => {
      try { await api('POST', '/api/v1/logout', undefined, { token: session.token }); } catch { /* leaving anyway */ }
      $('#newpin').hidden = true;
      saveSession(null);
      showLogin(msg);
    },
  });
}

// The waiting list in the order "next" will call it, as the server computes it.
let queue = null;
let queueTimer = 0;
let noShows = null;
function queueSoon() {
  clearTimeout(queueTimer);
  queueTimer = setTimeout(loadQueue, 100);
}
async function loadQueue() {
  if (!session) return;
  try {
    const r = await api('GET', `/api/v1/counters/${session.counter}/queue`, undefined, { token: session.token });
    queue = r.tickets || [];
    renderWaiting(counter());
  } catch { /* the snapshot's list stays */ }
}

async function refreshMe() {
  try { me = await api('GET', '/api/v1/me', undefined, { token: session.token }); render(); } catch { /* shown elsewhere */ }
}

function counter() { return model.counters.find((c) => c.id === session?.counter); }

function render() {
  if (!session || $('#app').hidden) return;
  const c = counter();
  $('#counter-name').textContent = c ? c.name : L(`Quầy ${session.counter}`, `Counter ${session.counter}`);
  $('#clerk-name').textContent = me?.staff ? `${me.staff.name} (${me.staff.id})` : session.staff;
  $('#served').textContent = me?.served_today ?? '—';
  $('#avg').textContent = me?.avg_service_s != null ? fmtClock(me.avg_service_s) : '—';
  document.title = `${c ? c.name : ''} — ${L('Quầy giao dịch', 'Counter')}`;
  const paused = !!c && c.status !== 'open';
  $('#paused').hidden = !paused;
  if (c?.status === 'closed') $('#paused').textContent = L('Quầy đang đóng.', 'The counter is closed.');
  else applyStatic($('#paused').parentElement);
  $('#pause-label').textContent = paused ? L('Mở lại', 'Resume') : L('Tạm dừng', 'Pause');
  renderCurrent(c);
  renderWaiting(c);
  const cur = c?.current;
  $('#b-recall').disabled = inFlight || !cur;
  $('#b-noshow').disabled = inFlight || !cur;
  $('#b-finish').disabled = inFlight || !cur;
  $('#b-transfer').disabled = inFlight || !cur;
  // Paused or closed: "next" would only fail, so it is visibly off (grey) and says why.
  $('#b-next').disabled = inFlight || paused;
  $('#b-next').classList.toggle('off', paused);
  $('#b-next').title = paused ? L('Quầy đang tạm dừng: bấm “Mở lại” (F8) để gọi tiếp.', 'The counter is paused: press “Resume” (F8) to call again.') : '';
  const why = $('#b-next .why');
  if (paused && !why) $('#b-next').insertAdjacentHTML('beforeend', `<span class="why">${esc(L('Đang tạm dừng — bấm Mở lại', 'Paused — press Resume'))}</span>`);
  else if (!paused && why) why.remove();
  else if (why) why.textContent = L('Đang tạm dừng — bấm Mở lại', 'Paused — press Resume');
  $('#b-pause').disabled = inFlight;
}

function renderCurrent(c) {
  const box = $('#current');
  const t = c?.current;
  box.classList.toggle('none', !t);
  if (!t) {
    box.innerHTML = esc(L('Chưa gọi số nào. Bấm “Tiếp theo” để mời công dân.', 'No ticket called. Press “Next” to call a citizen.'));
    return;
  }
  const prio = t.priority ? `<span class="badge${t.priority === 'appointment' ? ' appt' : ''}">${esc(prioName(t.priority))}</span>` : '';
  box.innerHTML = `<div class="lbl">${esc(L('Đang phục vụ', 'Serving'))}</div>
    <div class="number num" id="cur-number">${esc(t.number)}</div>
    <div class="info"><div class="svc">${esc(svcName(t.service))}</div>${prio}
      <div>${esc(L('Gọi lúc', 'Called at'))} ${esc(fmtTime(t.called_at))} · ${esc(L('đã', 'for'))} <b class="num" id="cur-elapsed">${esc(fmtClock(since(t.called_at)))}</b></div>
      <div>${esc(L('Lấy số', 'Issued'))} ${esc(fmtTime(t.issued_at))}${t.recalls ? ` · ${esc(L('gọi lại', 'recalled'))} ${t.recalls}×` : ''}</div></div>`;
}

function waitingHere(c) {
  if (!c) return [];
  if (queue) {
    // The server's call order; tickets it has not seen yet (an event just arrived) last.
    const live = new Map((model.waiting || []).map((t) => [t.id, t]));
    const ordered = queue.filter((t) => live.has(t.id)).map((t) => live.get(t.id));
    const seen = new Set(ordered.map((t) => t.id));
    const svcs = new Set(c.services);
    return ordered.concat((model.waiting || []).filter((t) => svcs.has(t.service) && !seen.has(t.id)));
  }
  if (!model.waiting) return [];
  const svcs = new Set(c.services);
  const rank = (t) => (t.priority === 'appointment' ? 0 : t.priority ? 1 : 2);
  return model.waiting.filter((t) => svcs.has(t.service))
    .sort((a, b) => rank(a) - rank(b) || Date.parse(a.issued_at) - Date.parse(b.issued_at) || (a.order || 0) - (b.order || 0));
}

function renderWaiting(c) {
  const list = waitingHere(c);
  $('#wcount').textContent = list.length;
  $('#waiting').innerHTML = list.map((t, i) => {
    const s = model.services.find((x) => x.id === t.service);
    const waited = since(t.issued_at);
    const late = s?.target_wait_s && waited > s.target_wait_s;
    return `<li class="${t.priority ? 'prio' : ''}${late ? ' late' : ''}" data-issued="${esc(t.issued_at)}" data-target="${s?.target_wait_s || ''}">
      <span class="n-cell"><span class="pos">${i + 1}.</span><span class="n num">${esc(t.number)}</span></span>
      <span><span class="sv">${esc(svcName(t.service))}</span>${t.priority ? `<span class="badge">${esc(prioName(t.priority))}</span>` : ''}</span>
      <span class="w num">${esc(fmtClock(waited))}</span></li>`;
  }).join('') || `<li class="none"><span class="empty">${esc(L('Không có ai đang chờ.', 'Nobody is waiting.'))}</span></li>`;
}

// ---------------------------------------------------------------- actions
function showError(err) {
  const box = $('#error');
  if (!err) { box.hidden = true; return; }
  if (err.code === 'pin_change_required') { needNewPin(''); return; }
  box.hidden = false;
  box.textContent = err.message;
  // 401: the session ended; not_on_duty: another clerk took the counter before this click.
  if (err instanceof ApiError && (err.status === 401 || err.code === 'not_on_duty')) { saveSession(null); location.reload(); }
}

async function act(action, body) {
  if (inFlight || !session) return;
  inFlight = true;
  // A button clicked with the mouse keeps the focus: drop it, so that Space stays "next"
  // (a button reached with the keyboard keeps it, and gets it back after the request).
  const kept = document.activeElement?.matches?.(':focus-visible') ? document.activeElement : null;
  if (!kept) document.activeElement?.blur?.();
  render();
  showError(null);
  try {
    const n = session.counter;
    if (action === 'pause') {
      const c = counter();
      await api('POST', `/api/v1/counters/${n}/status`, { status: c && c.status === 'open' ? 'paused' : 'open' }, { token: session.token });
    } else {
      const r = await api('POST', `/api/v1/counters/${n}/${action}`, body, { token: session.token });
      if (action === 'next' && !r.ticket) toast(L('Không còn ai đang chờ ở các lĩnh vực của quầy.', 'Nobody is waiting for this counter.'), 'ok', 4000);
      if (action === 'next' || action === 'finish') refreshMe();
    }
  } catch (err) {
    showError(err);
  } finally {
    inFlight = false;
    render();
    if (kept?.isConnected && !kept.disabled && document.activeElement === document.body) kept.focus();
  }
}

function openTransfer() {
  const t = counter()?.current;
  if (!t || inFlight) return;
  // Only services a citizen can be sent to: not the ticket's own, not appointment-only ones
  // (they take booked citizens only).
  const others = model.services.filter((s) => s.id !== t.service && !s.appointment_only);
  $('#transfer-list').innerHTML = others.map((s, i) => `<button type="button" data-service="${esc(s.id)}"><kbd>${i + 1}</kbd>${esc(L(s.name, s.name_en || s.name))}</button>`).join('');
  $('#transfer').hidden = false;
  $('#transfer-list button')?.focus();
}
function closeTransfer() { $('#transfer').hidden = true; }
$('#transfer-list').addEventListener('click', (e) => {
  const b = e.target.closest('button');
  if (!b) return;
  closeTransfer();
  act('transfer', { service: b.dataset.service });
});
$('#transfer-cancel').addEventListener('click', closeTransfer);

$$('.act').forEach((b) => b.addEventListener('click', () => {
  if (b.dataset.act === 'transfer') openTransfer(); else act(b.dataset.act);
}));

const KEYS = { F1: 'next', ' ': 'next', F2: 'recall', r: 'recall', F3: 'no-show', v: 'no-show',
  F4: 'finish', h: 'finish', F6: 'transfer', c: 'transfer', F8: 'pause', p: 'pause' };
document.addEventListener('keydown', (e) => {
  if ($('#app').hidden || e.ctrlKey || e.altKey || e.metaKey) return;
  if (!$('#transfer').hidden) {
    if (e.key === 'Escape') closeTransfer();
    const i = Number(e.key);
    const btns = $$('#transfer-list button');
    if (i >= 1 && i <= btns.length) { e.preventDefault(); btns[i - 1].click(); }
    return;
  }
  if (e.target.closest('input, select, textarea')) return;
  if ((e.key === ' ' || e.key === 'Enter') && e.target.matches?.(':focus-visible')) return; // a keyboard-focused control: its own
  const action = KEYS[e.key.length === 1 ? e.key.toLowerCase() : e.key];
  if (!action) return;
  e.preventDefault();
  if (e.repeat) return;
  const btn = $(`.act[data-act="${action}"]`);
  if (btn.disabled) return;
  if (action === 'transfer') openTransfer(); else act(action);
});

$('#logout').addEventListener('click', async () => {
  try { await api('POST', '/api/v1/logout', undefined, { token: session.token }); } catch { /* leaving anyway */ }
  saveSession(null);
  location.reload();
});

// Live waits tick every second without re-rendering the lists.
everySecond(() => {
  const el = $('#cur-elapsed');
  const t = counter()?.current;
  if (el && t) el.textContent = fmtClock(since(t.called_at));
  for (const li of $$('#waiting li[data-issued]')) {
    const w = since(li.dataset.issued);
    li.querySelector('.w').textContent = fmtClock(w);
    li.classList.toggle('late', !!li.dataset.target && w > Number(li.dataset.target));
  }
});

langToggle($('#lang'));
langToggle($('#login-lang'));
langToggle($('#newpin-lang'));
onLang(render);
applyStatic();
session = loadSession();
if (session?.token) start(); else showLogin();
