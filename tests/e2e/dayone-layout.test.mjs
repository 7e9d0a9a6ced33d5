// Day one at a real centre (issue 14 item 15): the lobby board and the kiosk at 1920×1080 and
// 1080×1920, in Vietnamese and English, with 6 and with 12 services and long waits, in
// Debian's chromium. The test fails when any text element overflows its box or is clipped by
// a box that does not scroll; a list that scrolls must say so on screen. It also checks that
// the board's big "now serving" drops a finished ticket and that the English board shows
// `notice_en`. Screenshots: target/e2e/dayone-layout-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  startDaemon, stopDaemon, launch, openPage, shot, until, apiCall, freshDataDir, removeDir, TOKENS,
  offsetToLocalHour, REPO,
} from './lib.mjs';

let browser;
const log = [];
const errors = [];
const dirs = [];
const daemons = [];

const EXTRA = [
  ['xaydung', 'Xây dựng – Cấp giấy phép xây dựng nhà ở riêng lẻ', 'Construction – Building permits for private houses'],
  ['tuphap', 'Tư pháp – Lý lịch tư pháp', 'Justice – Criminal record certificates'],
  ['laodong', 'Lao động – Thương binh và Xã hội', 'Labour, Invalids and Social Affairs'],
  ['taichinh', 'Tài chính – Kế hoạch và Đầu tư', 'Finance, Planning and Investment'],
  ['tainguyen', 'Tài nguyên và Môi trường', 'Natural Resources and Environment'],
  ['yte', 'Y tế – Hành nghề khám bệnh, chữa bệnh', 'Health – Medical practice licences'],
];

/** The demo centre with `n` walk-in services (6: the demo's; 12: six more, long names). */
function centre(n, dir) {
  let text = readFileSync(path.join(REPO, 'config/default.toml'), 'utf8');
  if (n > 6) {
    const more = EXTRA.slice(0, n - 6).map(([id, name, en], i) => `
[[services]]
id = "${id}"
name = "${name}"
name_en = "${en}"
first = ${8001 + i * 100}
last = ${8099 + i * 100}
target_wait_min = 15
service_min = 10
`).join('');
    text = text.replace('\n[[counters]]', `${more}\n[[counters]]`);
  }
  const file = path.join(dir, `centre-${n}.toml`);
  writeFileSync(file, text);
  return file;
}

async function start(n) {
  const dir = freshDataDir();
  dirs.push(dir);
  const d = await startDaemon(dir, 0, { config: centre(n, dir), env: { XEPHANG_TEST_CLOCK_OFFSET_S: String(offsetToLocalHour(9)) } });
  daemons.push(d);
  // One clerk at counter 3 (Đất đai) with a long queue: a wait of more than an hour.
  const tok = (await apiCall(d.origin, 'POST', '/api/v1/login', { staff: 'nv03', pin: '1234', counter: 3 })).data.token;
  for (let i = 0; i < 14; i += 1) await apiCall(d.origin, 'POST', '/api/v1/tickets', { service: 'datdai' }, TOKENS.kiosk);
  const tok1 = (await apiCall(d.origin, 'POST', '/api/v1/login', { staff: 'nv01', pin: '1234', counter: 1 })).data.token;
  await apiCall(d.origin, 'POST', '/api/v1/tickets', { service: 'hotich' }, TOKENS.kiosk);
  await apiCall(d.origin, 'POST', '/api/v1/counters/3/next', undefined, tok);
  return { d, tok, tok1 };
}

before(async () => { browser = await launch(); });
after(async () => {
  await browser?.close();
  for (const d of daemons) await stopDaemon(d);
  for (const dir of dirs) removeDir(dir);
});

/** Text elements that overflow their box or are cut by a box that does not scroll. */
function overflows() {
  const bad = [];
  const name = (el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}`;
  const vw = document.documentElement.clientWidth;
  const vh = document.documentElement.clientHeight;
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('[hidden], .sr-only, .marquee, #device-unset, #xp-banner, .overlay, .modal, #audio-unlock')) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden' || Number(cs.opacity) === 0) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    const text = el.textContent.trim().slice(0, 40);
    if (cs.display !== 'inline' && el.scrollWidth > el.clientWidth + 1) bad.push(`${name(el)} wider than its box: "${text}" (${el.scrollWidth} > ${el.clientWidth})`);
    // Clipped in its own box (a line clamp, overflow hidden) without a way to scroll.
    if (cs.display !== 'inline' && cs.overflowY !== 'visible' && !/auto|scroll/.test(cs.overflowY)
      && el.scrollHeight > el.clientHeight + 1) bad.push(`${name(el)} cut in its own box: "${text}" (${el.scrollHeight} > ${el.clientHeight})`);
    let scroller = null;
    for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      const as = getComputedStyle(a);
      if (as.overflowX === 'visible' && as.overflowY === 'visible') continue;
      const ar = a.getBoundingClientRect();
      if (r.right > ar.right + 1 || r.left < ar.left - 1) bad.push(`${name(el)} cut at the side by ${name(a)}: "${text}"`);
      const scrolls = /auto|scroll/.test(as.overflowY) && a.scrollHeight > a.clientHeight + 1;
      if (scrolls) { scroller = a; break; }
      if (r.bottom > ar.bottom + 1 || r.top < ar.top - 1) bad.push(`${name(el)} cut at the bottom by ${name(a)}: "${text}"`);
    }
    if (!scroller && (r.right > vw + 1 || r.bottom > vh + 1)) bad.push(`${name(el)} off the screen: "${text}"`);
  }
  // A list that scrolls says so (a visible hint).
  for (const a of document.querySelectorAll('body *')) {
    const as = getComputedStyle(a);
    if (!/auto|scroll/.test(as.overflowY) || a.scrollHeight <= a.clientHeight + 1 || a.closest('[hidden]')) continue;
    if (a.scrollTop + a.clientHeight >= a.scrollHeight - 1) continue; // scrolled to the end
    const hint = document.querySelector(`[data-scroll-hint-for="${a.id}"]`);
    if (!hint || hint.hidden || getComputedStyle(hint).display === 'none') bad.push(`${name(a)} scrolls without a visible hint`);
  }
  return [...new Set(bad)];
}

for (const n of [6, 12]) {
  test(`board and kiosk with ${n} services: no text overflows, at both sizes and languages`, async () => {
    const { d } = await start(n);
    const problems = [];
    for (const [w, h] of [[1920, 1080], [1080, 1920]]) {
      for (const lang of ['vi', 'en']) {
        for (const pg of ['board', 'kiosk']) {
          const page = await openPage(browser, { width: w, height: h, log, errors, name: `${pg}-${n}-${lang}-${w}` });
          const tok = pg === 'board' ? TOKENS.display : TOKENS.kiosk;
          await page.goto(`${d.origin}/${pg}?token=${tok}&lang=${lang}`);
          await until(page, () => document.querySelectorAll('[data-service]').length > 0);
          await page.waitForTimeout(400);
          await page.evaluate(() => document.fonts.ready);
          const bad = await page.evaluate(overflows);
          problems.push(...bad.map((b) => `${pg} ${w}×${h} ${lang} ${n}: ${b}`));
          await shot(page, `dayone-layout-${pg}-${n}svc-${lang}-${w}x${h}.png`);
          await page.close();
        }
      }
    }
    assert.deepEqual(problems, []);
  });
}

test('the big "now serving" drops a finished ticket; the English board shows notice_en', async () => {
  const { d, tok } = await start(6);
  const page = await openPage(browser, { width: 1920, height: 1080, log, errors, name: 'board-now' });
  await page.goto(`${d.origin}/board?token=${TOKENS.display}&lang=en`);
  await until(page, () => document.querySelector('#now-number').textContent.trim().length > 1);
  const called = await page.textContent('#now-number');
  assert.match(await page.textContent('#notice'), /Please take a number and wait/);
  await apiCall(d.origin, 'POST', '/api/v1/counters/3/finish', undefined, tok);
  await until(page, (num) => document.querySelector('#now-number').textContent !== num, called, 8000);
  assert.equal((await page.textContent('#now-number')).trim(), '');
  await shot(page, 'dayone-layout-board-finished-en-1920x1080.png');
  await page.close();
});

test('no page errors', () => {
  assert.deepEqual(errors, []);
});
