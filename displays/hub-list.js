// xephang province hub, the live list link shared by the hub's pages (hub.html, province.html):
// a WebSocket (/ws/centres, or /ws/province?token=…) that sends {"type":"centres",centres:[…]}
// at once and whenever a centre changes; reconnects forever with capped backoff and jitter,
// and says when the link is down (never stale data silently).
import { bi, $ } from '/assets/client.js';

export function followList(path, onList) {
  let attempt = 0;
  let downTimer = null;
  const banner = (on) => {
    let el = $('#xp-banner');
    if (!on) { el?.remove(); document.body.classList.remove('xp-offline'); return; }
    if (!el) {
      el = document.createElement('div');
      el.id = 'xp-banner';
      el.setAttribute('role', 'alert');
      document.body.appendChild(el);
    }
    el.innerHTML = bi('Mất kết nối — đang kết nối lại…', 'Connection lost — reconnecting…');
    document.body.classList.add('xp-offline');
  };
  const open = () => {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${proto}://${location.host}${path}`);
    ws.onmessage = (m) => {
      clearTimeout(downTimer); downTimer = null;
      banner(false);
      attempt = 0;
      try {
        const f = JSON.parse(m.data);
        if (f.type === 'centres') onList(f.centres || []);
      } catch (e) { console.error(e); }
    };
    ws.onclose = () => {
      if (!downTimer) downTimer = setTimeout(() => banner(true), 3000);
      const base = Math.min(10000, 500 * 2 ** attempt);
      attempt = Math.min(attempt + 1, 10);
      setTimeout(open, base / 2 + Math.random() * base / 2);
    };
  };
  open();
}
