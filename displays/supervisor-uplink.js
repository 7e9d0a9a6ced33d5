// xephang supervisor dashboard, uplink line (supervisor.html #uplink): whether this lobby's
// events reach the province hub (GET /api/v1/uplink) — connected, how many events the hub
// does not hold yet, the last error; hidden when no [uplink] is configured. Fetched at each
// snapshot, after bursts of events, and once a minute (the hub can go away while the lobby
// is quiet; this is a status line, not the lobby's data).
import { api, esc, L, onLang, fmtTime, $ } from '/assets/client.js';

let state = null;
let tok = '';
let timer = null;

function render() {
  const box = $('#uplink');
  if (!box) return;
  if (!state || !state.configured) { box.hidden = true; return; }
  box.hidden = false;
  const cls = state.refused ? 'bad' : state.connected ? (state.behind > 0 ? 'warn' : 'ok') : 'bad';
  box.className = `uplink ${cls}`;
  box.dataset.state = state.refused ? 'refused' : state.connected ? 'connected' : 'down';
  const head = state.refused
    ? L('Trung tâm tỉnh TỪ CHỐI dữ liệu của máy này', 'The province hub REFUSES this lobby')
    : state.connected
      ? L('Đã kết nối trung tâm tỉnh', 'Connected to the province hub')
      : L('Mất kết nối trung tâm tỉnh — quầy vẫn hoạt động bình thường', 'Province hub unreachable — the lobby works as usual');
  const behind = state.behind > 0
    ? L(`, còn ${state.behind} sự kiện chưa gửi`, `, ${state.behind} events not sent yet`)
    : L(', đã gửi đủ', ', up to date');
  // The time as a number: shown in the centre's offset (the string is in UTC).
  const at = state.last_ok_at ? fmtTime(Date.parse(state.last_ok_at), true) : '';
  const last = at ? L(` · lần cuối ${at}`, ` · last ${at}`) : '';
  const err = state.last_error ? ` · ${esc(state.last_error.code)}: ${esc(state.last_error.message)}` : '';
  box.innerHTML = `<b>${esc(head)}</b>${esc(behind)}${esc(last)}<span class="muted">${err}</span>`;
}

async function load() {
  try { state = await api('GET', '/api/v1/uplink', undefined, { token: tok }); } catch { state = null; }
  render();
}

/** Shows the uplink line for the dashboard's live client. */
export function attachUplink(client, token) {
  tok = token;
  client.on('snapshot', load);
  client.on('change', () => { clearTimeout(timer); timer = setTimeout(load, 2000); });
  setInterval(load, 60000);
  onLang(render);
}
