// Day one at a real centre (issue 14), the citizen's and the devices' side, through the real
// pages in Debian's chromium on the demo centre at 09:00 (test clock): a kiosk or rating
// tablet without a right token says so (item 14); the phone page after a no-show says what
// to do, a cancelled or unknown ticket gets a page with a way on (item 3); the kiosk's
// on-screen ticket shows the priority class and the appointment time (item 4); the booking
// page says at once that a code does not exist, and a check-in on the wrong day gives the
// booked date (item 16).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  openPage, shot, until, apiCall, TOKENS, useDaemonAndBrowser, demoAtHour,
} from './lib.mjs';

const lab = useDaemonAndBrowser(demoAtHour(9));
const log = [];
const errors = [];

const UNSET = 'Thiết bị chưa được cấp mã — liên hệ bộ phận CNTT';

test('a kiosk or rating tablet without its token says so on screen', async () => {
  for (const [url, file, why] of [
    ['/kiosk', 'dayone-device-kiosk-notoken-1080x1920.png', 'không có mã thiết bị'],
    ['/kiosk?token=wrong-token', 'dayone-device-kiosk-wrong-1080x1920.png', 'không đúng'],
    [`/rating/3?token=${TOKENS.rating(2)}`, 'dayone-device-rating-othercounter-1280x800.png', 'quầy 2, không phải quầy 3'],
    ['/rating/2', 'dayone-device-rating-notoken-1280x800.png', 'không có mã thiết bị'],
  ]) {
    const kiosk = url.startsWith('/kiosk');
    const page = await openPage(lab.browser, kiosk ? { width: 1080, height: 1920, log, errors, name: url } : { width: 1280, height: 800, log, errors, name: url });
    await page.goto(lab.daemon.origin + url);
    await until(page, (t) => document.querySelector('#device-unset')?.textContent.includes(t), UNSET);
    assert.match(await page.textContent('#device-unset'), new RegExp(why));
    assert.match(await page.textContent('#device-unset'), /contact the IT desk/);
    await shot(page, file);
    await page.close();
  }
  // The right tokens: no such screen.
  for (const url of [`/kiosk?token=${TOKENS.kiosk}`, `/rating/2?token=${TOKENS.rating(2)}`]) {
    const page = await openPage(lab.browser, { width: 1080, height: 1920, log, errors, name: url });
    await page.goto(lab.daemon.origin + url);
    await page.waitForTimeout(700);
    assert.equal(await page.$('#device-unset'), null, url);
    await page.close();
  }
});

test('phone page: after a no-show it says what to do; cancelled and unknown tickets get a way on', async () => {
  const tok = (await apiCall(lab.daemon.origin, 'POST', '/api/v1/login', { staff: 'nv03', pin: '1234', counter: 3 })).data.token;
  const t = (await apiCall(lab.daemon.origin, 'POST', '/api/v1/tickets', { service: 'datdai' }, TOKENS.kiosk)).data;
  await apiCall(lab.daemon.origin, 'POST', '/api/v1/counters/3/next', undefined, tok);
  await apiCall(lab.daemon.origin, 'POST', '/api/v1/counters/3/no-show', undefined, tok);
  const page = await openPage(lab.browser, { width: 390, height: 844, log, errors, name: 'phone' });
  await page.goto(`${lab.daemon.origin}/t/${t.id}`);
  await until(page, () => !document.querySelector('#next-step').hidden);
  assert.match(await page.textContent('#next-step'), /bàn hướng dẫn/);
  assert.match(await page.textContent('#next-step'), /Quầy 3/);
  await shot(page, 'dayone-phone-noshow-390x844.png', { fullPage: true });

  const c = (await apiCall(lab.daemon.origin, 'POST', '/api/v1/tickets', { service: 'datdai' }, TOKENS.kiosk)).data;
  await apiCall(lab.daemon.origin, 'DELETE', `/api/v1/tickets/${c.id}`);
  await page.goto(`${lab.daemon.origin}/t/${c.id}`);
  await until(page, () => !document.querySelector('#next-step').hidden);
  assert.match(await page.textContent('#next-step'), /đã bị hủy/);
  assert.equal(await page.getAttribute('#next-links a[href="/board"]', 'href'), '/board');
  assert.equal(await page.isVisible('#next-links a[href="/t/new"]'), true);
  await shot(page, 'dayone-phone-cancelled-390x844.png', { fullPage: true });

  await page.goto(`${lab.daemon.origin}/t/01JDXXXXXXXXXXXXXXXXXXXXXX`);
  await until(page, () => !document.querySelector('#missing').hidden);
  assert.equal(await page.isVisible('#missing a[href="/t/new"]'), true);
  assert.equal(await page.isVisible('#missing a[href="/board"]'), true);
  await shot(page, 'dayone-phone-unknown-390x844.png', { fullPage: true });
  await page.close();
});

/** A free slot of hotich on `day` that starts after the daemon's now, or null. */
async function freeSlot(day) {
  const now = Date.parse((await apiCall(lab.daemon.origin, 'GET', '/api/v1/state')).data.now);
  const r = await apiCall(lab.daemon.origin, 'GET', `/api/v1/slots?service=hotich&day=${day}`);
  if (r.status !== 200) return null;
  return r.data.find((s) => s.free > 0 && Date.parse(s.start) > now + 60e3) || null;
}

test('kiosk ticket shows the priority class and the appointment time; wrong-day check-in names the day', async () => {
  const page = await openPage(lab.browser, { width: 1080, height: 1920, log, errors, name: 'kiosk' });
  await page.goto(`${lab.daemon.origin}/kiosk?token=${TOKENS.kiosk}`);
  await until(page, () => !!document.querySelector('#prio [data-prio="elderly"]'));
  await page.click('#prio [data-prio="elderly"]');
  await page.click('.svc[data-service="datdai"]');
  await until(page, () => !document.querySelector('#issued').hidden);
  assert.match(await page.textContent('#t-prio'), /Ưu tiên: Người cao tuổi[\s\S]*Priority: Elderly/);
  await shot(page, 'dayone-kiosk-ticket-priority-1080x1920.png');
  await page.click('#t-done');

  const st = (await apiCall(lab.daemon.origin, 'GET', '/api/v1/state')).data;
  const slot = await freeSlot(st.day);
  assert.ok(slot, 'a free slot today');
  const b = (await apiCall(lab.daemon.origin, 'POST', '/api/v1/bookings', { service: 'hotich', start: slot.start })).data;
  assert.ok(b.code, JSON.stringify({ b, slot }));
  await page.click('#booking');
  await page.keyboard.type(b.code);
  await page.click('#checkin-ok');
  await until(page, () => !document.querySelector('#issued').hidden);
  const hhmm = slot.start.slice(11, 16);
  assert.match(await page.textContent('#t-prio'), new RegExp(`Lịch hẹn ${hhmm}[\\s\\S]*Appointment ${hhmm}`));
  await shot(page, 'dayone-kiosk-ticket-appointment-1080x1920.png');
  await page.click('#t-done');

  // A booking of another day, checked in today.
  let other = null;
  let otherDay = null;
  for (let i = 1; i <= 10 && !other; i += 1) {
    const d = new Date(Date.parse(`${st.day}T00:00:00Z`) + i * 86400e3).toISOString().slice(0, 10);
    other = await freeSlot(d);
    otherDay = d;
  }
  assert.ok(other, 'a free slot on a later day');
  const ob = (await apiCall(lab.daemon.origin, 'POST', '/api/v1/bookings', { service: 'hotich', start: other.start })).data;
  await page.click('#booking');
  await page.keyboard.type(ob.code);
  await page.click('#checkin-ok');
  const [y, m, d] = otherDay.split('-');
  await until(page, (s) => document.querySelector('#checkin-err').textContent.includes(s), `${d}/${m}/${y}`);
  assert.match(await page.textContent('#checkin-err'), /không phải hôm nay/);
  await shot(page, 'dayone-kiosk-checkin-wrongday-1080x1920.png');
  await page.close();
});

test('booking page: an unknown code is said before any confirmation', async () => {
  const page = await openPage(lab.browser, { width: 390, height: 844, log, errors, name: 'book' });
  await page.goto(`${lab.daemon.origin}/book`);
  await page.fill('#cancel-code', 'ZZZZZZ');
  await page.click('#cancel-btn');
  await until(page, () => document.querySelector('#cancel-msg').dataset.code === 'unknown_booking');
  assert.equal(await page.isVisible('#cancel-confirm'), false, 'no confirmation for a code that does not exist');
  assert.match(await page.textContent('#cancel-msg'), /Không có lịch hẹn nào mã ZZZZZZ/);
  await shot(page, 'dayone-book-unknown-code-390x844.png', { fullPage: true });
  await page.close();
});

test('no page errors (refused requests the pages expect are not errors)', () => {
  // A wrong token's WebSocket is refused (401) and rating/3 with counter 2's token gets 403:
  // expected here, and what the on-screen message is about.
  assert.deepEqual(errors.filter((e) => !/status of (401|403|404|409)|HTTP Authentication failed/.test(e)), []);
});
