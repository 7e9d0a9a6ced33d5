// xephang: a kiosk or a rating tablet opened without its device token, or with a wrong one,
// says so on the whole screen ("Thiết bị chưa được cấp mã — liên hệ bộ phận CNTT") instead of
// looking normal until a citizen taps, or showing "Mất kết nối" forever (issue 14 item 14).
// It asks GET /api/v1/me with the page's ?token= and compares the role with the page: /kiosk
// needs a kiosk token, /rating/{n} the rating token of counter n. It checks again every 30 s
// (the token may be added to the config and the daemon restarted) and goes away once right.
import { api, token, esc, bi, onLang, pathParam } from '/assets/client.js';

const page = location.pathname.startsWith('/rating') ? 'rating' : 'kiosk';
const counter = page === 'rating' ? Number(pathParam()) : null;
let overlay = null;
let reason = null;

/** What is wrong with this device's token, as [vi, en], or null when it is right. */
async function problem() {
  if (!token) return ['Địa chỉ trang không có mã thiết bị (?token=…).', 'The page address has no device token (?token=…).'];
  let me;
  try {
    me = await api('GET', '/api/v1/me', undefined, { token });
  } catch (err) {
    if (err.status === 401) return ['Mã thiết bị không đúng hoặc đã bị thu hồi.', 'The device token is wrong or was revoked.'];
    return null; // the daemon is unreachable: the page's own banner says so
  }
  if (page === 'kiosk' && me.role !== 'kiosk' && me.role !== 'supervisor') {
    return [`Mã này là của thiết bị loại “${me.role}”, không phải máy lấy số.`, `This token is for a “${me.role}” device, not a kiosk.`];
  }
  if (page === 'rating' && me.role !== 'supervisor' && (me.role !== 'rating' || me.counter !== counter)) {
    return me.role === 'rating'
      ? [`Mã này là của máy đánh giá quầy ${me.counter}, không phải quầy ${counter}.`, `This token is for counter ${me.counter}'s rating tablet, not counter ${counter}'s.`]
      : [`Mã này là của thiết bị loại “${me.role}”, không phải máy đánh giá.`, `This token is for a “${me.role}” device, not a rating tablet.`];
  }
  return null;
}

function render() {
  if (!reason) { overlay?.remove(); overlay = null; return; }
  if (!overlay) {
    overlay = document.createElement('div');
    overlay.id = 'device-unset';
    overlay.setAttribute('role', 'alert');
    document.body.appendChild(overlay);
  }
  const what = page === 'kiosk' ? ['Máy lấy số', 'Ticket kiosk'] : [`Máy đánh giá — quầy ${counter}`, `Rating tablet — counter ${counter}`];
  overlay.innerHTML = `<div class="du-card">
    <div class="du-icon" aria-hidden="true">!</div>
    <h1>${bi('Thiết bị chưa được cấp mã — liên hệ bộ phận CNTT', 'This device has no valid token — contact the IT desk')}</h1>
    <p class="du-what">${bi(...what)}</p>
    <p class="du-why">${bi(...reason)}</p>
    <p class="du-hint">${esc(location.origin + location.pathname)}?token=…</p></div>`;
}

async function check() {
  reason = await problem();
  render();
}

const style = document.createElement('link');
style.rel = 'stylesheet';
style.href = '/assets/device-check.css';
document.head.appendChild(style);
onLang(render);
check();
setInterval(check, 30000);
