// Helpers of xephang's end-to-end tests: start and stop a real daemon, launch Debian's
// chromium through playwright-core, log every request of every page, decode QR codes.
import { before, after } from 'node:test';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.XEPHANG_BIN
  ? path.resolve(process.env.XEPHANG_BIN)
  : path.join(REPO, 'target/debug/xephang');
export const SHOTS = path.join(REPO, 'target/e2e');
mkdirSync(SHOTS, { recursive: true });

export const TOKENS = {
  display: 'demo-display-token-0001',
  kiosk: 'demo-kiosk-token-00001',
  rating: (n) => `demo-rating-token-000${n}`,
  supervisor: 'demo-supervisor-token-01',
};

/** The `[[staff]]` tables of config/default.toml (demo PINs 1234 and 9999), for test centres. */
export function demoStaffToml() {
  const text = readFileSync(path.join(REPO, 'config/default.toml'), 'utf8');
  const out = [];
  let inStaff = false;
  for (const line of text.split('\n')) {
    const t = line.trimStart();
    if (t.startsWith('[')) inStaff = t.startsWith('[[staff]]');
    if (inStaff) out.push(line);
  }
  return out.join('\n');
}

export function freshDataDir() {
  return mkdtempSync(path.join(tmpdir(), 'xephang-e2e-'));
}
export function removeDir(dir) {
  try { rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
}

/**
 * Starts `xephang run --data-dir DIR --bind 127.0.0.1:PORT` (PORT 0: any free port) and
 * resolves once it printed `xephang listening on http://ADDR`. opts: `config` (a config
 * file; default the embedded demo centre) and `env` (extra environment variables, e.g. the
 * test clock XEPHANG_TEST_CLOCK_OFFSET_S).
 */
export function startDaemon(dataDir, port = 0, opts = {}) {
  // Test centres reuse the demo's public PINs and tokens: refused without --demo.
  return startDaemonWith(dataDir, port, { ...opts, args: opts.config ? ['--demo'] : [] });
}

/** Stops a daemon: SIGKILL for a crash, SIGTERM otherwise; resolves when it is gone. */
export function stopDaemon(d, signal = 'SIGTERM') {
  return new Promise((resolve) => {
    if (!d || d.proc.exitCode !== null || d.proc.signalCode !== null) { resolve(); return; }
    const t = setTimeout(() => d.proc.kill('SIGKILL'), 5000);
    d.proc.once('exit', () => { clearTimeout(t); resolve(); });
    d.proc.kill(signal);
  });
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required'],
  });
}

/**
 * Replaces `window.print` in every page of a context before any script runs, so that no test
 * depends on how a given headless chromium build treats the native print (some hold the page
 * "being printed" for seconds, and `page.pdf()` then fails). Each call is recorded in
 * `window.__prints` as the `data-printed` number of the body at the time of the call.
 * `printer`: 'record' (default) returns at once; 'throw' throws like a print with no printer;
 * a number holds the page's thread that many ms (a slow driver) before returning.
 */
export async function stubPrint(context, printer = 'record') {
  await context.addInitScript((mode) => {
    window.__prints = [];
    window.print = () => {
      window.__prints.push(document.body?.dataset.printed ?? null);
      if (mode === 'throw') throw new Error('no printer (test)');
      if (typeof mode === 'number') { const end = Date.now() + mode; while (Date.now() < end) { /* held */ } }
    };
  }, printer);
}

/**
 * A page of its own (own context: own localStorage) with a viewport; every request and
 * WebSocket it opens is appended to `log`, page errors to `errors`. `window.print` is
 * stubbed (see stubPrint; `printer` chooses how it behaves).
 */
export async function openPage(browser, { width, height, log, errors, name, printer }) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  await stubPrint(context, printer);
  context.on('request', (r) => log.push({ page: name, url: r.url() }));
  const page = await context.newPage();
  page.on('websocket', (ws) => log.push({ page: name, url: ws.url() }));
  page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${name} console: ${m.text()}`); });
  return page;
}

export async function shot(page, file, opts = {}) {
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: path.join(SHOTS, file), ...opts });
}

/** Waits until fn(arg) is truthy in the page, polling every 25 ms. */
export function until(page, fn, arg, timeout = 5000) {
  return page.waitForFunction(fn, arg, { timeout, polling: 25 });
}

/** Decodes the QR code in a PNG screenshot. */
export function decodeQr(png) {
  const img = PNG.sync.read(png);
  const code = jsQR(new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length), img.width, img.height);
  return code ? code.data : null;
}

export async function apiCall(origin, method, p, body, tok) {
  const headers = { 'content-type': 'application/json' };
  if (tok) headers.authorization = `Bearer ${tok}`;
  const r = await fetch(origin + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let data = null;
  try { data = JSON.parse(text); } catch { data = text; }
  return { status: r.status, data };
}

/** Every request that did not go to the daemon (data: and blob: URLs are local). */
export function foreignRequests(log, host) {
  return log.filter(({ url }) => {
    if (/^(data|blob|about):/.test(url)) return false;
    try { return new URL(url).host !== host; } catch { return true; }
  });
}

/**
 * Like openPage, but the page's Content-Security-Policy is bypassed so that a test can inject
 * a script of its own into it (axe-core through page.addScriptTag; the daemon's CSP allows
 * no inline script). Only for audits: the pages' own behaviour is unchanged.
 */
export async function openAuditPage(browser, { width, height, log, errors, name, printer }) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1, bypassCSP: true });
  await stubPrint(context, printer);
  context.on('request', (r) => log.push({ page: name, url: r.url() }));
  const page = await context.newPage();
  page.on('websocket', (ws) => log.push({ page: name, url: ws.url() }));
  page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${name} console: ${m.text()}`); });
  return page;
}

/**
 * Like startDaemon, with extra `xephang run` arguments (`opts.args`) and a start-up line that
 * may be `https://` (a config with `[server] tls_cert`): resolves to the same shape.
 */
export function startDaemonWith(dataDir, port = 0, opts = {}) {
  return new Promise((resolve, reject) => {
    const args = ['run', '--data-dir', dataDir, '--bind', `127.0.0.1:${port}`, ...(opts.args || [])];
    if (opts.config) args.push('--config', opts.config);
    const proc = spawn(BIN, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn', ...(opts.env || {}) },
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`xephang did not print its address within 30 s\nstdout:\n${out}\nstderr:\n${err}`));
    }, 30000);
    proc.stderr.on('data', (d) => { err = (err + d).slice(-20000); });
    let done = false;
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /xephang listening on (https?:\/\/[^\s]+)/.exec(out);
      if (m && !done) {
        done = true;
        clearTimeout(timer);
        const url = new URL(m[1]);
        resolve({ proc, origin: url.origin, host: url.host, port: Number(url.port), stderr: () => err, stdout: () => out });
      }
    });
    proc.on('error', (e) => { clearTimeout(timer); reject(new Error(`cannot start ${BIN}: ${e.message}`)); });
    proc.on('exit', (code, sig) => {
      clearTimeout(timer);
      if (!done) reject(new Error(`xephang exited (${code ?? sig}) before listening\nstdout:\n${out}\nstderr:\n${err}`));
    });
  });
}

/**
 * Launches chromium like `launch`, with `extra` arguments (e.g. a fake microphone:
 * `--use-fake-device-for-media-stream --use-fake-ui-for-media-stream
 * --use-file-for-fake-audio-capture=FILE.wav%noloop`); `autoplay: false` leaves out
 * `--autoplay-policy=no-user-gesture-required`, so a page's sound is blocked until a user
 * gesture, as on a TV whose browser was started without the flag.
 */
export async function launchWith(extra = [], { autoplay = true } = {}) {
  const args = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  if (autoplay) args.push('--autoplay-policy=no-user-gesture-required');
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [...args, ...extra],
  });
}

/** Chromium with the browser's default autoplay policy (sound needs a user gesture). */
export function launchNoAutoplay(extra = []) {
  return launchWith(extra, { autoplay: false });
}

/**
 * Chromium that trusts the certificates whose public keys are listed (base64 SHA-256 of the
 * SubjectPublicKeyInfo, `--ignore-certificate-errors-spki-list`), and no other untrusted one.
 */
export function launchTrusting(spkiHashes, opts = {}) {
  return launchWith([`--ignore-certificate-errors-spki-list=${spkiHashes.join(',')}`], opts);
}

/** Seconds from now to `hh`:00 today at UTC+7 (the demo centre's zone), for the test clock
 * XEPHANG_TEST_CLOCK_OFFSET_S. */
export function offsetToLocalHour(hh) {
  const now = Date.now();
  const local = new Date(now + 7 * 3600e3);
  const at = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), hh, 0, 0) - 7 * 3600e3;
  return Math.round((at - now) / 1000);
}

/**
 * The province hub's PostgreSQL for browser tests: a new database in the cluster of
 * XEPHANG_DATABASE_URL (tests/pg.sh), its URL; null when the variable is unset (the caller
 * skips — except under CI, where this throws).
 */
export function hubDatabase() {
  const base = process.env.XEPHANG_DATABASE_URL;
  if (!base) {
    if (process.env.CI === 'true') throw new Error('XEPHANG_DATABASE_URL is not set under CI (run ./test.sh: tests/pg.sh starts PostgreSQL)');
    return null;
  }
  const name = `xe2e_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  execFileSync('psql', [base, '-q', '-c', `CREATE DATABASE ${name}`]);
  return base.replace(/\/[^/]*$/, `/${name}`);
}

/**
 * Starts `xephang hub --config FILE --bind 127.0.0.1:0` on database `db`; resolves once it
 * printed `xephang hub listening on http://ADDR` (same shape as startDaemon's result).
 */
export function startHub(config, db) {
  return new Promise((resolve, reject) => {
    const proc = spawn(BIN, ['hub', '--config', config, '--bind', '127.0.0.1:0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn', XEPHANG_DATABASE_URL: db },
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`xephang hub did not print its address within 60 s\n${out}\n${err}`));
    }, 60000);
    proc.stderr.on('data', (d) => { err = (err + d).slice(-20000); });
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /xephang hub listening on (http:\/\/[^\s]+)/.exec(out);
      if (m && timer) {
        clearTimeout(timer);
        const url = new URL(m[1]);
        resolve({ proc, origin: url.origin, host: url.host, port: Number(url.port), stderr: () => err });
      }
    });
    proc.on('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`xephang hub exited (${code ?? sig}) before listening\n${out}\n${err}`));
    });
  });
}

/**
 * The set-up most browser test files share: before the file's tests, a fresh data dir, a
 * daemon (`start(dataDir)`: by default the demo centre on the real clock) and a browser;
 * after them, all three gone. Returns them as `lab.daemon`, `lab.browser`, `lab.dataDir`,
 * set once started (a test may put a restarted daemon in `lab.daemon`: that one is stopped).
 */
export function useDaemonAndBrowser(start = (dir) => startDaemon(dir)) {
  const lab = {};
  before(async () => {
    lab.dataDir = freshDataDir();
    lab.daemon = await start(lab.dataDir);
    lab.browser = await launch();
  });
  after(async () => {
    await lab.browser?.close();
    await stopDaemon(lab.daemon);
    removeDir(lab.dataDir);
  });
  return lab;
}

/** `startDaemon` for `useDaemonAndBrowser`: the demo centre with the test clock at `hour`:00. */
export const demoAtHour = (hour) => (dir) =>
  startDaemon(dir, 0, { env: { XEPHANG_TEST_CLOCK_OFFSET_S: String(offsetToLocalHour(hour)) } });
