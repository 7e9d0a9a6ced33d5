// xephang administration page, section "Quầy / Counters" (admin.html): per counter, its
// services in the order it prefers them (add, remove, move up or down) and its mode (FIFO:
// the longest-waiting citizen across them; ordered: one service after the other), edited as a
// draft and saved with PATCH /api/v1/admin/counters/{n} {services, mode}. The daemon applies
// it at the clerk's next call, never to the citizen being served; a service with citizens
// waiting cannot leave every counter (the server's refusal shows on the list).
import { esc, L, $ } from '/assets/client.js';
import { api, submit, saved, showError, restoreErrors, forgetError } from '/assets/admin-forms.js';

const MODES = {
  fifo: ['Người chờ lâu nhất được gọi trước (FIFO)', 'Longest-waiting citizen first (FIFO)'],
  ordered: ['Theo thứ tự lĩnh vực: hết lĩnh vực trên mới gọi lĩnh vực dưới', 'In order: the first service until it is empty, then the next'],
};

export function countersSection(ctx) {
  const drafts = new Map(); // counter id → {services, mode}
  const box = $('#counter-list');

  const serverOf = (id) => ctx.state?.counters?.find((c) => c.id === id);
  const nameOf = (sid) => {
    const s = ctx.state?.services?.find((x) => x.id === sid);
    return s ? L(s.name, s.name_en || s.name) : sid;
  };
  const dirty = (id) => {
    const d = drafts.get(id), c = serverOf(id);
    return !!d && !!c && (d.mode !== (c.mode || 'fifo') || d.services.join() !== c.services.join());
  };

  async function load() {
    for (const c of ctx.state?.counters || []) {
      if (!dirty(c.id)) drafts.set(c.id, { services: [...c.services], mode: c.mode || 'fifo' });
    }
    render();
  }

  function card(c) {
    const d = drafts.get(c.id);
    const others = (ctx.state.services || []).filter((s) => !d.services.includes(s.id));
    const items = d.services.map((sid, i) => `<li data-service="${esc(sid)}"><span class="pos num">${i + 1}</span><span class="nm">${esc(nameOf(sid))}</span>
      <button type="button" class="icon" data-act="up" ${i === 0 ? 'disabled' : ''} aria-label="${esc(L(`Chuyển ${nameOf(sid)} lên`, `Move ${nameOf(sid)} up`))}">↑</button>
      <button type="button" class="icon" data-act="down" ${i === d.services.length - 1 ? 'disabled' : ''} aria-label="${esc(L(`Chuyển ${nameOf(sid)} xuống`, `Move ${nameOf(sid)} down`))}">↓</button>
      <button type="button" class="icon del" data-act="remove" aria-label="${esc(L(`Bỏ ${nameOf(sid)} khỏi quầy`, `Remove ${nameOf(sid)} from the counter`))}">✕</button></li>`).join('');
    const modes = Object.entries(MODES).map(([k, v]) => `<label class="radio"><input type="radio" name="mode-${c.id}" value="${k}"${d.mode === k ? ' checked' : ''}><span>${esc(L(...v))}</span></label>`).join('');
    const isDirty = dirty(c.id);
    return `<form class="card ctr${isDirty ? ' dirty' : ''}" data-counter="${c.id}" data-key="counter:${c.id}" novalidate>
      <h2>${esc(c.name)}${isDirty ? ` <small class="unsaved">${esc(L('chưa lưu', 'not saved'))}</small>` : ''}</h2>
      <div data-field="services"><div class="lbl" id="svl-${c.id}">${esc(L('Lĩnh vực, theo thứ tự ưu tiên', 'Services, in order of preference'))}</div>
        <ol class="svc-order" aria-labelledby="svl-${c.id}">${items || `<li class="empty">${esc(L('Chưa có lĩnh vực nào.', 'No service yet.'))}</li>`}</ol>
        <em class="ferr" role="alert"></em></div>
      ${others.length ? `<div class="add-svc"><select aria-label="${esc(L('Lĩnh vực để thêm', 'Service to add'))}">${others.map((s) => `<option value="${esc(s.id)}">${esc(L(s.name, s.name_en || s.name))}</option>`).join('')}</select>
        <button type="button" class="btn ghost sm" data-act="add">${esc(L('Thêm lĩnh vực', 'Add service'))}</button></div>` : ''}
      <fieldset data-field="mode"><legend>${esc(L('Cách gọi số', 'How it calls'))}</legend>${modes}<em class="ferr" role="alert"></em></fieldset>
      <div class="row-buttons"><button class="btn" type="submit">${esc(L(`Lưu ${c.name}`, `Save counter ${c.id}`))}</button>
        ${isDirty ? `<button class="btn ghost" type="button" data-act="undo">${esc(L('Hoàn tác', 'Undo'))}</button>` : ''}</div>
      <p class="ferr form-err" role="alert"></p></form>`;
  }

  function render() {
    if (!ctx.state) return;
    const focus = document.activeElement?.closest('#counter-list form') ? keyOf(document.activeElement) : null;
    box.innerHTML = (ctx.state.counters || []).filter((c) => drafts.has(c.id)).map(card).join('');
    restoreErrors(box, (f) => f.dataset.key);
    if (focus) restore(focus);
  }

  /** Where the focus was (counter, service, action), so a re-render keeps it. */
  function keyOf(el) {
    const f = el.closest('form');
    return { counter: f?.dataset.counter, service: el.closest('li')?.dataset.service, act: el.dataset.act, tag: el.tagName };
  }
  function restore(k) {
    const f = box.querySelector(`form[data-counter="${k.counter}"]`);
    if (!f) return;
    let el = k.service ? f.querySelector(`li[data-service="${CSS.escape(k.service)}"] [data-act="${k.act}"]`) : null;
    if (!el || el.disabled) el = k.act ? f.querySelector(`[data-act="${k.act}"]:not(:disabled)`) : null;
    (el || f.querySelector('ol button:not(:disabled), select, button'))?.focus();
  }

  box.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-act]');
    if (!b) return;
    const form = b.closest('form');
    const id = Number(form.dataset.counter);
    const d = drafts.get(id);
    const sid = b.closest('li')?.dataset.service;
    const i = d.services.indexOf(sid);
    switch (b.dataset.act) {
      case 'up': if (i > 0) d.services.splice(i - 1, 0, ...d.services.splice(i, 1)); break;
      case 'down': if (i >= 0 && i < d.services.length - 1) d.services.splice(i + 1, 0, ...d.services.splice(i, 1)); break;
      case 'remove': if (i >= 0) d.services.splice(i, 1); break;
      case 'add': { const v = form.querySelector('.add-svc select').value; if (v && !d.services.includes(v)) d.services.push(v); break; }
      case 'undo': { const c = serverOf(id); drafts.set(id, { services: [...c.services], mode: c.mode || 'fifo' }); break; }
      default: return;
    }
    forgetError(`counter:${id}`); // an edited counter: its last refusal no longer applies
    render();
  });

  box.addEventListener('change', (e) => {
    if (e.target.type !== 'radio') return;
    const id = Number(e.target.closest('form').dataset.counter);
    drafts.get(id).mode = e.target.value;
    forgetError(`counter:${id}`);
    render();
  });

  box.addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.target;
    const id = Number(form.dataset.counter);
    const d = drafts.get(id);
    submit(form, async () => {
      await api('PATCH', `/api/v1/admin/counters/${id}`, { services: d.services, mode: d.mode });
      await ctx.reloadState();
      const c = serverOf(id);
      drafts.set(id, { services: [...c.services], mode: c.mode || 'fifo' });
      render();
      const again = box.querySelector(`form[data-counter="${id}"]`);
      saved(again, `Đã lưu ${c.name}. Có hiệu lực từ lần gọi số tiếp theo tại quầy.`, `${c.name} saved. It takes effect at the counter's next call.`);
      again.querySelector('button[type="submit"]').focus();
    }, `counter:${id}`);
  });

  return { load, render, showError: (x) => showError(box, x) };
}
