// TLS in a real browser (issue 18): the daemon serves the lobby board over https with a
// certificate made for the test (openssl), chromium trusts exactly that certificate's public
// key (--ignore-certificate-errors-spki-list), and the board runs live over wss: a ticket
// issued over https shows on it. A chromium that does not trust the key refuses the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  startDaemonWith, stopDaemon, launchTrusting, launch, openPage, shot, until, freshDataDir,
  removeDir, TOKENS, REPO,
} from './lib.mjs';

let daemon;
let browser;
let dataDir;
const log = [];
const errors = [];

/** A self-signed certificate for 127.0.0.1 (P-256): its files and its SPKI hash. */
function makeCert(dir) {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  const spki = new X509Certificate(readFileSync(cert)).publicKey.export({ type: 'spki', format: 'der' });
  return { cert, key, spki: createHash('sha256').update(spki).digest('base64') };
}

before(async () => {
  dataDir = freshDataDir();
  const { cert, key, spki } = makeCert(dataDir);
  const config = path.join(dataDir, 'centre.toml');
  writeFileSync(config, `${readFileSync(path.join(REPO, 'config/default.toml'), 'utf8')}
[server]
tls_cert = "${cert}"
tls_key = "${key}"
`);
  daemon = await startDaemonWith(path.join(dataDir, 'data'), 0, { config, args: ['--demo'] });
  browser = await launchTrusting([spki]);
});

after(async () => {
  await browser?.close();
  await stopDaemon(daemon);
  removeDir(dataDir);
});

test('the daemon announces an https address', () => {
  assert.match(daemon.origin, /^https:\/\/127\.0\.0\.1:\d+$/);
});

test('chromium opens the board over https and follows it live over wss', async () => {
  const board = await openPage(browser, { width: 1920, height: 1080, log, errors, name: 'board' });
  await board.goto(`${daemon.origin}/board?token=${TOKENS.display}`);
  await until(board, () => document.querySelector('.svc[data-service="hotich"] .waiting')?.textContent === '0', undefined, 10000);
  assert.equal(await board.evaluate(() => location.protocol), 'https:');
  const sockets = log.filter((l) => l.page === 'board' && l.url.includes('/ws'));
  assert.ok(sockets.length > 0 && sockets.every((l) => l.url.startsWith('wss://')), JSON.stringify(sockets));
  // A ticket issued over https reaches the board through its wss socket.
  const status = await board.evaluate(async (tok) => {
    const r = await fetch('/api/v1/tickets', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tok}` },
      body: JSON.stringify({ service: 'hotich' }),
    });
    return r.status;
  }, TOKENS.kiosk);
  assert.equal(status, 201);
  await until(board, () => document.querySelector('.svc[data-service="hotich"] .waiting')?.textContent === '1');
  await shot(board, 'board-https-1920x1080.png');
  assert.deepEqual(errors, []);
});

test('a chromium that does not trust the certificate refuses the page', async () => {
  const other = await launch();
  try {
    const page = await other.newPage();
    await assert.rejects(page.goto(`${daemon.origin}/board`), /ERR_CERT/);
  } finally {
    await other.close();
  }
});
