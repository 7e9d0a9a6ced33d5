// Day one at a real centre (issue 14), the clerk's side, through the real pages in Debian's
// chromium on the demo centre at 09:00 (test clock): the waiting list in the order "Tiếp
// theo" calls it (item 7), today's no-shows put back in the queue from the terminal (item 5),
// "Tiếp theo" visibly off while paused and a transfer picker without appointment-only
// services (item 7), a login at a counter someone else holds asks first and the displaced
// clerk is told who took over (item 6), wrong PINs clear the field, warn before the lockout,
// count the lockout down, and do not lock a colleague out of the same PC (item 8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  openPage, shot, until, apiCall, TOKENS, useDaemonAndBrowser, demoAtHour,
} from './lib.mjs';

const lab = useDaemonAndBrowser(demoAtHour(9));
const log = [];
const errors = [];

const issue = async (service, priority) => {
  const r = await apiCall(lab.daemon.origin, 'POST', '/api/v1/tickets', priority ? { service, priority } : { service }, TOKENS.kiosk);
  assert.equal(r.status, 201, JSON.stringify(r.data));
  return r.data;
};

async function signIn(page, staff, counter, pin = '1234') {
  await page.goto(`${lab.daemon.origin}/clerk`);
  await until(page, (n) => [...document.querySelectorAll('#counter option')].some((o) => o.value === String(n)), counter);
  await page.fill('#staff', staff);
  await page.fill('#pin', pin);
  await page.selectOption('#counter', String(counter));
  await page.click('#login-submit');
}

const waitingNumbers = (page) => page.evaluate(() => [...document.querySelectorAll('#waiting li[data-issued] .n')]
  .map((n) => n.textContent));

test('clerk terminal: call order, no-shows back in the queue, paused, transfer picker', async () => {
  const a = await issue('hotich');
  const b = await issue('chungthuc');
  const c = await issue('hotich', 'elderly');
  const d = await issue('chungthuc', 'disabled');

  const page = await openPage(lab.browser, { width: 1366, height: 768, log, errors, name: 'clerk1' });
  await signIn(page, 'nv01', 1);
  await until(page, () => !document.querySelector('#app').hidden);
  await until(page, () => document.querySelectorAll('#waiting li[data-issued]').length === 4);
  const shown = await waitingNumbers(page);
  const server = (await apiCall(lab.daemon.origin, 'GET', '/api/v1/counters/1/queue', undefined, TOKENS.supervisor)).data.tickets.map((t) => t.number);
  assert.deepEqual(shown, server, 'the list is the server order');
  assert.deepEqual(shown, [c.number, d.number, a.number, b.number], 'priority tickets first, then by issue time');
  await shot(page, 'dayone-clerk-order-1366x768.png');

  // Each "next" calls the first of the list.
  for (const expected of shown.slice(0, 2)) {
    const first = (await waitingNumbers(page))[0];
    assert.equal(first, expected);
    await page.click('#b-next');
    await until(page, (n) => document.querySelector('#cur-number')?.textContent === n, expected);
  }

  // No-show, then put it back from the terminal.
  await page.click('#b-noshow');
  await until(page, () => !document.querySelector('#noshows').hidden);
  assert.match(await page.textContent('#noshows'), new RegExp(`${d.number}[\\s\\S]*Gọi lại vào hàng`));
  await shot(page, 'dayone-clerk-noshows-1366x768.png');
  await page.click(`#noshows button[data-number="${d.number}"]`);
  await until(page, () => document.querySelector('#noshows').hidden);
  await until(page, (n) => [...document.querySelectorAll('#waiting li .n')].some((x) => x.textContent === n), d.number);
  const t = (await apiCall(lab.daemon.origin, 'GET', `/api/v1/tickets/${d.id}`)).data;
  assert.equal(t.status, 'waiting');

  // Transfer picker: not the ticket's own service, not the appointment-only one.
  await page.click('#b-next');
  await until(page, () => !!document.querySelector('#cur-number'));
  await page.click('#b-transfer');
  const targets = await page.$$eval('#transfer-list button', (bs) => bs.map((x) => x.dataset.service));
  assert.ok(!targets.includes('tiepdan'), `appointment-only service offered: ${targets}`);
  assert.ok(targets.includes('datdai'));
  await shot(page, 'dayone-clerk-transfer-1366x768.png');
  await page.click('#transfer-cancel');

  // Paused: "next" is off and says why.
  await page.click('#b-pause');
  await until(page, () => document.querySelector('#b-next').disabled);
  const bg = await page.$eval('#b-next', (x) => getComputedStyle(x).backgroundColor);
  assert.notEqual(bg, 'rgb(11, 122, 66)', 'not green while paused');
  assert.match(await page.textContent('#b-next'), /Đang tạm dừng/);
  await shot(page, 'dayone-clerk-paused-1366x768.png');
  await page.click('#b-pause');
  await until(page, () => !document.querySelector('#b-next').disabled);
  await page.close();
});

test('supervisor puts a no-show back in the queue from the dashboard', async () => {
  const staff = await apiCall(lab.daemon.origin, 'POST', '/api/v1/login', { staff: 'nv03', pin: '1234', counter: 3 });
  const tok = staff.data.token;
  const e = await issue('datdai');
  await apiCall(lab.daemon.origin, 'POST', '/api/v1/counters/3/next', undefined, tok);
  await apiCall(lab.daemon.origin, 'POST', '/api/v1/counters/3/no-show', undefined, tok);
  const page = await openPage(lab.browser, { width: 1920, height: 1080, log, errors, name: 'supervisor' });
  await page.goto(`${lab.daemon.origin}/supervisor?token=${TOKENS.supervisor}`);
  await until(page, (n) => !!document.querySelector(`#noshows button[data-number="${n}"]`), e.number);
  await page.click(`#noshows button[data-number="${e.number}"]`);
  await until(page, () => document.querySelector('#noshows').hidden);
  assert.equal((await apiCall(lab.daemon.origin, 'GET', `/api/v1/tickets/${e.id}`)).data.status, 'waiting');
  await page.close();
});

test('taking over a held counter asks first; the displaced clerk is told who took over', async () => {
  const first = await openPage(lab.browser, { width: 1366, height: 768, log, errors, name: 'clerk5' });
  await signIn(first, 'nv05', 5);
  await until(first, () => !document.querySelector('#app').hidden);

  const second = await openPage(lab.browser, { width: 1366, height: 768, log, errors, name: 'clerk6' });
  await signIn(second, 'nv06', 5);
  await until(second, () => !document.querySelector('#takeover').hidden);
  assert.match(await second.textContent('#takeover-msg'), /Quầy 5 đang do Hoàng Minh Đức \(nv05\) phụ trách/);
  await shot(second, 'dayone-clerk-takeover-1366x768.png');
  // Nothing happened yet: nv05 still holds it.
  const st = (await apiCall(lab.daemon.origin, 'GET', '/api/v1/state')).data;
  assert.equal(st.counters.find((c) => c.id === 5).clerk.id, 'nv05');
  await second.click('#takeover-yes');
  await until(second, () => !document.querySelector('#app').hidden);

  await until(first, () => !document.querySelector('#login').hidden);
  assert.match(await first.textContent('#login-err'), /Vũ Thị Hà \(nv06\) đã đăng nhập Quầy 5 lúc \d\d:\d\d/);
  await shot(first, 'dayone-clerk-displaced-1366x768.png');
  await first.close();
  await second.close();
});

test('wrong PINs: field cleared, tries left, a ticking lockout, a colleague unaffected', async () => {
  const page = await openPage(lab.browser, { width: 1366, height: 768, log, errors, name: 'pin' });
  await signIn(page, 'nv04', 4, '0000');
  await until(page, () => document.querySelector('#login-err').textContent.includes('còn 4 lần thử'));
  assert.equal(await page.inputValue('#pin'), '', 'the PIN field is cleared');
  for (let i = 0; i < 3; i += 1) {
    await page.fill('#pin', '0000');
    await page.click('#login-submit');
    await until(page, (n) => document.querySelector('#login-err').textContent.includes(`còn ${n} lần thử`), 3 - i);
  }
  await shot(page, 'dayone-clerk-pin-last-try-1366x768.png');
  await page.fill('#pin', '0000');
  await page.click('#login-submit');
  await until(page, () => /Sai mã PIN 5 lần|tạm khóa/.test(document.querySelector('#login-err').textContent));
  // The sixth try: locked, counting down.
  await page.fill('#pin', '0000');
  await page.click('#login-submit');
  await until(page, () => /thử lại sau \d+ giây/.test(document.querySelector('#login-err').textContent));
  const t1 = await page.textContent('#login-err');
  assert.equal(await page.isDisabled('#login-submit'), true);
  await page.waitForTimeout(2100);
  const t2 = await page.textContent('#login-err');
  assert.notEqual(t1, t2, 'the countdown ticks');
  await shot(page, 'dayone-clerk-lockout-1366x768.png');
  // A colleague at the same PC (same address) signs in fine.
  const r = await apiCall(lab.daemon.origin, 'POST', '/api/v1/login', { staff: 'nv02', pin: '1234', counter: 2 });
  assert.equal(r.status, 200, JSON.stringify(r.data));
  await page.close();
});

test('no page errors (refused requests the pages expect are not errors)', () => {
  assert.deepEqual(errors.filter((e) => !/status of (401|409|429)/.test(e)), []);
});
