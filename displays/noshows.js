// xephang: today's no-shows with a "Gọi lại vào hàng" (put back in the queue) button, for the
// clerk terminal (its counter's services) and the supervisor dashboard (every service).
// Reads GET /api/v1/no-shows, refreshes on the events that change the list, and puts a ticket
// back with POST /api/v1/tickets/{id}/requeue (issue 14 item 5).
import { api, esc, L, svcName, fmtTime, toast, onLang } from '/assets/client.js';

const EVENTS = new Set(['ticket_no_show', 'ticket_requeued', 'day_started', 'ticket_cancelled', 'ticket_expired']);

/**
 * Mounts the list in `box` (which holds a `.ns-list` ol and a `.ns-count` span).
 * `token()` gives the bearer token; `client` is the page's connect() handle.
 * Returns {refresh}.
 */
export function mountNoShows(box, { token, client }) {
  let tickets = [];
  let timer = 0;
  const list = box.querySelector('.ns-list');
  const count = box.querySelector('.ns-count');

  function render() {
    box.hidden = tickets.length === 0;
    if (count) count.textContent = tickets.length;
    list.innerHTML = tickets.map((t) => `<li data-id="${esc(t.id)}">
      <span class="n num">${esc(t.number)}</span>
      <span class="ns-info"><span class="sv">${esc(svcName(t.service))}</span>
        <span class="ns-at">${esc(L('Vắng lúc', 'Missed at'))} ${esc(fmtTime(t.finished_at || t.called_at))}</span></span>
      <button type="button" class="btn small ns-requeue" data-id="${esc(t.id)}" data-number="${esc(t.number)}">${esc(L('Gọi lại vào hàng', 'Back in the queue'))}</button>
    </li>`).join('');
  }

  async function refresh() {
    try {
      const r = await api('GET', '/api/v1/no-shows', undefined, { token: token() });
      tickets = r.tickets || [];
      render();
    } catch { /* the page shows the link state; the next event retries */ }
  }
  const soon = () => { clearTimeout(timer); timer = setTimeout(refresh, 120); };

  list.addEventListener('click', async (e) => {
    const b = e.target.closest('button.ns-requeue');
    if (!b) return;
    b.disabled = true;
    try {
      await api('POST', `/api/v1/tickets/${encodeURIComponent(b.dataset.id)}/requeue`, undefined, { token: token() });
      toast(L(`Số ${b.dataset.number} đã trở lại hàng chờ.`, `Number ${b.dataset.number} is back in the queue.`), 'ok', 4000);
      tickets = tickets.filter((t) => t.id !== b.dataset.id);
      render();
    } catch (err) {
      b.disabled = false;
      toast(err.message);
    }
    soon();
  });
  client?.on('event', (ev) => { if (EVENTS.has(ev.type)) soon(); });
  client?.on('snapshot', soon);
  onLang(render);
  refresh();
  return { refresh };
}
