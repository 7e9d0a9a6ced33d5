// xephang phone page (ticket.html): the citizen's own ticket /t/{id}, live through
// /ws?ticket={id} (frames {"type":"ticket"}); a full-screen banner and a vibration when it is
// called or recalled; cancel while waiting; rate the visit once it is done (a face, then an
// optional comment and call-back number). /t/new takes a ticket from home for services with
// `remote` (POST /api/v1/remote-tickets) and then opens its page like a kiosk ticket's.
// Screen readers hear the ticket through two live regions (ticket.html): the number, status
// and people ahead when one of them changes (polite), and the call (assertive).
import {
  connect, model, api, pathParam, esc, bi, L, applyStatic, onLang, langToggle, svcName,
  counterName, fmtTime, fmtDur, waitText, i18n, hubCentre, $, $$,
} from '/assets/client.js';
import { LEVELS, face } from '/assets/faces.js';
import { TICKET_STATUS_CITIZEN } from '/assets/labels.js';

const id = pathParam();
const MINE = 'xephang.mine'; // tickets taken from this phone: [{id, number, service, day}]
let ticket = null;
let score = null;     // the face chosen, before the survey is sent
let alerted = null;   // "status:recalls" of the last call we alerted for
let armed = false;    // the user tapped once: vibration and sound are allowed
let audioCtx = null;

const STATUS = TICKET_STATUS_CITIZEN;

/** What to do now, for a ticket that will not be called again by itself (issue 14 item 3). */
function renderNextStep(t) {
  const where = t.counter ? counterName(t.counter) : '';
  const steps = {
    no_show: [
      `Bạn đã không có mặt khi được gọi. Nếu vẫn ở trung tâm, hãy đến ${where ? `${where} hoặc ` : ''}bàn hướng dẫn ngay: cán bộ có thể đưa số của bạn trở lại hàng chờ, không cần lấy số mới.`,
      `You were not there when called. If you are still at the centre, go to ${where ? `${where} or ` : ''}the information desk now: staff can put your number back in the queue, no new number needed.`],
    cancelled: ['Phiếu này đã bị hủy và sẽ không được gọi. Nếu vẫn cần làm thủ tục, hãy lấy số mới.',
      'This ticket was cancelled and will not be called. If you still need the service, take a new number.'],
    expired: ['Phiếu này đã hết hiệu lực (hết ngày làm việc). Hãy lấy số mới khi đến trung tâm.',
      'This ticket has expired (the working day is over). Take a new number when you come to the centre.'],
  };
  const step = steps[t.status];
  $('#next-step').hidden = !step;
  if (!step) return;
  $('#next-step-msg').textContent = L(...step);
  $('#next-links').hidden = t.status === 'no_show';
}

function render() {
  $('#centre').textContent = L(model.centre.name, model.centre.name_en || model.centre.name) || '';
  if (!ticket) return;
  $('#loading').hidden = true;
  $('#ticket').hidden = false;
  $('#number').textContent = ticket.number;
  const s = model.services.find((x) => x.id === ticket.service);
  $('#service').innerHTML = s ? bi(s.name, s.name_en || s.name) : esc(ticket.service);
  const st = $('#status');
  st.className = `status ${ticket.status}`;
  st.textContent = L(...(STATUS[ticket.status] || [ticket.status, ticket.status]));
  const waiting = ticket.status === 'waiting';
  $('#f-ahead').hidden = !waiting;
  $('#f-eta').hidden = !waiting;
  $('#ahead').textContent = ticket.waiting_ahead ?? '—';
  $('#eta').textContent = ticket.eta_s == null ? '—'
    : s?.staffed === false ? waitText({ ...s, open: true })
      : ticket.eta_s < 60 ? L('Sắp đến lượt', 'Very soon') : `~${fmtDur(ticket.eta_s)}`;
  $('#f-counter').hidden = !ticket.counter;
  $('#counter').textContent = ticket.counter ? counterName(ticket.counter) : '—';
  $('#issued').textContent = fmtTime(ticket.issued_at);
  // The province hub only shows the ticket: cancelling and rating happen at the lobby.
  $('#cancel').hidden = !waiting || !!hubCentre;
  if (!waiting) $('#confirm').hidden = true;
  $('#alerts').hidden = armed || !(waiting || ticket.status === 'called');
  $('#hint').hidden = !(waiting || ticket.status === 'called');
  $('#rate').hidden = ticket.status !== 'done' || !!hubCentre;
  renderNextStep(ticket);
  $('#c-number').textContent = ticket.number;
  $('#c-counter').textContent = ticket.counter ? counterName(ticket.counter) : '';
  document.title = `${ticket.number} — ${svcName(ticket.service)}`;
  speak(ticket);
}

/** The polite live region: number, status, people ahead (and the counter once called); set
 * only when that sentence changes, so the wait estimate ticking down says nothing. */
function speak(t) {
  const parts = [L(`Số ${t.number}.`, `Number ${t.number}.`), `${L(...(STATUS[t.status] || [t.status, t.status]))}.`];
  if (t.status === 'waiting') {
    const n = t.waiting_ahead ?? 0;
    parts.push(L(`${n} người chờ trước bạn.`, `${n} ${n === 1 ? 'person' : 'people'} ahead of you.`));
  }
  if (t.status === 'called' && t.counter) parts.push(L(`Mời đến ${counterName(t.counter)}.`, `Please go to ${counterName(t.counter)}.`));
  const text = parts.join(' ');
  const el = $('#live');
  if (el.textContent !== text) el.textContent = text;
  if (t.status !== 'called') $('#live-call').textContent = '';
}

/** The assertive live region: the call, said again on every recall (emptied first). */
function speakCall(t) {
  const el = $('#live-call');
  const where = t.counter ? counterName(t.counter) : '';
  el.textContent = '';
  setTimeout(() => {
    el.textContent = L(`Đến lượt bạn! Số ${t.number}, xin mời đến ${where}.`, `It is your turn! Number ${t.number}, please go to ${where}.`);
  }, 50);
}

function update(t, initial) {
  const prev = ticket;
  ticket = t;
  const key = `${t.status}:${t.recalls}`;
  if (t.status === 'called' && key !== alerted) {
    alerted = key;
    showCalled(!initial);
  } else if (t.status !== 'called') {
    $('#called').hidden = true;
  }
  if (prev && prev.status !== t.status && t.status === 'done') renderFaces();
  render();
}

function showCalled(notify) {
  $('#called').hidden = false;
  speakCall(ticket);
  if (!notify) return;
  try { navigator.vibrate?.([400, 150, 400, 150, 800]); } catch { /* not allowed yet */ }
  if (armed && audioCtx) beep();
}

function beep() {
  const t0 = audioCtx.currentTime;
  for (const [i, f] of [[0, 880], [1, 660], [2, 880]]) {
    const o = audioCtx.createOscillator();
    const g = audioCtx.createGain();
    o.frequency.value = f;
    g.gain.setValueAtTime(0.0001, t0 + i * 0.35);
    g.gain.exponentialRampToValueAtTime(0.4, t0 + i * 0.35 + 0.03);
    g.gain.exponentialRampToValueAtTime(0.0001, t0 + i * 0.35 + 0.3);
    o.connect(g).connect(audioCtx.destination);
    o.start(t0 + i * 0.35);
    o.stop(t0 + i * 0.35 + 0.32);
  }
}

function renderFaces() {
  const box = $('#faces');
  const done = localStorage.getItem(`xephang.rated.${id}`);
  const chosen = done || (score == null ? null : String(score));
  box.innerHTML = LEVELS.map((l) => `<button type="button" data-score="${l.score}" ${done ? 'disabled' : ''}
    class="${chosen === String(l.score) ? 'chosen' : ''}">${face(l)}<span>${esc(L(l.vi, l.en))}</span></button>`).join('');
  $('#rate-more').hidden = !!done || score == null;
  $('#rate-msg').textContent = done ? L('Cảm ơn quý khách đã đánh giá!', 'Thank you for your rating!') : '';
}

$('#faces').addEventListener('click', (e) => {
  const b = e.target.closest('button[data-score]');
  if (!b || b.disabled) return;
  score = Number(b.dataset.score);
  renderFaces();
  $('#rate-comment').focus({ preventScroll: true });
  $('#rate-more').scrollIntoView({ behavior: 'smooth', block: 'nearest' });
});

$('#rate-more').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (score == null) return;
  const send = $('#rate-send');
  send.disabled = true;
  const body = { ticket: id, score };
  const comment = $('#rate-comment').value.trim();
  const phone = $('#rate-phone').value.trim();
  if (comment) body.comment = comment;
  if (phone) body.phone = phone;
  try {
    await api('POST', '/api/v1/ratings', body);
    localStorage.setItem(`xephang.rated.${id}`, String(score));
    renderFaces();
  } catch (err) {
    if (err.code === 'already_rated') { localStorage.setItem(`xephang.rated.${id}`, 'x'); renderFaces(); }
    $('#rate-msg').textContent = err.message;
    $('#rate-msg').dataset.code = err.code;
  } finally {
    send.disabled = false;
  }
});

$('#cancel').addEventListener('click', () => { $('#confirm').hidden = false; });
$('#confirm-no').addEventListener('click', () => { $('#confirm').hidden = true; });
$('#confirm-yes').addEventListener('click', async () => {
  const b = $('#confirm-yes');
  b.disabled = true;
  $('#error').textContent = '';
  try {
    update(await api('DELETE', `/api/v1/tickets/${encodeURIComponent(id)}`));
  } catch (err) {
    $('#error').textContent = err.message;
  } finally {
    b.disabled = false;
    $('#confirm').hidden = true;
  }
});
$('#called-ok').addEventListener('click', () => { $('#called').hidden = true; });
$('#alerts').addEventListener('click', () => {
  armed = true;
  try {
    audioCtx = new (window.AudioContext || window.webkitAudioContext)();
    navigator.vibrate?.(80);
  } catch { /* no audio */ }
  render();
});

async function load() {
  try {
    const t = await api('GET', `/api/v1/tickets/${encodeURIComponent(id)}`);
    // Rated already (on the counter's tablet, or from another browser): no second survey.
    if (t.rated && !localStorage.getItem(`xephang.rated.${id}`)) localStorage.setItem(`xephang.rated.${id}`, 'x');
    update(t, true);
  } catch (err) {
    if (err.status === 404 || err.status === 400) {
      $('#loading').hidden = true;
      $('#missing').hidden = false;
      $('#missing-msg').textContent = L('Phiếu này không có trong hệ thống hôm nay (mỗi phiếu chỉ dùng trong ngày được cấp).',
        'This ticket is not in the system today (a ticket is valid on the day it was issued only).');
      // The header still names the centre.
      api('GET', '/api/v1/state').then((st) => {
        const c = st.centre || {};
        $('#centre').textContent = L(c.name, c.name_en || c.name) || '';
      }).catch(() => {});
      return false;
    }
    $('#loading').querySelector('p').textContent = err.message;
  }
  return true;
}

// ---------------------------------------------------------------- ticket from home (/t/new)
let allowance = null;
function mine() {
  try { return JSON.parse(localStorage.getItem(MINE) || '[]').filter((t) => t && t.id); } catch { return []; }
}

// Buttons are built once per set of services and language, then only their texts change:
// rebuilding under a finger would swallow the tap.
let remoteKey = '';
function renderRemote() {
  $('#centre').textContent = L(model.centre.name, model.centre.name_en || model.centre.name) || '';
  const list = model.services.filter((s) => s.remote);
  $('#remote-none').hidden = list.length > 0 || !model.loaded;
  const left = new Map((allowance?.services || []).map((s) => [s.id, s.left]));
  const busy = $('#remote').dataset.busy === '1';
  const key = `${i18n.lang}|${list.map((s) => s.id).join(',')}`;
  if (key !== remoteKey) {
    remoteKey = key;
    $('#remote-services').innerHTML = list.map((s) => `<button type="button" data-service="${esc(s.id)}">
      <b>${bi(s.name, s.name_en || s.name)}</b><small></small></button>`).join('');
  }
  for (const b of $$('#remote-services button')) {
    const s = list.find((x) => x.id === b.dataset.service);
    if (!s) continue;
    const none = left.get(s.id) === 0;
    b.disabled = s.open === false || none || busy;
    const meta = s.open === false ? esc(waitText(s)) : none ? esc(L('Hết lượt hôm nay', 'None left today'))
      : `${esc(L(`${s.waiting ?? 0} đang chờ`, `${s.waiting ?? 0} waiting`))}<br>${esc(waitText(s))}`;
    const m = b.querySelector('small');
    if (m.innerHTML !== meta) m.innerHTML = meta;
  }
  $('#remote-left').textContent = allowance
    ? L(`Điện thoại này còn được lấy ${allowance.left}/${allowance.per_client} số hôm nay.`,
      `This phone may take ${allowance.left} more of ${allowance.per_client} tickets today.`) : '';
  const today = mine().filter((t) => t.day === model.day);
  $('#remote-mine').hidden = !today.length;
  $('#remote-mine-list').innerHTML = today.map((t) => `<a class="num" href="/t/${encodeURIComponent(t.id)}">${esc(t.number)}</a>`).join('');
}

async function loadAllowance() {
  try { allowance = await api('GET', '/api/v1/remote-tickets'); } catch { allowance = null; }
  renderRemote();
}

$('#remote-services').addEventListener('click', async (e) => {
  const b = e.target.closest('button[data-service]');
  if (!b || b.disabled) return;
  const err = $('#remote-err');
  err.textContent = '';
  delete err.dataset.code;
  $('#remote').dataset.busy = '1';
  renderRemote();
  try {
    const t = await api('POST', '/api/v1/remote-tickets', { service: b.dataset.service });
    try {
      localStorage.setItem(MINE, JSON.stringify([...mine(), { id: t.id, number: t.number, service: t.service, day: model.day }].slice(-20)));
    } catch { /* private mode: the address is enough */ }
    location.replace(`/t/${encodeURIComponent(t.id)}${location.search}`);
  } catch (ex) {
    err.textContent = ex.message;
    err.dataset.code = ex.code;
    $('#remote').dataset.busy = '';
    loadAllowance();
  }
});

function startRemote() {
  $('#loading').hidden = true;
  $('#remote').hidden = false;
  document.title = L('Lấy số từ xa', 'Take a number from home');
  const client = connect({});
  client.on('change', renderRemote);
  client.on('snapshot', loadAllowance);
  onLang(renderRemote);
}

langToggle($('#lang'));
applyStatic();
onLang(() => { render(); renderFaces(); });
if (id === 'new') {
  startRemote();
} else if (await load()) {
  renderFaces();
  const client = connect({ ticket: id });
  client.on('ticket', (t) => { if (!t.id || t.id === id) update(t); });
  client.on('change', render);
  client.on('event', (ev) => { // rated at the counter's tablet: no second rating from here
    if (ev.type === 'rating' && ticket && ev.number === ticket.number && ev.service === ticket.service
      && !localStorage.getItem(`xephang.rated.${id}`)) {
      localStorage.setItem(`xephang.rated.${id}`, String(ev.score));
      renderFaces();
    }
  });
}
