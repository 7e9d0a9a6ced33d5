// Day one at a real centre (issue 14), through the real pages in Debian's chromium: what a
// citizen is told about waiting when nobody serves a service, or when it is closed for
// lunch. The daemon runs at 12:00 local time (test clock) on the demo centre, with
// "Chứng thực" open 07:30–11:30 and 13:30–17:00 and no clerk signed in yet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  startDaemon, stopDaemon, launch, openPage, shot, until, apiCall, freshDataDir, removeDir,
  TOKENS, REPO,
} from './lib.mjs';

let daemon;
let browser;
let dataDir;
const log = [];
const errors = [];

/** Seconds from now to 12:00 today at UTC+7 (the demo centre's zone). */
function offsetToNoon() {
  const now = Date.now();
  const local = new Date(now + 7 * 3600e3);
  const noon = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), 12, 0, 0) - 7 * 3600e3;
  return Math.round((noon - now) / 1000);
}

before(async () => {
  dataDir = freshDataDir();
  const demo = readFileSync(path.join(REPO, 'config/default.toml'), 'utf8');
  const lunch = demo.replace('target_wait_min = 10\nservice_min = 4\n',
    'target_wait_min = 10\nservice_min = 4\nhours = ["07:30-11:30", "13:30-17:00"]\n');
  assert.notEqual(lunch, demo, 'the demo centre has the chungthuc block this test edits');
  const config = path.join(dataDir, 'lunch.toml');
  writeFileSync(config, lunch);
  daemon = await startDaemon(dataDir, 0, { config, env: { XEPHANG_TEST_CLOCK_OFFSET_S: String(offsetToNoon()) } });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stopDaemon(daemon);
  removeDir(dataDir);
});

const meta = (page, id) => page.evaluate((s) => document.querySelector(`.svc[data-service="${s}"] .meta`)?.textContent ?? '', id);

test('no counter open: kiosk, board, issued ticket and phone say so, with no number', async () => {
  const kiosk = await openPage(browser, { width: 1080, height: 1920, log, errors, name: 'kiosk' });
  await kiosk.goto(`${daemon.origin}/kiosk?token=${TOKENS.kiosk}`);
  await until(kiosk, () => document.querySelector('.svc[data-service="hotich"] .meta')?.textContent.includes('Chưa có quầy phục vụ'));
  // Closed for lunch: when it takes numbers again, and the button is off.
  await until(kiosk, () => document.querySelector('.svc[data-service="chungthuc"] .meta')?.textContent.includes('Nhận lại từ 13:30'));
  assert.equal(await kiosk.isDisabled('.svc[data-service="chungthuc"]'), true);
  await shot(kiosk, 'dayone-kiosk-unstaffed-1080x1920.png');

  const board = await openPage(browser, { width: 1920, height: 1080, log, errors, name: 'board' });
  await board.goto(`${daemon.origin}/board?token=${TOKENS.display}`);
  await until(board, () => document.querySelector('.svc[data-service="hotich"] .eta')?.textContent === 'Chưa có quầy phục vụ');
  await until(board, () => document.querySelector('.svc[data-service="chungthuc"] .eta')?.textContent === 'Nhận lại từ 13:30');

  const answer = kiosk.waitForResponse((r) => r.url().endsWith('/api/v1/tickets') && r.request().method() === 'POST');
  await kiosk.click('.svc[data-service="hotich"]');
  const ticket = await (await answer).json();
  await until(kiosk, () => !document.querySelector('#issued').hidden);
  assert.equal(await kiosk.textContent('#t-eta'), 'Chưa có quầy phục vụ', 'on-screen ticket');
  assert.equal(await kiosk.textContent('#p-eta'), 'Chưa có quầy phục vụ', 'printed ticket');
  assert.doesNotMatch(await meta(kiosk, 'hotich'), /phút|~/, 'no minutes while nobody serves');
  await shot(kiosk, 'dayone-kiosk-ticket-unstaffed-1080x1920.png');

  const phone = await openPage(browser, { width: 390, height: 844, log, errors, name: 'phone' });
  await phone.goto(`${daemon.origin}/t/${ticket.id}`);
  await until(phone, () => document.querySelector('#eta')?.textContent === 'Chưa có quầy phục vụ');
  await shot(phone, 'dayone-phone-unstaffed-390x844.png');

  // English, the same states.
  const en = await openPage(browser, { width: 1080, height: 1920, log, errors, name: 'kiosk-en' });
  await en.goto(`${daemon.origin}/kiosk?token=${TOKENS.kiosk}&lang=en`);
  await until(en, () => document.querySelector('.svc[data-service="hotich"] .meta')?.textContent.includes('No counter open yet')
    && document.querySelector('.svc[data-service="chungthuc"] .meta')?.textContent.includes('Opens again at 13:30'));

  // A clerk opens counter 1 (hộ tịch): every screen turns to an estimate at once.
  const login = await apiCall(daemon.origin, 'POST', '/api/v1/login', { staff: 'nv01', pin: '1234', counter: 1 });
  assert.equal(login.status, 200, JSON.stringify(login.data));
  await until(kiosk, () => /dưới 1 phút|phút|Không phải chờ/.test(document.querySelector('.svc[data-service="hotich"] .meta')?.textContent)
    && !document.querySelector('.svc[data-service="hotich"] .meta')?.textContent.includes('Chưa có quầy'));
  assert.doesNotMatch(await meta(kiosk, 'hotich'), /~dưới/, 'one approximation, not two');
  await until(board, () => document.querySelector('.svc[data-service="hotich"] .eta')?.textContent !== 'Chưa có quầy phục vụ');
  await until(phone, () => document.querySelector('#eta')?.textContent !== 'Chưa có quầy phục vụ');
  await shot(board, 'dayone-board-1920x1080.png');
  assert.deepEqual(errors, []);
});
