// xephang supervisor dashboard, what day one at a real centre asked for (issue 14):
//  - today's no-shows with "Gọi lại vào hàng" (noshows.js, every service);
//  - today's rating comments with the clerk's name, from GET /api/v1/ratings/today, so they
//    survive a reload (refetched when a rating arrives);
//  - the Excel report of a chosen day (GET /api/v1/reports/daily.xlsx?day=) or of a range of
//    days (GET /api/v1/reports/range.xlsx?from=&to=);
//  - the dossier form refuses impossible figures (on time + overdue > received) before
//    sending them (the server refuses them too: 400 `impossible_figures`).
import { api, model, esc, L, onLang, fmtTime, toast, $ } from '/assets/client.js';
import { LEVELS, face } from '/assets/faces.js';
import { mountNoShows } from '/assets/noshows.js';

let ratings = [];
let tok = '';
let timer = 0;

function renderRatings() {
  const box = $('#rating-list');
  if (!box) return;
  box.innerHTML = ratings.slice(0, 50).map((x) => {
    const l = LEVELS.find((v) => v.score === x.score) || LEVELS[0];
    const clerk = x.clerk ? (x.clerk.name || x.clerk.id) : '';
    return `<li>${face(l)}<span class="num">${esc(x.at ? fmtTime(x.at) : '')}</span><b class="num">${esc(x.number)}</b>
      <span class="r-clerk">${esc(clerk)}</span><span>${esc(L(l.vi, l.en))}</span>
      ${x.comment ? `<span class="muted r-comment">“${esc(x.comment)}”</span>` : ''}</li>`;
  }).join('') || `<li class="muted">${esc(L('Chưa có đánh giá hôm nay.', 'No rating today yet.'))}</li>`;
}

async function loadRatings() {
  try {
    ratings = (await api('GET', '/api/v1/ratings/today', undefined, { token: tok })).ratings || [];
    renderRatings();
  } catch (err) { toast(err.message); }
}

function setupExcel(client) {
  const day = $('#xlsx-day');
  const link = $('#xlsx');
  if (!day || !link) return;
  // The centre's business day (from the snapshot), not the browser's date.
  const today = () => {
    if (!model.day) return;
    day.max = model.day;
    if (to) to.max = model.day;
    if (!day.value) { day.value = model.day; update(); }
  };
  client.on('snapshot', today);
  const to = $('#xlsx-to');
  const update = () => {
    const q = new URLSearchParams({ token: tok });
    if (to?.value && day.value && to.value !== day.value) {
      // A range: the days added up (GET /api/v1/reports/range.xlsx).
      const [a, b] = [day.value, to.value].sort();
      q.set('from', a);
      q.set('to', b);
      link.href = `/api/v1/reports/range.xlsx?${q}`;
      link.download = `xephang-${a}..${b}.xlsx`;
      return;
    }
    if (day.value) q.set('day', day.value);
    link.href = `/api/v1/reports/daily.xlsx?${q}`;
    link.download = `xephang-${day.value || 'today'}.xlsx`;
  };
  day.addEventListener('change', update);
  to?.addEventListener('change', update);
  update();
  today();
}

/** Blocks the dossier form while on time + overdue > received, and says why beside it. */
function setupDossierCheck() {
  const form = $('#dossier');
  if (!form) return;
  const note = document.createElement('p');
  note.id = 'dossier-err';
  note.className = 'err';
  note.setAttribute('role', 'alert');
  form.after(note);
  const check = () => {
    const [r, o, v] = ['received', 'on_time', 'overdue'].map((f) => Number($(`#d-${f}`).value || 0));
    const bad = o + v > r;
    const msg = bad ? L(`Đúng hạn (${o}) + quá hạn (${v}) không thể lớn hơn số tiếp nhận (${r}).`,
      `On time (${o}) + overdue (${v}) cannot exceed received (${r}).`) : '';
    for (const f of ['on_time', 'overdue']) $(`#d-${f}`).setCustomValidity(msg);
    note.textContent = msg;
  };
  form.addEventListener('input', check);
  // Catches a submit before the dashboard's own handler (capture runs first on the form).
  form.addEventListener('submit', (e) => {
    check();
    if (note.textContent) { e.preventDefault(); e.stopImmediatePropagation(); }
  }, true);
  onLang(check);
}

/** Wires the issue-14 parts of the dashboard to the page's socket `client` and token. */
export function attachDayOne(client, token) {
  tok = token;
  mountNoShows($('#noshows'), { token: () => tok, client });
  client.on('event', (ev) => {
    if (ev.type === 'rating' || ev.type === 'day_started') { clearTimeout(timer); timer = setTimeout(loadRatings, 300); }
  });
  onLang(renderRatings);
  loadRatings();
  setupExcel(client);
  setupDossierCheck();
}
