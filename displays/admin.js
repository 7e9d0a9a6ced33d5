// xephang administration page (admin.html): signs in like the dashboard (supervisor-session.js),
// shows one section at a time from the side menu (the address keeps it: /admin#devices), and
// keeps the centre's current configuration (GET /api/v1/state: services, counters, notice)
// for the sections. Each section is its own module (admin-staff.js, admin-devices.js,
// admin-counters.js, admin-services.js, admin-notice.js, admin-audit.js) with load() and
// render(). The socket (supervisor audience) tells when any supervisor changed something:
// the shown section and the configuration are fetched again then.
import { connect, api as rawApi, L, i18n, applyStatic, onLang, langToggle, toast, $, $$ } from '/assets/client.js';
import { initialToken, showLogin, signedOut, wireSignIn } from '/assets/supervisor-session.js';
import { session } from '/assets/admin-forms.js';
import { staffSection } from '/assets/admin-staff.js';
import { devicesSection } from '/assets/admin-devices.js';
import { countersSection } from '/assets/admin-counters.js';
import { servicesSection } from '/assets/admin-services.js';
import { noticeSection } from '/assets/admin-notice.js';
import { auditSection } from '/assets/admin-audit.js';

/** What the sections read: the centre as GET /api/v1/state gives it. */
const ctx = {
  state: null,
  async reloadState() {
    ctx.state = await rawApi('GET', '/api/v1/state', undefined, { token: session.token });
    const c = ctx.state.centre || {};
    $('#centre').textContent = L(c.name, c.name_en || c.name) || '';
    return ctx.state;
  },
};

const SECTIONS = {
  staff: staffSection(ctx),
  devices: devicesSection(ctx),
  counters: countersSection(ctx),
  services: servicesSection(ctx),
  notice: noticeSection(ctx),
  audit: auditSection(ctx),
};
let current = null;
let refreshTimer = 0;

wireSignIn({ home: '/admin', onSignedIn: (t) => { session.token = t; start(); } });

async function start() {
  try {
    await ctx.reloadState();
    const me = await rawApi('GET', '/api/v1/me', undefined, { token: session.token });
    if (me.role !== 'supervisor') { signedOut(L('Tài khoản này không phải giám sát viên.', 'This account is not a supervisor.')); return; }
  } catch (err) {
    if (err.status === 401 || err.status === 403) { signedOut(err.message); return; }
    toast(err.message);
  }
  $('#login').hidden = true;
  $('#app').hidden = false;
  const client = connect({ token: session.token, page: 'admin' });
  client.on('revoked', () => signedOut(L('Quyền truy cập này đã bị thu hồi hoặc tài khoản đã bị khóa.',
    'This access was revoked or the account locked.')));
  // Another supervisor's change (or this page's own): fetch the shown section again.
  client.on('event', (ev) => {
    if (!isAdminChange(ev)) return;
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => refresh(false), 300);
  });
  show(sectionOfHash());
}

/** An event frame about the configuration (not a ticket's life). */
function isAdminChange(ev) {
  return !!ev && (ev.change !== undefined || /^(config|admin)/.test(ev.type || ''));
}

function sectionOfHash() {
  const h = location.hash.replace('#', '');
  return SECTIONS[h] ? h : 'staff';
}

async function refresh(withSpinner = true) {
  const sec = SECTIONS[current];
  if (!sec) return;
  try {
    await ctx.reloadState();
    await sec.load(withSpinner);
  } catch (err) {
    if (err.status === 401) { signedOut(err.message); return; }
    toast(err.message);
  }
}

function show(name) {
  const changed = name !== current;
  current = name;
  for (const a of $$('.side a')) {
    const on = a.dataset.sec === name;
    a.classList.toggle('on', on);
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  for (const s of $$('.sec')) s.hidden = s.id !== `sec-${name}`;
  for (const s of Object.values(SECTIONS)) s.visible?.(false);
  SECTIONS[name].visible?.(true);
  if (changed) refresh(true);
}

window.addEventListener('hashchange', () => { if (!$('#app').hidden) show(sectionOfHash()); });

langToggle($('#lang'));
onLang(() => {
  const c = ctx.state?.centre || {};
  $('#centre').textContent = L(c.name, c.name_en || c.name) || '';
  SECTIONS[current]?.render();
});
applyStatic();
document.documentElement.lang = i18n.lang;
session.token = initialToken();
if (session.token) start(); else showLogin();
