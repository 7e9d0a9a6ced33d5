// xephang voice studio (voice.html). Signs in like the supervisor dashboard (same session), lists
// every clip of GET /api/v1/voice per language, records the selected clip with the microphone
// (voice-recorder.js) and saves it with PUT /api/v1/voice/{lang}/{clip}; guided mode walks
// through the missing clips with the keyboard only; previews a whole announcement; downloads
// and uploads the voice pack.
import { api, esc, L, i18n, applyStatic, onLang, langToggle, toast, $ } from '/assets/client.js';
import { initialToken, showLogin, signedOut, wireSignIn } from '/assets/supervisor-session.js';
import { makeRecorder, drawWave, HEARD_DB } from '/assets/voice-recorder.js';

let tok = initialToken();
let data = null;          // GET /api/v1/voice
let lang = 'vi';          // the language shown
let sel = 0;              // index of the selected clip in the language's list
let guided = false;
let busy = false;         // a save is running
let lastMsg = null;       // {kind, vi, en} shown under the meter
let pendingImport = null; // the File waiting for confirmation

const recorder = makeRecorder({ onLevel: showLevel, onChange: renderRecorder });
const fmt = (n, d = 2) => Number(n).toLocaleString(i18n.lang === 'en' ? 'en-GB' : 'vi-VN',
  { minimumFractionDigits: d, maximumFractionDigits: d });

// ---------------------------------------------------------------- sign-in
wireSignIn({ home: '/voice', onSignedIn: (t) => { tok = t; start(); } });

async function start() {
  try {
    await load();
  } catch (err) {
    if (err.status === 401 || err.status === 403) { signedOut(err.message); return; }
    toast(err.message);
  }
  $('#login').hidden = true;
  $('#app').hidden = false;
  try {
    const s = await api('GET', '/api/v1/state', undefined, { token: tok });
    $('#centre').textContent = L(s.centre?.name, s.centre?.name_en || s.centre?.name) || '';
  } catch { /* the name is decoration */ }
  render();
}

async function load() {
  data = await api('GET', '/api/v1/voice', undefined, { token: tok });
  if (!data.languages.some((l) => l.lang === lang)) lang = data.languages[0]?.lang || 'vi';
}

const language = () => data?.languages.find((l) => l.lang === lang);
const clips = () => language()?.clips || [];
const current = () => clips()[sel];

// ---------------------------------------------------------------- rendering
function render() {
  if (!data || $('#app').hidden) return;
  renderTabs();
  renderList();
  renderRecorder();
}

function renderTabs() {
  const names = { vi: ['Tiếng Việt', 'Vietnamese'], en: ['Tiếng Anh', 'English'] };
  $('#tabs').innerHTML = data.languages.map((l) => {
    const [vi, en] = names[l.lang] || [l.lang, l.lang];
    return `<button type="button" role="tab" class="tab${l.lang === lang ? ' on' : ''}" data-lang="${esc(l.lang)}" aria-selected="${l.lang === lang}">
      ${esc(L(vi, en))} <span class="num">${l.recorded}/${l.required}</span>${l.announced ? '' : ` <small>${esc(L('(chưa phát)', '(not announced)'))}</small>`}</button>`;
  }).join('');
  const l = language();
  const pct = l.required ? Math.round((100 * l.recorded) / l.required) : 0;
  $('#progress-bar').style.width = `${pct}%`;
  $('#progress-bar').className = l.complete ? 'done' : '';
  $('#progress-text').innerHTML = `<b class="num" id="share">${pct}%</b> · ${esc(L(
    `Đã ghi ${l.recorded}/${l.required} đoạn bắt buộc`, `${l.recorded} of ${l.required} required clips recorded`))}
    · <span class="${l.in_use ? 'ok' : 'muted'}">${esc(l.in_use
    ? L('Thông báo đang dùng giọng đã ghi', 'Announcements use the recorded voice')
    : L('Thông báo đang dùng giọng mặc định', 'Announcements use the built-in voice'))}</span>`;
  $('#mode-text').textContent = data.mode === 'complete'
    ? L(`Giọng ghi âm chỉ được dùng khi đã ghi đủ mọi đoạn bắt buộc của ngôn ngữ, để không lẫn giọng máy giữa câu (audio.recorded = "complete"). Mọi đoạn được chuẩn hóa về ${fmt(data.target_lufs, 0)} LUFS.`,
      `The recorded voice is used once every required clip of the language is recorded, so it never mixes with the synthetic voice mid-sentence (audio.recorded = "complete"). Every clip is levelled to ${fmt(data.target_lufs, 0)} LUFS.`)
    : L(`Mỗi đoạn đã ghi được dùng ngay khi lưu (audio.recorded = "each"). Mọi đoạn được chuẩn hóa về ${fmt(data.target_lufs, 0)} LUFS.`,
      `Each recorded clip is used as soon as it is saved (audio.recorded = "each"). Every clip is levelled to ${fmt(data.target_lufs, 0)} LUFS.`);
}

function renderList() {
  const list = clips();
  const l = language();
  $('#list-sum').textContent = L(`${list.length} đoạn · ${l.required} bắt buộc`, `${list.length} clips · ${l.required} required`);
  const head = `<tr><th>#</th><th>${esc(L('Đọc', 'Read'))}</th><th>${esc(L('Trạng thái', 'State'))}</th>
    <th>${esc(L('Nghe · ghi âm', 'Listen · record'))}</th></tr>`;
  $('#clips').innerHTML = head + list.map((c, i) => {
    const rec = c.state === 'recorded';
    const state = rec
      ? `<span class="badge rec">${esc(L('Đã ghi', 'Recorded'))}</span>${c.in_use ? '' : ` <span class="badge wait" title="${esc(L('Chờ ghi đủ ngôn ngữ', 'Waits for the whole language'))}">${esc(L('chưa dùng', 'not in use yet'))}</span>`}
         <div class="muted small num">${esc(fmt(c.duration_s))} s · ${esc(c.loudness_lufs == null ? '—' : fmt(c.loudness_lufs, 1))} LUFS</div>`
      : `<span class="badge builtin">${esc(L('Giọng mặc định', 'Built-in'))}</span>`;
    return `<tr data-i="${i}" data-clip="${esc(c.clip)}" data-state="${esc(c.state)}" class="${i === sel ? 'sel' : ''}${c.required ? '' : ' optional'}">
      <td class="num muted">${i + 1}</td>
      <td><div class="say">${esc(c.text)}</div><div class="muted small">${esc(c.clip)}${c.required ? '' : ` · ${esc(L('không bắt buộc', 'optional'))}`}</div></td>
      <td>${state}</td>
      <td><div class="acts">${c.builtin ? `<button type="button" class="btn ghost sm" data-play="builtin" title="${esc(L('Nghe giọng mặc định', 'Play the built-in clip'))}">▶ ${esc(L('Mặc định', 'Built-in'))}</button>` : ''}
        ${rec ? `<button type="button" class="btn ghost sm" data-play="recorded" title="${esc(L('Nghe bản đã ghi', 'Play the recording'))}">▶ ${esc(L('Đã ghi', 'Recorded'))}</button>` : ''}
        <button type="button" class="btn sm" data-act="select">● ${esc(L('Ghi âm', 'Record'))}</button>
        ${rec ? `<button type="button" class="btn ghost sm danger-text" data-act="delete">${esc(L('Về mặc định', 'Back to built-in'))}</button>` : ''}</div></td></tr>`;
  }).join('');
}

function renderRecorder() {
  const c = current();
  const box = $('#recorder');
  box.dataset.state = recorder.state;
  box.dataset.clip = c?.clip || '';
  box.classList.toggle('is-guided', guided);
  $('#guided-badge').hidden = !guided;
  $('#guided').textContent = guided ? L('Thoát chế độ lần lượt (Esc)', 'Leave guided mode (Esc)')
    : L('Ghi lần lượt các đoạn còn thiếu (G)', 'Record the missing clips one by one (G)');
  if (!c) return;
  $('#rec-pos').textContent = L(`Đoạn ${sel + 1}/${clips().length}`, `Clip ${sel + 1} of ${clips().length}`)
    + (c.state === 'recorded' ? L(' · đã ghi', ' · recorded') : '');
  $('#rec-text').textContent = c.text;
  $('#rec-clip').textContent = `${lang}/${c.clip}.wav`;
  const recording = recorder.state === 'recording';
  const take = recorder.state === 'take' && recorder.take;
  $('#rec-btn').classList.toggle('on', recording);
  $('#rec-btn').querySelector('[data-en]').textContent = recording ? L('Dừng', 'Stop') : L('Ghi âm', 'Record');
  $('#play-take').disabled = !take;
  $('#save-take').disabled = !take || busy;
  $('#retake').disabled = !take || busy;
  $('#take-wave').hidden = !take;
  if (take) drawWave($('#take-wave'), take.peaks);
  const msg = lastMsg ? L(lastMsg.vi, lastMsg.en) : recording
    ? L('Đang ghi… đọc to, rõ, rồi nhấn Space để dừng.', 'Recording… read aloud, clearly, then press Space to stop.')
    : take ? L(`Bản ghi ${fmt(take.seconds, 1)} giây. Nghe lại, rồi Lưu (Enter) hoặc Ghi lại (R).`,
      `Take of ${fmt(take.seconds, 1)} s. Play it back, then Save (Enter) or Retake (R).`)
      : busy ? L('Đang lưu…', 'Saving…')
        : L('Nhấn Ghi âm (Space), đọc đoạn trên như khi đọc trong câu, rồi nhấn lần nữa để dừng.',
          'Press Record (Space), say the words as inside a sentence, then press again to stop.');
  $('#rec-status').textContent = msg;
  $('#rec-status').className = `rec-status ${lastMsg?.kind || ''}`;
}

function showLevel({ peakDb, heard, peakMax, ms, recording }) {
  const bar = $('#meter-bar');
  const w = Math.max(0, Math.min(1, (peakDb + 60) / 60));
  bar.style.width = `${(w * 100).toFixed(1)}%`;
  bar.className = `meter-bar ${peakDb > -3 ? 'hot' : peakDb > -12 ? 'warm' : ''}`;
  const box = $('#recorder');
  box.dataset.level = Math.round(peakDb);
  box.dataset.heard = heard ? '1' : '';
  box.dataset.ms = Math.round(ms);
  if (!recording) return;
  const secs = fmt(ms / 1000, 1);
  let line = L(`Đang ghi… ${secs} giây. Nhấn Space để dừng.`, `Recording… ${secs} s. Press Space to stop.`);
  if (peakMax > -1) line += L(' Quá to: để micrô xa hơn.', ' Too loud: move the microphone away.');
  else if (!heard && ms > 1500) line += L(' Chưa nghe thấy tiếng — kiểm tra micrô.', ' Nothing heard yet — check the microphone.');
  $('#rec-status').textContent = line;
  $('#rec-status').className = `rec-status ${peakMax > -1 ? 'warn' : ''}`;
}

// ---------------------------------------------------------------- actions
function select(i) {
  if (!clips().length) return;
  sel = (i + clips().length) % clips().length;
  if (recorder.recording) recorder.stop().then(() => recorder.reset());
  else recorder.reset();
  lastMsg = null;
  renderList();
  renderRecorder();
  document.querySelector(`#clips tr[data-i="${sel}"]`)?.scrollIntoView({ block: 'nearest' });
}

async function toggleRecord() {
  if (busy) return;
  lastMsg = null;
  try {
    if (recorder.recording) await recorder.stop();
    else await recorder.start();
  } catch (err) {
    recorder.fail();
    lastMsg = { kind: 'err', vi: `Không mở được micrô: ${err.message}`, en: `Cannot open the microphone: ${err.message}` };
  }
  renderRecorder();
}

async function retake() {
  if (busy || recorder.recording) return;
  recorder.reset();
  await toggleRecord();
}

async function save() {
  const c = current();
  const take = recorder.take;
  if (!c || !take || busy || recorder.state !== 'take') return;
  busy = true;
  lastMsg = null;
  renderRecorder();
  try {
    const res = await fetch(`/api/v1/voice/${lang}/${c.clip}`, {
      method: 'PUT', body: take.blob,
      headers: { Authorization: `Bearer ${tok}`, 'Content-Type': take.blob.type || 'application/octet-stream', 'Accept-Language': i18n.lang },
      signal: AbortSignal.timeout(60000),
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error(body?.error?.message || `HTTP ${res.status}`);
    const r = body.report;
    const l = r.loudness_lufs == null ? '—' : fmt(r.loudness_lufs, 1);
    lastMsg = { kind: 'ok',
      vi: `Đã lưu “${c.text}”: ${fmt(r.duration_s)} giây (bỏ ${fmt(r.trimmed_start_s + r.trimmed_end_s, 1)} giây im lặng), ${l} LUFS.`,
      en: `Saved “${c.text}”: ${fmt(r.duration_s)} s (${fmt(r.trimmed_start_s + r.trimmed_end_s, 1)} s of silence cut), ${l} LUFS.` };
    recorder.reset();
    await load();
    if (guided) advance();
  } catch (err) {
    lastMsg = { kind: 'err', vi: err.message, en: err.message };
  } finally {
    busy = false;
    render();
  }
}

/** Guided mode: the next required clip not recorded yet, after the selected one. */
function advance() {
  const list = clips();
  const order = list.map((_, k) => (sel + 1 + k) % list.length);
  const next = order.find((k) => list[k].required && list[k].state !== 'recorded');
  if (next === undefined) {
    guided = false;
    toast(L('Đã ghi đủ mọi đoạn bắt buộc của ngôn ngữ này.', 'Every required clip of this language is recorded.'), 'ok', 5000);
    return;
  }
  const keep = lastMsg;
  select(next);
  lastMsg = keep;
}

function startGuided() {
  if (guided) { guided = false; renderRecorder(); return; }
  guided = true;
  const list = clips();
  const first = list.findIndex((c) => c.required && c.state !== 'recorded');
  if (first < 0) { guided = false; toast(L('Không còn đoạn bắt buộc nào chưa ghi.', 'No required clip is missing.'), 'ok', 4000); return; }
  select(first);
}

async function fetchBlob(url) {
  const res = await fetch(url, { headers: { Authorization: `Bearer ${tok}`, 'Accept-Language': i18n.lang }, cache: 'no-store' });
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    throw new Error(body?.error?.message || `HTTP ${res.status}`);
  }
  return res;
}

async function playClip(c, source) {
  try {
    const res = await fetchBlob(`/api/v1/voice/${lang}/${c.clip}?source=${source}`);
    await recorder.play(URL.createObjectURL(await res.blob()));
  } catch (err) { toast(err.message); }
}

async function removeClip(c, btn) {
  if (!btn.classList.contains('confirm')) {
    btn.classList.add('confirm');
    btn.textContent = L('Chắc chắn? Nhấn lần nữa', 'Sure? Click again');
    setTimeout(() => { if (btn.isConnected) renderList(); }, 4000);
    return;
  }
  try {
    await api('DELETE', `/api/v1/voice/${lang}/${c.clip}`, undefined, { token: tok });
    toast(L(`“${c.text}” dùng lại giọng mặc định.`, `“${c.text}” is back to the built-in voice.`), 'ok', 3000);
    await load();
    render();
  } catch (err) { toast(err.message); }
}

async function preview(source) {
  const number = $('#pv-number').value.trim() || '1005';
  const counter = Number($('#pv-counter').value) || 1;
  try {
    const res = await fetchBlob(`/api/v1/voice/preview?number=${encodeURIComponent(number)}&counter=${counter}&lang=${lang}&source=${source}`);
    const text = res.headers.get('x-announcement');
    $('#pv-text').textContent = text ? `“${decodeURIComponent(text)}”` : '';
    await recorder.play(URL.createObjectURL(await res.blob()));
  } catch (err) { toast(err.message); }
}

async function exportPack(e) {
  e.preventDefault();
  try {
    const res = await fetchBlob('/api/v1/voice/pack');
    const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') || '')?.[1] || 'xephang-voice.tar';
    const a = document.createElement('a');
    a.href = URL.createObjectURL(await res.blob());
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
  } catch (err) { toast(err.message); }
}

async function importPack() {
  const file = pendingImport;
  if (!file) return;
  $('#import-confirm').hidden = true;
  try {
    const res = await fetch('/api/v1/voice/pack', {
      method: 'PUT', body: file,
      headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/x-tar', 'Accept-Language': i18n.lang },
      signal: AbortSignal.timeout(120000),
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error(body?.error?.message || `HTTP ${res.status}`);
    toast(L(`Đã nạp ${body.clips} đoạn (${body.languages.join(', ')}).`,
      `${body.clips} clip${body.clips === 1 ? '' : 's'} loaded (${body.languages.join(', ')}).`), 'ok', 5000);
    await load();
    render();
  } catch (err) {
    toast(err.message, 'error', 10000);
  } finally {
    pendingImport = null;
    $('#import').value = '';
  }
}

// ---------------------------------------------------------------- wiring
$('#tabs').addEventListener('click', (e) => {
  const b = e.target.closest('[data-lang]');
  if (!b) return;
  lang = b.dataset.lang;
  guided = false;
  select(0);
  render();
});
$('#clips').addEventListener('click', (e) => {
  const row = e.target.closest('tr[data-i]');
  if (!row) return;
  const i = Number(row.dataset.i);
  const c = clips()[i];
  const play = e.target.closest('[data-play]');
  const act = e.target.closest('[data-act]');
  if (play) { playClip(c, play.dataset.play); return; }
  if (act?.dataset.act === 'delete') { removeClip(c, act); return; }
  if (i !== sel) select(i);
  if (act?.dataset.act === 'select') toggleRecord();
});
$('#rec-btn').addEventListener('click', toggleRecord);
$('#play-take').addEventListener('click', () => recorder.take && recorder.play(recorder.take.url));
$('#save-take').addEventListener('click', save);
$('#retake').addEventListener('click', retake);
$('#prev').addEventListener('click', () => select(sel - 1));
$('#next').addEventListener('click', () => select(sel + 1));
$('#guided').addEventListener('click', startGuided);
$('#preview-form').addEventListener('submit', (e) => { e.preventDefault(); preview('current'); });
$('#pv-recorded').addEventListener('click', () => preview('recorded'));
$('#export').addEventListener('click', exportPack);
$('#import').addEventListener('change', () => {
  pendingImport = $('#import').files[0] || null;
  $('#import-name').textContent = pendingImport ? `“${pendingImport.name}”` : '';
  $('#import-confirm').hidden = !pendingImport;
});
$('#import-go').addEventListener('click', importPack);
$('#import-cancel').addEventListener('click', () => { pendingImport = null; $('#import').value = ''; $('#import-confirm').hidden = true; });

// Buttons give the focus back, so that Space and Enter always drive the recorder.
document.addEventListener('click', (e) => {
  const b = e.target.closest('button');
  if (b && !b.closest('form')) b.blur();
});
const typing = (el) => el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT');
document.addEventListener('keydown', (e) => {
  if ($('#app').hidden || typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
  const k = e.key;
  if (k === ' ' || k === 'Spacebar') { e.preventDefault(); if (!e.repeat) toggleRecord(); }
  else if (k === 'Enter') { e.preventDefault(); save(); }
  else if (k === 'r' || k === 'R') { e.preventDefault(); retake(); }
  else if (k === 'ArrowRight' || k === 'ArrowDown') { e.preventDefault(); select(sel + 1); }
  else if (k === 'ArrowLeft' || k === 'ArrowUp') { e.preventDefault(); select(sel - 1); }
  else if ((k === 'g' || k === 'G') && !guided) { e.preventDefault(); startGuided(); }
  else if (k === 'Escape' && guided) { guided = false; renderRecorder(); }
});
document.addEventListener('keyup', (e) => { if (e.key === ' ' && !typing(e.target)) e.preventDefault(); });

langToggle($('#lang'));
onLang(render);
applyStatic();
document.documentElement.lang = i18n.lang;
// Exposed for the end-to-end test's wait conditions.
window.__voice = { HEARD_DB };
if (tok) start(); else showLogin();
