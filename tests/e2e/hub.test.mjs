// End-to-end: the province hub serves a lobby's phone page to a phone that cannot reach the
// lobby. A real lobby ships its events to a real hub (PostgreSQL from tests/pg.sh); the
// ticket's page opened on the hub (/c/{centre}/t/{id}) shows the call within 1 s of the
// clerk's click at the lobby. Also looks at the hub's public list and the province dashboard.
// Skips without XEPHANG_DATABASE_URL (fails under CI).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  REPO, startDaemon, stopDaemon, launch, openPage, shot, until, apiCall, freshDataDir, removeDir,
  TOKENS, hubDatabase, startHub,
} from './lib.mjs';

const UPLINK = 'e2e-uplink-centre-a-0001';
const PROVINCE = 'e2e-province-token-0003';
let db;
let hub;
let lobby;
let browser;
let dir;
const log = [];
const errors = [];

before(async () => {
  db = hubDatabase();
  if (!db) return;
  dir = freshDataDir();
  const hubToml = path.join(dir, 'hub.toml');
  writeFileSync(hubToml, `[hub]\nname = "Tỉnh Thử nghiệm"\n\n[[centres]]\nid = "tt-a"\nname = "Trung tâm Phục vụ hành chính công tỉnh"\ntoken = "${UPLINK}"\n\n[[centres]]\nid = "xa-b"\nname = "Bộ phận Một cửa xã B"\ntoken = "e2e-uplink-centre-b-0002"\n\n[[devices]]\nname = "Tỉnh"\nrole = "province"\ntoken = "${PROVINCE}"\n`);
  hub = await startHub(hubToml, db);
  const lobbyToml = path.join(dir, 'lobby.toml');
  writeFileSync(lobbyToml, `${readFileSync(path.join(REPO, 'config/default.toml'), 'utf8')}\n[uplink]\nurl = "${hub.origin}"\ncentre = "tt-a"\ntoken = "${UPLINK}"\n`);
  lobby = await startDaemon(path.join(dir, 'data'), 0, { config: lobbyToml });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stopDaemon(lobby);
  await stopDaemon(hub);
  if (dir) removeDir(dir);
});

test('a phone page on the hub shows the call within 1 s of the clerk', async (t) => {
  if (!db) { t.skip('XEPHANG_DATABASE_URL is not set: run `. tests/pg.sh && pg_up` first'); return; }
  const issued = await apiCall(lobby.origin, 'POST', '/api/v1/tickets', { service: 'hotich' }, TOKENS.kiosk);
  assert.equal(issued.status, 201);
  const ticket = issued.data;
  // The QR code of the lobby's ticket points at the hub.
  const qr = await fetch(`${lobby.origin}/api/v1/tickets/${ticket.id}/qr.svg`);
  assert.equal(qr.status, 200);

  const phone = await openPage(browser, { width: 390, height: 844, log, errors, name: 'hub-phone' });
  await phone.goto(`${hub.origin}/c/tt-a/t/${ticket.id}`);
  await until(phone, (n) => document.querySelector('#number')?.textContent === n, ticket.number, 15000);
  await until(phone, () => document.querySelector('#status')?.classList.contains('waiting'));
  assert.equal(await phone.isVisible('#cancel'), false, 'the hub cannot cancel a lobby ticket');
  await shot(phone, 'hub-phone-390x844-waiting.png');

  const login = await apiCall(lobby.origin, 'POST', '/api/v1/login', { staff: 'nv01', pin: '1234', counter: 1 });
  assert.equal(login.status, 200);
  await phone.evaluate(() => { window.__t0 = null; });
  const t0 = Date.now();
  const next = await apiCall(lobby.origin, 'POST', '/api/v1/counters/1/next', undefined, login.data.token);
  assert.equal(next.status, 200);
  await until(phone, () => !document.querySelector('#called')?.hidden, undefined, 3000);
  const took = Date.now() - t0;
  console.log(`clerk's click → call on the phone through the hub: ${took} ms`);
  assert.ok(took < 1000, `the call took ${took} ms to reach the phone through the hub`);
  assert.match(await phone.textContent('#c-counter'), /Quầy 1/);
  await shot(phone, 'hub-phone-390x844-called.png');

  // The public list and the province dashboard.
  const list = await openPage(browser, { width: 1280, height: 900, log, errors, name: 'hub-list' });
  await list.goto(`${hub.origin}/`);
  await until(list, () => document.querySelector('.centre[data-id="tt-a"].open'), undefined, 10000);
  await shot(list, 'hub-list-1280x900.png');
  await list.fill('#find', 'ho tich');
  await until(list, () => !document.querySelector('#best')?.hidden);
  await shot(list, 'hub-list-1280x900-search.png');
  const prov = await openPage(browser, { width: 1440, height: 900, log, errors, name: 'province' });
  await prov.goto(`${hub.origin}/province?token=${PROVINCE}`);
  await until(prov, () => document.querySelector('tr[data-id="tt-a"]'), undefined, 10000);
  await until(prov, () => document.querySelector('.kpi b')?.textContent !== '—');
  await shot(prov, 'hub-province-1440x900.png');
  await prov.goto(`${hub.origin}/province?token=${PROVINCE}&lang=en`);
  await until(prov, () => document.querySelector('tr[data-id="tt-a"]'), undefined, 10000);
  await shot(prov, 'hub-province-1440x900-en.png');
  // The lobby's supervisor dashboard says its events reach the hub.
  const sup = await openPage(browser, { width: 1440, height: 900, log, errors, name: 'supervisor' });
  await sup.goto(`${lobby.origin}/supervisor?token=${TOKENS.supervisor}`);
  await until(sup, () => document.querySelector('#uplink')?.dataset.state === 'connected', undefined, 10000);
  assert.match(await sup.textContent('#uplink'), /Đã kết nối trung tâm tỉnh/);
  await shot(sup, 'supervisor-1440x900-uplink.png');
  assert.deepEqual(errors, []);
});
