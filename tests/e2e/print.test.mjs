// The kiosk page with a printer driven by the daemon (issue 16), in Debian's chromium: a
// ticket the daemon printed is never sent to window.print; when the printer runs out of
// paper the page shows the ticket large with its QR code and asks the citizen to note the
// number (Vietnamese and English), both when the failure comes later over the kiosk's socket
// and when the answer already says so. The fake printer is a TCP listener answering the
// ESC/POS status queries (DLE EOT) as ready or out of paper.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  startDaemon, stopDaemon, launch, openPage, shot, until, decodeQr, apiCall,
  freshDataDir, removeDir, TOKENS, REPO,
} from './lib.mjs';

let daemon;
let browser;
let dataDir;
let printer;
let mode = 'ready';          // how the fake printer answers: 'ready' | 'out'
const jobs = [];             // bytes of each connection that carried a ticket
const log = [];
const errors = [];

function startPrinter() {
  return new Promise((resolve) => {
    const server = net.createServer((sock) => {
      const chunks = [];
      sock.on('data', (b) => {
        chunks.push(b);
        // Answer DLE EOT n (sent before the job) as the mode says.
        for (let i = 0; i + 2 < b.length && b[i] === 0x10 && b[i + 1] === 0x04; i += 3) {
          const n = b[i + 2];
          sock.write(Buffer.from([mode === 'out' ? (n === 4 ? 0x72 : 0x1a) : 0x12]));
        }
      });
      sock.on('end', () => {
        const all = Buffer.concat(chunks);
        if (all.includes(Buffer.from([0x1d, 0x56, 0x01]))) jobs.push(all);
        sock.end();
      });
      sock.on('error', () => {});
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

before(async () => {
  printer = await startPrinter();
  dataDir = freshDataDir();
  const port = printer.address().port;
  const config = readFileSync(path.join(REPO, 'config/default.toml'), 'utf8').replace(
    `token = "${TOKENS.kiosk}"`,
    `token = "${TOKENS.kiosk}"\nprinter = "tcp://127.0.0.1:${port}"\npaper_mm = 80`,
  );
  assert.ok(config.includes('printer = "tcp://'), 'the kiosk has a printer');
  const file = path.join(dataDir, 'centre.toml');
  writeFileSync(file, config);
  daemon = await startDaemon(dataDir, 0, { config: file });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stopDaemon(daemon);
  printer?.close();
  removeDir(dataDir);
});

/** Waits until the daemon's queue has seen the printer in `state`. */
async function printerState(state) {
  for (let i = 0; i < 200; i++) {
    const r = await apiCall(daemon.origin, 'GET', '/api/v1/printers', undefined, TOKENS.supervisor);
    if (r.data?.[0]?.state === state) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.fail(`printer never ${state}`);
}

test('a daemon-printed ticket never reaches window.print; a failed print shows the ticket to note', async () => {
  await printerState('ok');
  const kiosk = await openPage(browser, { width: 1080, height: 1920, log, errors, name: 'kiosk' });
  await kiosk.goto(`${daemon.origin}/kiosk?token=${TOKENS.kiosk}`);
  await until(kiosk, () => document.querySelector('.svc[data-service="hotich"]:not(:disabled)'));

  // Printed by the daemon.
  let answer = kiosk.waitForResponse((r) => r.url().endsWith('/api/v1/tickets') && r.request().method() === 'POST');
  await kiosk.click('.svc[data-service="hotich"]');
  const first = await (await answer).json();
  assert.equal(first.print?.by, 'daemon');
  await until(kiosk, () => document.body.dataset.printState === 'printed', undefined, 10000);
  assert.equal(jobs.length, 1, 'the fake printer got one ticket');
  assert.deepEqual(await kiosk.evaluate(() => window.__prints), [], 'window.print never called');
  assert.equal(await kiosk.isVisible('#print-failed'), false);
  await kiosk.click('#t-done');

  // Out of paper: the socket's `print` frame says failed.
  mode = 'out';
  await until(kiosk, () => !document.querySelector('.svc[data-service="hotich"]').disabled, undefined, 5000);
  answer = kiosk.waitForResponse((r) => r.url().endsWith('/api/v1/tickets') && r.request().method() === 'POST');
  await kiosk.click('.svc[data-service="hotich"]');
  const second = await (await answer).json();
  assert.equal(second.print.state, 'queued', 'the printer was fine when it was issued');
  await until(kiosk, () => !document.querySelector('#print-failed').hidden, undefined, 10000);
  assert.equal((await kiosk.textContent('#pf-number')).trim(), second.number);
  const text = await kiosk.textContent('#print-failed');
  assert.match(text, /không in được phiếu/i);
  assert.match(text, /could not be printed/i);
  assert.match(text, /ghi lại số thứ tự/);
  assert.match(text, /write down your number/);
  assert.match(text, /hết giấy/);
  await until(kiosk, () => document.querySelector('#pf-qr').complete && document.querySelector('#pf-qr').naturalWidth > 0);
  const qr = decodeQr(await kiosk.locator('#pf-qr').screenshot());
  assert.equal(qr, `${daemon.origin}/t/${second.id}`, 'the QR code on screen is the ticket page');
  await shot(kiosk, 'kiosk-print-failed-1080x1920.png');
  assert.deepEqual(await kiosk.evaluate(() => window.__prints), [], 'still no window.print');
  await kiosk.click('#pf-done');
  assert.equal(await kiosk.isVisible('#print-failed'), false);

  // Known down when issued: the answer already says failed, the sheet shows at once.
  await printerState('paper_out');
  await until(kiosk, () => !document.querySelector('.svc[data-service="hotich"]').disabled, undefined, 5000);
  answer = kiosk.waitForResponse((r) => r.url().endsWith('/api/v1/tickets') && r.request().method() === 'POST');
  await kiosk.click('.svc[data-service="hotich"]');
  const third = await (await answer).json();
  assert.equal(third.print.state, 'failed');
  await until(kiosk, (n) => !document.querySelector('#print-failed').hidden
    && document.querySelector('#pf-number').textContent === n, third.number, 3000);
  await kiosk.setViewportSize({ width: 1920, height: 1080 });
  await shot(kiosk, 'kiosk-print-failed-1920x1080.png');
  assert.equal(jobs.length, 1, 'nothing printed while out of paper');

  // The supervisor sees the printer out of paper, in the printers card and the alert row.
  const sup = await openPage(browser, { width: 1920, height: 1080, log, errors, name: 'supervisor' });
  await sup.goto(`${daemon.origin}/supervisor?token=${TOKENS.supervisor}`);
  await until(sup, () => document.querySelector('#printers tr[data-state="paper_out"]'), undefined, 10000);
  await until(sup, () => /Máy in .*Kiosk sảnh.* hết giấy/.test(document.querySelector('#alerts').textContent));
  assert.match(await sup.textContent('#printers'), /hết giấy/);
  await shot(sup, 'supervisor-printers-1920x1080.png');
  assert.deepEqual(errors, []);
});
