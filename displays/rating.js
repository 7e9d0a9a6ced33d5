// xephang rating tablet (rating.html): bound to counter {n} by its rating token. After each
// ticket_finished event of its counter it asks /api/v1/counters/{n}/rating-target which ticket
// may be rated; one tap sends POST /api/v1/ratings {"score"}; thank-you, then reset.
import {
  connect, model, api, token, pathParam, esc, bi, L, applyStatic, onLang, langToggle,
  avatar, since, $, $$,
} from '/assets/client.js';
import { LEVELS, face } from '/assets/faces.js';

const id = Number(pathParam());
const THANKS_MS = 8000;       // the thank-you screen, then back to idle
const ASK_MS = 120000;        // an unanswered question goes away after this
const FRESH_S = 180;          // on (re)load, only a ticket finished this recently is asked about
const client = connect({ token, page: 'rating' });
let target = null;            // the rating-target answer being asked about
let mode = 'idle';
let timer = null;

function show(m) {
  mode = m;
  for (const s of ['idle', 'ask', 'thanks']) $(`#${s}`).hidden = s !== m;
  clearTimeout(timer);
  if (m === 'thanks') timer = setTimeout(() => show('idle'), THANKS_MS);
  if (m === 'ask') timer = setTimeout(() => show('idle'), ASK_MS);
  render();
}

function render() {
  const c = model.counters.find((x) => x.id === id);
  $('#counter-name').textContent = c ? c.name : L(`Quầy ${id}`, `Counter ${id}`);
  $('#centre').textContent = L(model.centre.name, model.centre.name_en || model.centre.name) || '';
  const k = (mode === 'ask' && target?.clerk) || c?.clerk || null;
  $('#clerk').innerHTML = k
    ? `${avatar(k)}<div class="role">${bi('Cán bộ phục vụ', 'Served by')}</div><div class="name">${esc(k.name)}</div>`
    : `<div class="role">${bi('Chưa có cán bộ tại quầy', 'No officer at the counter')}</div>`;
  if (mode === 'ask' && target?.ticket) {
    const t = target.ticket;
    const s = model.services.find((x) => x.id === t.service);
    $('#served').innerHTML = `${esc(L('Số', 'Ticket'))} <b class="num">${esc(t.number)}</b> · ${esc(s ? L(s.name, s.name_en || s.name) : t.service)}`;
  }
}

function renderFaces() {
  $('#faces').innerHTML = LEVELS.map((l) => `<button type="button" data-score="${l.score}">${face(l)}${bi(l.vi, l.en)}</button>`).join('');
}

async function refreshTarget(fresh) {
  try {
    const r = await api('GET', `/api/v1/counters/${id}/rating-target`);
    if (!r.ticket || r.ticket.rated) { if (mode === 'ask') show('idle'); return; }
    if (fresh && since(r.ticket.finished_at) > FRESH_S) return;
    target = r;
    renderFaces();
    $('#ask-err').textContent = '';
    show('ask');
  } catch (err) {
    $('#ask-err').textContent = err.message;
  }
}

$('#faces').addEventListener('click', async (e) => {
  const b = e.target.closest('button[data-score]');
  if (!b || b.disabled) return;
  $$('#faces button').forEach((x) => { x.disabled = true; });
  b.classList.add('chosen');
  try {
    await api('POST', '/api/v1/ratings', { score: Number(b.dataset.score) });
    show('thanks');
  } catch (err) {
    $('#ask-err').textContent = err.message;
    if (err.code === 'already_rated' || err.status === 409) setTimeout(() => show('idle'), 4000);
    else $$('#faces button').forEach((x) => { x.disabled = false; x.classList.remove('chosen'); });
  }
});

// On load and after every fresh snapshot (a long outage), ask whether a recent ticket waits.
client.on('snapshot', () => { if (mode === 'idle') refreshTarget(true); });
client.on('event', (ev) => {
  if (ev.counter !== id) return;
  if (ev.type === 'ticket_finished') refreshTarget(false);
  if (ev.type === 'rating' && mode === 'ask' && target?.ticket && ev.number === target.ticket.number) {
    if (!$$('#faces button.chosen').length) show('idle'); // rated elsewhere (the phone)
  }
});
client.on('change', render);
langToggle($('#lang'));
onLang(() => { render(); if (mode === 'ask') renderFaces(); });
document.addEventListener('contextmenu', (e) => e.preventDefault());
applyStatic();
renderFaces();
show('idle');
