// xephang keyboard and screen-reader helpers for the screens a citizen or a clerk works with
// (kiosk, rating tablet, clerk terminal, phone page), loaded by their HTML next to the page's
// own module so the pages' logic stays where it is:
//  - arrow keys move the focus between the buttons of a `[data-arrows]` group (the kiosk's
//    services, priorities and keypad, the rating faces, the clerk's actions), to the nearest
//    button in that direction, so a grid works like a keypad;
//  - a modal dialog (`role="dialog"|"alertdialog"` with `aria-modal="true"`) shown by removing
//    its `hidden` takes the focus (its `[data-autofocus]` element, or the dialog's element
//    with tabindex="-1", or the dialog), makes the rest of the page inert (no Tab out of it,
//    nothing behind it read), and gives the focus back to where the keyboard was when it is
//    hidden again (once that button is enabled again, if a request disabled it meanwhile).

const MODAL = '[role="dialog"][aria-modal="true"], [role="alertdialog"][aria-modal="true"]';
const KEEP = '#xp-banner, #xp-toasts, script'; // never made inert: the link-lost banner, toasts
const ARROWS = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };

// ---------------------------------------------------------------- arrow keys in groups
const shown = (el) => el.getClientRects().length > 0;

/** The button of `items` nearest to `from` in direction (dx, dy), preferring the same row or
 * column (overlapping extent), or null. */
function nearest(from, items, [dx, dy]) {
  const a = from.getBoundingClientRect();
  const ax = a.left + a.width / 2, ay = a.top + a.height / 2;
  let best = null, bestScore = Infinity;
  for (const el of items) {
    if (el === from) continue;
    const b = el.getBoundingClientRect();
    const bx = b.left + b.width / 2, by = b.top + b.height / 2;
    const along = dx ? (bx - ax) * dx : (by - ay) * dy;      // distance in the direction
    if (along <= 2) continue;
    const overlap = dx ? Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top)
      : Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const across = dx ? Math.abs(by - ay) : Math.abs(bx - ax); // distance sideways
    const score = (overlap > 0 ? 0 : 1e6) + along + across * 2;
    if (score < bestScore) { best = el; bestScore = score; }
  }
  return best;
}

document.addEventListener('keydown', (e) => {
  const dir = ARROWS[e.key];
  if (!dir || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
  const from = document.activeElement;
  const group = from?.closest?.('[data-arrows]');
  if (!group || !from.matches('button, a[href]')) return;
  const items = [...group.querySelectorAll('button:not(:disabled), a[href]')].filter(shown);
  const next = nearest(from, items, dir);
  if (!next) return;
  e.preventDefault();
  next.focus();
  next.scrollIntoView?.({ block: 'nearest', inline: 'nearest' });
});

// ---------------------------------------------------------------- modal dialogs
let lastFocus = null; // the last element focused with the keyboard outside any dialog
let current = null;   // the dialog that has the focus now
document.addEventListener('focusin', (e) => {
  if (!(e.target instanceof Element) || e.target.closest(MODAL)) return;
  // Only a keyboard user's place is given back: a tapped button keeps no focus ring (and
  // the clerk's Space stays "next").
  lastFocus = e.target.matches(':focus-visible') ? e.target : null;
});

/** Focuses `el` again unless the focus has gone somewhere else meanwhile (anywhere but the
 * page's body or the dialog just closed, which the browser has not blurred yet). */
function giveBack(el, closed) {
  if (!el || !el.isConnected || el === document.body) return;
  const idle = () => !document.activeElement || document.activeElement === document.body
    || closed.contains(document.activeElement);
  if (!el.disabled) { if (idle()) el.focus({ preventScroll: true }); return; }
  // A request disabled the button (the kiosk's quiet time): focus it when it is back.
  const mo = new MutationObserver(() => {
    if (el.disabled) return;
    mo.disconnect();
    if (idle() && el.isConnected) el.focus({ preventScroll: true });
  });
  mo.observe(el, { attributes: true, attributeFilter: ['disabled'] });
  setTimeout(() => mo.disconnect(), 10000);
}

function sync() {
  const open = [...document.querySelectorAll(MODAL)].filter((d) => !d.hidden && !d.closest('[hidden]'));
  const top = open[open.length - 1] || null;
  for (const el of document.body.children) {
    if (el.matches(KEEP)) continue;
    const inert = !!top && !el.contains(top);
    if (el.inert !== inert) el.inert = inert;
  }
  if (top === current) return;
  const was = current;
  current = top;
  if (top) {
    if (!top.contains(document.activeElement)) {
      const target = top.querySelector('[data-autofocus]:not([hidden]):not(:disabled)') || top.querySelector('[tabindex="-1"]') || top;
      if (target === top && !top.hasAttribute('tabindex')) top.setAttribute('tabindex', '-1');
      target.focus({ preventScroll: true });
    }
  } else if (was) {
    giveBack(lastFocus, was);
  }
}

new MutationObserver(sync).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['hidden'] });
sync();
