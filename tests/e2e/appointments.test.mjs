// End-to-end acceptance of issue 8 in Debian's chromium against a real daemon on a test clock
// (XEPHANG_TEST_CLOCK_OFFSET_S, test only): the daemon starts at 09:00 on a fixed day, and is
// restarted at 10:01 the same day to reach the booked slot and pass another's grace period.
//
// Book a slot on /book (service, day, time, name, phone → a 6-character code and its QR) →
// check in at the kiosk with the code (typed like a scanner does): early, so a walk-in is
// called first → a reused code is refused (already_checked_in) and a full slot too (slot_full,
// and other /book pages grey it out live) → at 10:01, "next" calls the appointment before
// the earlier walk-in → a late arrival past the grace gets a normal ticket → the supervisor
// sees the bookings and check-ins. Then a phone takes numbers from home (/t/new), is refused
// a third (rate_limited), follows its ticket to the call, and rates the visit with a
// call-back number that reaches the call-back CSV. Screenshots go to target/e2e/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  startDaemon, stopDaemon, launch, openPage, shot, until, decodeQr, apiCall, foreignRequests,
  freshDataDir, removeDir, demoStaffToml, TOKENS,
} from './lib.mjs';

const DAY = '2031-05-05';
const at = (hm) => `${DAY}T${hm}:00+07:00`;
const NAME = 'Phạm Thị Hẹn';
const PHONE = '0912 345 678';

const CONFIG = `[centre]
name = "Trung tâm Phục vụ hành chính công (kiểm thử lịch hẹn)"
name_en = "Public Service Centre (appointments test)"
timezone = "Asia/Ho_Chi_Minh"

[[services]]
id = "hen"
name = "Tiếp nhận hồ sơ"
name_en = "Applications"
first = 1001
last = 1999
[services.appointments]
slot_min = 30
capacity = 1
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
hours = ["00:00-23:59"]
grace_min = 15

[[services]]
id = "tuxa"
name = "Trả kết quả"
name_en = "Collection of results"
first = 2001
last = 2999
remote = true

[[counters]]
id = 1
services = ["hen"]

[[counters]]
id = 2
services = ["tuxa"]

${demoStaffToml()}

[[devices]]
name = "TV"
role = "display"
token = "${TOKENS.display}"

[[devices]]
name = "Kiosk"
role = "kiosk"
token = "${TOKENS.kiosk}"

[[devices]]
name = "Giám sát"
role = "supervisor"
token = "${TOKENS.supervisor}"
`;

let daemon;
let browser;
let dataDir;
let config;
const log = [];
const errors = [];
const pages = {};
const s = {}; // what the steps hand on: codes, tickets, tokens

/** The offset that puts the daemon's clock at `local` (RFC 3339). */
const clockAt = (local) => String(Math.round((Date.parse(local) - Date.now()) / 1000));
const start = (local, port = 0) => startDaemon(dataDir, port, {
  config, env: { XEPHANG_TEST_CLOCK_OFFSET_S: clockAt(local) },
});
const call = (method, p, body, tok) => apiCall(daemon.origin, method, p, body, tok);

before(async () => {
  dataDir = freshDataDir();
  config = path.join(dataDir, 'centre.toml');
  writeFileSync(config, CONFIG);
  daemon = await start(at('09:00'));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stopDaemon(daemon);
  removeDir(dataDir);
});

const open = async (name, width, height, url) => {
  const page = await openPage(browser, { width, height, log, errors, name });
  await page.goto(daemon.origin + url);
  pages[name] = page;
  return page;
};

/** Chooses the service and the slot on a /book page. */
async function choose(page, start) {
  await page.click('#services [data-service="hen"]');
  await until(page, (d) => document.querySelector(`#days [data-day="${d}"]`)?.getAttribute('aria-pressed') === 'true', DAY);
  await page.click(`#slots [data-start="${start}"]`);
  await until(page, () => !document.querySelector('#step-who').hidden);
}

test('book a slot on /book: a 6-character code and its QR; the slot fills up live', async () => {
  const r1 = await call('POST', '/api/v1/tickets', { service: 'hen' }, TOKENS.kiosk);
  const r2 = await call('POST', '/api/v1/tickets', { service: 'hen' }, TOKENS.kiosk);
  assert.equal(r1.status, 201);
  s.walkIns = [r1.data, r2.data];

  const book = await open('book', 390, 844, '/book');
  const other = await open('book-other', 390, 844, '/book');
  await until(book, () => document.querySelector('#services [data-service="hen"]'));
  await shot(book, 'book-390x844-start.png');
  await choose(other, at('10:00'));
  await choose(book, at('10:00'));
  await book.fill('#name', NAME);
  await book.fill('#phone', PHONE);
  await shot(book, 'book-390x844-form.png', { fullPage: true });
  const answer = book.waitForResponse((r) => r.url().endsWith('/api/v1/bookings') && r.request().method() === 'POST');
  await book.click('#book-btn');
  const res = await answer;
  assert.equal(res.status(), 201);
  s.booking = await res.json();
  assert.match(s.booking.code, /^[2-9A-HJKMNP-Z]{6}$/);
  assert.equal(s.booking.start, at('10:00'));
  await until(book, (c) => !document.querySelector('#done').hidden && document.querySelector('#code').textContent === c, s.booking.code);
  await until(book, () => { const i = document.querySelector('#qr'); return i.complete && i.naturalWidth > 0; });
  assert.equal(decodeQr(await book.locator('#qr').screenshot()), s.booking.code);
  await shot(book, 'book-390x844-code.png', { fullPage: true });

  // The other page greys the slot out by itself (capacity 1), and the API says slot_full.
  await until(other, (st) => document.querySelector(`#slots [data-start="${st}"]`)?.disabled === true
    && document.querySelector('#step-who').hidden, at('10:00'));
  const full = await call('POST', '/api/v1/bookings', { service: 'hen', start: at('10:00') });
  assert.equal(full.status, 409);
  assert.equal(full.data.error.code, 'slot_full');

  // A second booking, at 09:30, for the late arrival below.
  await book.click('#again');
  await choose(book, at('09:30'));
  const second = book.waitForResponse((r) => r.url().endsWith('/api/v1/bookings') && r.request().method() === 'POST');
  await book.click('#book-btn');
  s.late = await (await second).json();
  await until(book, (c) => document.querySelector('#code').textContent === c, s.late.code);
  await until(book, () => document.querySelectorAll('#mine-list li').length === 2);
});

test('check in at the kiosk with the code: early, so a walk-in goes first; a reused code is refused', async () => {
  const kiosk = await open('kiosk', 1080, 1920, `/kiosk?token=${TOKENS.kiosk}`);
  await until(kiosk, () => !document.querySelector('#booking').hidden);
  // A scanner types the code and Enter.
  const answer = kiosk.waitForResponse((r) => r.url().endsWith('/api/v1/checkins'));
  await kiosk.keyboard.type(s.booking.code.toLowerCase());
  await kiosk.keyboard.press('Enter');
  const res = await answer;
  assert.equal(res.status(), 201);
  s.appointment = await res.json();
  assert.equal(s.appointment.priority, 'appointment');
  await until(kiosk, (n) => !document.querySelector('#issued').hidden && document.querySelector('#t-number').textContent === n, s.appointment.number);
  await until(kiosk, (n) => window.__prints.includes(n), s.appointment.number);
  assert.match(await kiosk.textContent('#p-prio'), /Lịch hẹn/);
  await shot(kiosk, 'kiosk-1080x1920-checked-in.png');
  await kiosk.click('#t-done');

  const login = await call('POST', '/api/v1/login', { staff: 'nv01', pin: '1234', counter: 1 });
  assert.equal(login.status, 200);
  s.clerk = login.data.token;
  const first = await call('POST', '/api/v1/counters/1/next', undefined, s.clerk);
  assert.equal(first.data.ticket.id, s.walkIns[0].id, 'before its slot the appointment waits');

  // The same code again, on the on-screen keys: already used.
  await until(kiosk, () => !document.querySelector('#booking').disabled);
  await kiosk.click('#booking');
  for (const k of s.booking.code) await kiosk.click(`#keys [data-k="${k}"]`);
  await kiosk.click('#checkin-ok');
  await until(kiosk, () => document.querySelector('#checkin-err').dataset.code === 'already_checked_in');
  assert.match(await kiosk.textContent('#checkin-err'), /đã được sử dụng/);
  await shot(kiosk, 'kiosk-1080x1920-code-used.png');
  await kiosk.click('#checkin-cancel');
});

test('once the slot begins the appointment is called before earlier walk-ins; a late arrival gets a normal ticket', async () => {
  const { port } = daemon;
  await stopDaemon(daemon);
  daemon = await start(at('10:01'), port);

  const next = await call('POST', '/api/v1/counters/1/next', undefined, s.clerk);
  assert.equal(next.status, 200, JSON.stringify(next.data));
  assert.equal(next.data.ticket.id, s.appointment.id, 'the appointment before the walk-in issued at 09:00');
  assert.ok(Date.parse(s.walkIns[1].issued_at) < Date.parse(s.appointment.issued_at));

  // 10:01 is past 09:30 + 15 minutes' grace: a normal ticket.
  const kiosk = pages.kiosk;
  await until(kiosk, () => !document.querySelector('#booking').disabled, undefined, 15000);
  const answer = kiosk.waitForResponse((r) => r.url().endsWith('/api/v1/checkins'));
  await kiosk.keyboard.type(s.late.code);
  await kiosk.keyboard.press('Enter');
  const res = await answer;
  assert.equal(res.status(), 201);
  const late = await res.json();
  assert.equal(late.priority, null);
  await until(kiosk, (n) => window.__prints.includes(n), late.number);
  assert.equal((await kiosk.textContent('#p-prio')).trim(), '');
  const after = await call('POST', '/api/v1/counters/1/next', undefined, s.clerk);
  assert.equal(after.data.ticket.id, s.walkIns[1].id, 'the late arrival queues behind the walk-in');
  const last = await call('POST', '/api/v1/counters/1/next', undefined, s.clerk);
  assert.equal(last.data.ticket.id, late.id);

  // The supervisor sees both bookings, who came, and the name and phone left.
  const sup = await open('supervisor', 1920, 1080, `/supervisor?token=${TOKENS.supervisor}`);
  await until(sup, (c) => document.querySelector(`#bookings tr[data-code="${c}"] .arrived b`), s.late.code, 10000);
  const row = await sup.textContent(`#bookings tr[data-code="${s.booking.code}"]`);
  assert.match(row, new RegExp(s.appointment.number));
  assert.match(row, new RegExp(NAME));
  assert.match(row, /0912345678/);
  assert.match(await sup.textContent(`#bookings tr[data-code="${s.late.code}"]`), /muộn/);
  assert.match(await sup.textContent('#bookings-sum'), /2 lịch hẹn · 2 đã đến/);
  await shot(sup, 'supervisor-1920x1080-bookings.png');
});

test('a phone takes numbers from home, is refused a third, follows the call and rates the visit', async () => {
  const phone = await open('phone', 390, 844, '/t/new');
  const take = async () => {
    await until(phone, () => document.querySelector('#remote-services [data-service="tuxa"]:not(:disabled)')
      && document.querySelector('#remote-left').textContent);
    const answer = phone.waitForResponse((r) => r.url().endsWith('/api/v1/remote-tickets') && r.request().method() === 'POST');
    await phone.click('#remote-services [data-service="tuxa"]');
    return answer;
  };
  await until(phone, () => document.querySelector('#remote-services [data-service="tuxa"]'));
  await shot(phone, 'phone-390x844-remote.png');
  // The page goes to the new ticket's own page (/t/{id}) and follows it like a kiosk ticket.
  const landed = async () => {
    await phone.waitForURL(/\/t\/[0-9A-HJKMNP-TV-Z]{26}$/);
    const id = new URL(phone.url()).pathname.split('/').pop();
    const t = (await call('GET', `/api/v1/tickets/${id}`)).data;
    await until(phone, (n) => document.querySelector('#number')?.textContent === n, t.number);
    return t;
  };
  const res1 = await take();
  assert.equal(res1.status(), 201);
  const t1 = await landed();
  assert.equal(t1.remote, true);
  assert.equal(t1.status, 'waiting');
  await shot(phone, 'phone-390x844-remote-ticket.png');
  await phone.goto(`${daemon.origin}/t/new`);
  assert.equal((await take()).status(), 201);
  await landed();
  await phone.goto(`${daemon.origin}/t/new`);
  await until(phone, (n) => document.querySelectorAll('#remote-mine-list a').length === n, 2);
  const res3 = await take();
  assert.equal(res3.status(), 429);
  await until(phone, () => document.querySelector('#remote-err').dataset.code === 'rate_limited');
  await shot(phone, 'phone-390x844-remote-refused.png');

  // Called in its turn: the page of the first ticket shows it.
  await phone.goto(`${daemon.origin}/t/${t1.id}`);
  await until(phone, (n) => document.querySelector('#number')?.textContent === n, t1.number);
  const login = await call('POST', '/api/v1/login', { staff: 'nv02', pin: '1234', counter: 2 });
  const clerk = login.data.token;
  const called = await call('POST', '/api/v1/counters/2/next', undefined, clerk);
  assert.equal(called.data.ticket.id, t1.id);
  await until(phone, () => !document.querySelector('#called').hidden, undefined, 3000);
  await phone.click('#called-ok');

  // Served: the survey, with a comment and a call-back number.
  await call('POST', '/api/v1/counters/2/finish', undefined, clerk);
  await until(phone, () => !document.querySelector('#rate').hidden);
  await phone.click('#faces button[data-score="3"]');
  await until(phone, () => !document.querySelector('#rate-more').hidden);
  await phone.fill('#rate-comment', 'Nhanh, chu đáo');
  await phone.fill('#rate-phone', '0988 777 666');
  const rated = phone.waitForResponse((r) => r.url().endsWith('/api/v1/ratings'));
  await phone.click('#rate-send');
  assert.equal((await rated).status(), 201);
  await until(phone, () => document.querySelector('#rate-msg').textContent.includes('Cảm ơn'));
  await shot(phone, 'phone-390x844-rated.png', { fullPage: true });

  const csv = await fetch(`${daemon.origin}/api/v1/reports/callbacks.csv`, { headers: { authorization: `Bearer ${TOKENS.supervisor}` } });
  const row = (await csv.text()).split('\n').find((l) => l.includes(`,${t1.number},`));
  assert.ok(row, 'the served remote ticket is in the call-back list');
  assert.match(row, /0988777666,dien_thoai\/phone_page,3,Hài lòng,dien_thoai\/phone,"?Nhanh, chu đáo/);
  assert.match(row, /\(nv02\)/);

  assert.deepEqual(foreignRequests(log, daemon.host), []);
  assert.deepEqual(errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED|WebSocket/.test(e)), []);
});
