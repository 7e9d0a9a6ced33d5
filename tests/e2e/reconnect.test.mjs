// End-to-end: the daemon dies under an open board. The board must show the lost-link banner
// (never stale data silently), then, once the daemon is back on the same data dir and port,
// recover by itself (no reload) and show the right state, including what changed meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startDaemon, stopDaemon, openPage, shot, until, apiCall, foreignRequests, TOKENS,
  useDaemonAndBrowser,
} from './lib.mjs';

const lab = useDaemonAndBrowser();
const log = [];
const errors = [];

const waitingOf = (service) => document.querySelector(`.svc[data-service="${service}"] .waiting`)?.textContent;

test('the board shows the lost link, then recovers without a reload', async () => {
  const issue = (service) => apiCall(lab.daemon.origin, 'POST', '/api/v1/tickets', { service }, TOKENS.kiosk);
  assert.equal((await issue('datdai')).status, 201);

  const board = await openPage(lab.browser, { width: 1920, height: 1080, log, errors, name: 'board' });
  await board.goto(`${lab.daemon.origin}/board?token=${TOKENS.display}`);
  await until(board, (s) => document.querySelector(`.svc[data-service="${s}"] .waiting`)?.textContent === '1', 'datdai');
  await board.evaluate(() => { window.__sameDocument = true; });
  assert.equal(await board.isVisible('#xp-banner'), false);

  // Crash: the banner appears (after 3 s without a link) and stays while the daemon is down.
  const { port } = lab.daemon;
  await stopDaemon(lab.daemon, 'SIGKILL');
  await until(board, () => document.querySelector('#xp-banner'), undefined, 8000);
  const text = await board.textContent('#xp-banner');
  assert.match(text, /Mất kết nối — đang kết nối lại…/);
  assert.match(text, /Connection lost — reconnecting…/);
  await shot(board, 'board-1920x1080-offline.png');

  // Back on the same data dir and port; something changes right after the restart.
  lab.daemon = await startDaemon(lab.dataDir, port);
  assert.equal(lab.daemon.port, port);
  assert.equal((await issue('datdai')).status, 201);
  assert.equal((await issue('gplx')).status, 201);

  await until(board, () => !document.querySelector('#xp-banner')
    && document.querySelector('.svc[data-service="datdai"] .waiting')?.textContent === '2'
    && document.querySelector('.svc[data-service="gplx"] .waiting')?.textContent === '1', undefined, 20000);
  assert.equal(await board.evaluate(() => window.__sameDocument), true, 'the board was not reloaded');
  assert.equal(await board.evaluate(waitingOf, 'datdai'), '2');
  await shot(board, 'board-1920x1080-recovered.png');

  // And it keeps following live events on the new link.
  assert.equal((await issue('gplx')).status, 201);
  await until(board, () => document.querySelector('.svc[data-service="gplx"] .waiting')?.textContent === '2', undefined, 3000);

  assert.deepEqual(foreignRequests(log, lab.daemon.host), []);
  assert.deepEqual(errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED|WebSocket/.test(e)), []);
});
