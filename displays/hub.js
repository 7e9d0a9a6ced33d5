// xephang province hub (/): every centre live, from /ws/centres (hub-list.js). Per centre: open
// or closed now, online or not, and per service the people waiting and the estimated wait;
// with a search, the shortest wait for that service across the province comes first.
import { esc, L, bi, applyStatic, onLang, langToggle, fmtDur, $ } from '/assets/client.js';
import { followList } from '/assets/hub-list.js';

let centres = [];

const name = (x) => L(x.name, x.name_en || x.name);
const norm = (s) => String(s || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();

function waitText(s) {
  if (!s.open) return L('Ngoài giờ', 'Closed');
  if (!s.waiting) return L('Không phải chờ', 'No wait');
  return `~${fmtDur(s.eta_s)}`;
}

function render() {
  const q = norm($('#find').value.trim());
  const match = (c, s) => !q || norm(c.name).includes(q) || norm(c.name_en).includes(q) || norm(s.name).includes(q) || norm(s.name_en).includes(q);
  const shown = centres.filter((c) => !q || (c.services || []).some((s) => match(c, s)) || norm(c.name).includes(q));
  // Best places for the searched service: open, online, shortest estimate.
  const best = $('#best');
  if (q) {
    const options = [];
    for (const c of centres) for (const s of c.services || []) {
      if (c.online && s.open && (norm(s.name).includes(q) || norm(s.name_en).includes(q))) options.push({ c, s });
    }
    options.sort((a, b) => (a.s.waiting ? a.s.eta_s : 0) - (b.s.waiting ? b.s.eta_s : 0));
    best.hidden = !options.length;
    best.innerHTML = options.length ? `<h2>${bi('Nên đến ngay', 'Best right now')}</h2>` + options.slice(0, 3).map(({ c, s }) =>
      `<div class="opt"><b>${esc(name(c))}</b><span>${esc(name(s))}</span><span class="w">${esc(L(`${s.waiting} người chờ`, `${s.waiting} waiting`))} · ${esc(waitText(s))}</span></div>`).join('') : '';
  } else {
    best.hidden = true;
  }
  $('#list').innerHTML = shown.map((c) => {
    const open = (c.services || []).some((s) => s.open);
    const state = !c.online ? ['offline', L('Chưa có dữ liệu mới', 'No recent data')]
      : open ? ['open', L('Đang tiếp nhận', 'Open now')] : ['closed', L('Ngoài giờ làm việc', 'Closed now')];
    const rows = (c.services || []).filter((s) => match(c, s) || norm(c.name).includes(q)).map((s) => `<tr class="${s.open ? '' : 'shut'}">
      <td>${esc(name(s))}</td><td class="num">${s.open ? esc(s.waiting) : '—'}</td><td class="num">${esc(waitText(s))}</td></tr>`).join('');
    return `<article class="centre ${state[0]}" data-id="${esc(c.id)}">
      <header><h2>${esc(name(c))}</h2><span class="badge">${esc(state[1])}</span></header>
      <div class="meta">${esc(L(`${c.counters_open} quầy đang mở`, `${c.counters_open} counters open`))}</div>
      ${rows ? `<table><thead><tr><th>${esc(L('Lĩnh vực', 'Service'))}</th><th>${esc(L('Đang chờ', 'Waiting'))}</th><th>${esc(L('Chờ dự kiến', 'Est. wait'))}</th></tr></thead><tbody>${rows}</tbody></table>` : ''}
    </article>`;
  }).join('') || `<p class="muted">${esc(L('Không tìm thấy.', 'Nothing found.'))}</p>`;
}

langToggle($('#lang'));
applyStatic();
onLang(render);
$('#find').addEventListener('input', render);
followList('/ws/centres', (list) => { centres = list; render(); });
