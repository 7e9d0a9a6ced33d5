// The supervisor's sign-in, shared by the dashboard (/supervisor) and the voice studio
// (/voice): a token in the URL or in this tab's session, else the login form (staff id and
// PIN, or a supervisor device token); only a supervisor gets in. The pages' markup has the
// same #login, #login-form, #tok, #staff, #pin, #login-err, #app and #logout elements.
import { api, L, $ } from '/assets/client.js';

export const KEY = 'xephang.supervisor';

/** The token this page starts with: `?token=`, else the one this tab signed in with. */
export function initialToken() {
  return new URLSearchParams(location.search).get('token') || sessionStorage.getItem(KEY) || '';
}

/** Shows the login form (with `msg` under it) instead of the page. */
export function showLogin(msg) {
  $('#app').hidden = true;
  $('#login').hidden = false;
  $('#login-err').textContent = msg || '';
}

/** Forgets the tab's token and shows the login form: the token stopped working. */
export function signedOut(msg) {
  sessionStorage.removeItem(KEY);
  showLogin(msg);
}

/**
 * Wires the login form and the logout button: `onSignedIn(token)` once a supervisor's token
 * is known; logging out goes back to `home`.
 */
export function wireSignIn({ home, onSignedIn }) {
  $('#login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    $('#login-err').textContent = '';
    try {
      let t = $('#tok').value.trim();
      if (!t) {
        const r = await api('POST', '/api/v1/login', { staff: $('#staff').value.trim(), pin: $('#pin').value }, { token: '' });
        t = r.token;
      }
      const me = await api('GET', '/api/v1/me', undefined, { token: t });
      if (me.role !== 'supervisor') throw new Error(L('Tài khoản này không phải giám sát viên.', 'This account is not a supervisor.'));
      sessionStorage.setItem(KEY, t);
      onSignedIn(t);
    } catch (err) {
      $('#login-err').textContent = err.message;
    }
  });
  $('#logout').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    location.href = home;
  });
}
