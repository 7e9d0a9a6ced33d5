import { startDaemon, stopDaemon, launch, openPage, shot, until, freshDataDir, removeDir, TOKENS } from './lib.mjs';
const dir = freshDataDir();
const d = await startDaemon(dir);
const b = await launch();
const log = [], errors = [];
// 1. the board gets a revoked frame
const board = await openPage(b, { width: 1280, height: 720, log, errors, name: 'board' });
let opens = 0;
await board.routeWebSocket(/\/ws/, (ws) => {
  opens++;
  const server = ws.connectToServer();
  setTimeout(() => ws.send(JSON.stringify({ type: 'revoked' })), 1500);
});
await board.goto(`${d.origin}/board?token=${TOKENS.display}`);
await until(board, () => document.querySelector('#xp-revoked'), undefined, 5000);
await board.waitForTimeout(3000);
console.log('opens', opens);
await shot(board, 'look-revoked.png');
// 2. the clerk's new PIN
const clerk = await openPage(b, { width: 1366, height: 768, log, errors, name: 'clerk' });
let pinBody = null;
await clerk.route('**/api/v1/login', async (route) => {
  const resp = await route.fetch();
  const j = await resp.json();
  await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ ...j, must_change_pin: true }) });
});
await clerk.route('**/api/v1/me/pin', async (route) => { pinBody = route.request().postDataJSON(); await route.fulfill({ status: 204 }); });
await clerk.goto(`${d.origin}/clerk`);
await until(clerk, () => document.querySelector('#counter option[value="1"]'));
await clerk.fill('#staff', 'nv01'); await clerk.fill('#pin', '1234');
await clerk.click('#login-submit');
await until(clerk, () => !document.querySelector('#newpin').hidden);
await clerk.fill('#np1', '2468'); await clerk.fill('#np2', '2469');
await clerk.click('#newpin-submit');
await clerk.waitForTimeout(200);
await shot(clerk, 'look-newpin.png');
await clerk.fill('#np2', '2468');
await clerk.click('#newpin-submit');
await until(clerk, () => !document.querySelector('#app').hidden);
console.log('pin body', pinBody);
await clerk.click('#lang');
await clerk.reload();
console.log(errors);
await b.close(); await stopDaemon(d); removeDir(dir);
