// Day one at a real centre (issue 14), the supervisor's side, through the real dashboard in
// Debian's chromium on the demo centre at 09:00 (test clock): today's rating comments with
// the clerk's name survive a reload (item 9), the Excel button downloads the chosen day's
// workbook (item 10), the dossier form refuses impossible figures, and so does the server
// (item 13).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  openPage, shot, until, apiCall, TOKENS, useDaemonAndBrowser, demoAtHour,
} from './lib.mjs';

const lab = useDaemonAndBrowser(demoAtHour(9));
const log = [];
const errors = [];

test('rating comments with the clerk name survive a reload; Excel of a chosen day', async () => {
  const login = await apiCall(lab.daemon.origin, 'POST', '/api/v1/login', { staff: 'nv02', pin: '1234', counter: 2 });
  const tok = login.data.token;
  const t = await apiCall(lab.daemon.origin, 'POST', '/api/v1/tickets', { service: 'chungthuc' }, TOKENS.kiosk);
  assert.equal(t.status, 201);
  await apiCall(lab.daemon.origin, 'POST', '/api/v1/counters/2/next', undefined, tok);
  await apiCall(lab.daemon.origin, 'POST', '/api/v1/counters/2/finish', undefined, tok);
  const r = await apiCall(lab.daemon.origin, 'POST', '/api/v1/ratings',
    { score: 4, comment: 'Cán bộ nhiệt tình, hướng dẫn rõ ràng' }, TOKENS.rating(2));
  assert.equal(r.status, 201, JSON.stringify(r.data));

  const page = await openPage(lab.browser, { width: 1920, height: 1080, log, errors, name: 'supervisor' });
  await page.goto(`${lab.daemon.origin}/supervisor?token=${TOKENS.supervisor}`);
  await until(page, () => document.querySelector('#rating-list')?.textContent.includes('hướng dẫn rõ ràng'));
  await page.reload();
  await until(page, () => document.querySelector('#rating-list')?.textContent.includes('hướng dẫn rõ ràng'));
  const row = await page.textContent('#rating-list li');
  assert.match(row, /Trần Thị Bình/, 'the clerk by name');
  assert.doesNotMatch(row, /nv02/, 'not by staff id');
  assert.match(row, new RegExp(t.data.number));
  await shot(page, 'dayone-supervisor-1920x1080.png');

  // Excel: the link carries the chosen day and downloads a workbook.
  await until(page, () => /day=\d{4}-\d\d-\d\d/.test(document.querySelector('#xlsx').href));
  const href = await page.getAttribute('#xlsx', 'href');
  const day = await page.inputValue('#xlsx-day');
  assert.match(href, new RegExp(`day=${day}`));
  const xlsx = await page.request.get(lab.daemon.origin + href);
  assert.equal(xlsx.status(), 200);
  assert.match(xlsx.headers()['content-type'], /spreadsheetml/);
  const body = await xlsx.body();
  assert.equal(body.subarray(0, 2).toString(), 'PK', 'a zip (xlsx) file');
  // A range: from the day before to today, the days added up.
  const before = new Date(Date.parse(`${day}T00:00:00Z`) - 86400e3).toISOString().slice(0, 10);
  await page.fill('#xlsx-day', before);
  await page.dispatchEvent('#xlsx-day', 'change');
  await page.fill('#xlsx-to', day);
  await page.dispatchEvent('#xlsx-to', 'change');
  const range = await page.getAttribute('#xlsx', 'href');
  assert.match(range, new RegExp(`range\\.xlsx\\?.*from=${before}&to=${day}`));
  const rx = await page.request.get(lab.daemon.origin + range);
  assert.equal(rx.status(), 200, await rx.text());
  assert.equal((await rx.body()).subarray(0, 2).toString(), 'PK');
  await page.close();
});

test('the dossier form and the server refuse on time + overdue > received', async () => {
  const page = await openPage(lab.browser, { width: 1920, height: 1080, log, errors, name: 'dossier' });
  await page.goto(`${lab.daemon.origin}/supervisor?token=${TOKENS.supervisor}`);
  await until(page, () => !document.querySelector('#app').hidden);
  await page.fill('#d-received', '10');
  await page.fill('#d-on_time', '8');
  await page.fill('#d-overdue', '5');
  await page.click('#dossier button[type=submit]');
  await until(page, () => document.querySelector('#dossier-err')?.textContent.includes('không thể lớn hơn'));
  await shot(page, 'dayone-supervisor-dossier-1920x1080.png', { clip: { x: 960, y: 500, width: 960, height: 580 } });
  await page.waitForTimeout(300);
  const st = (await apiCall(lab.daemon.origin, 'GET', '/api/v1/state')).data;
  assert.equal(st.dossier, null, 'nothing was sent');
  const bad = await apiCall(lab.daemon.origin, 'PUT', '/api/v1/dossier-stats', { received: 10, on_time: 8, overdue: 5 }, TOKENS.supervisor);
  assert.equal(bad.status, 400);
  assert.equal(bad.data.error.code, 'impossible_figures');
  // A possible set goes through.
  await page.fill('#d-overdue', '2');
  await page.click('#dossier button[type=submit]');
  await until(page, () => document.querySelector('#dossier-err')?.textContent === '');
  const ok = await apiCall(lab.daemon.origin, 'PUT', '/api/v1/dossier-stats', { received: 10, on_time: 8, overdue: 2 }, TOKENS.supervisor);
  assert.equal(ok.status, 200);
  await page.close();
});

test('no page errors (refused requests the pages expect are not errors)', () => {
  assert.deepEqual(errors.filter((e) => !/status of (400|401|409|429)/.test(e)), []);
});
