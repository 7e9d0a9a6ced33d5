// End-to-end acceptance of the voice studio (issue 17) in Debian's chromium with a fake
// microphone fed from a known WAV: 0.8 s of silence, 1.2 s of a voiced sound, then silence
// (Chromium's --use-file-for-fake-audio-capture, played once). With the keyboard only, the real
// /voice page records the first missing clip in guided mode, saves it and moves on; a silent
// retake is refused with the server's message and changes nothing. Then: the stored clip is
// trimmed (its length within 100 ms of the 1.2 s of sound), its integrated loudness (EBU R128,
// measured here independently of the daemon) within 1 LU of the target, the next call's
// announcement (as a board with ?audio=1 fetches it, and as the preview renders it) contains
// it, and the voice pack downloaded from the page loads byte for byte on a second centre.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  startDaemon, stopDaemon, launchWith, openPage, shot, until, apiCall, freshDataDir, removeDir,
  REPO, TOKENS,
} from './lib.mjs';

const SPEECH_S = 1.2;
const CLIP = 'moi_cong_dan_co_so_thu_tu';
const NEXT = 'den_quay_so';

let dir;      // holds the WAV, the config, the downloaded pack
let dataDir;
let daemon;
let browser;
let studio;   // the /voice page
const log = [];
const errors = [];

/** The fake microphone's file: 48 kHz mono 16-bit; silence, a voiced burst, silence. */
function micWav(file) {
  const rate = 48000;
  const parts = [[0.8, false], [SPEECH_S, true], [1.6, false]];
  const n = parts.reduce((a, [s]) => a + Math.round(s * rate), 0);
  const buf = Buffer.alloc(44 + n * 2);
  buf.write('RIFF', 0); buf.writeUInt32LE(36 + n * 2, 4); buf.write('WAVE', 8);
  buf.write('fmt ', 12); buf.writeUInt32LE(16, 16); buf.writeUInt16LE(1, 20); buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24); buf.writeUInt32LE(rate * 2, 28); buf.writeUInt16LE(2, 32); buf.writeUInt16LE(16, 34);
  buf.write('data', 36); buf.writeUInt32LE(n * 2, 40);
  let i = 0;
  for (const [s, on] of parts) {
    const m = Math.round(s * rate);
    for (let k = 0; k < m; k++, i++) {
      const t = k / rate;
      let v = 0;
      if (on) {
        const ramp = Math.min(1, t / 0.02, (s - t) / 0.02);
        const am = 0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * t);
        const w = 2 * Math.PI * 220 * t;
        v = 0.2 * ramp * am * (Math.sin(w) + 0.5 * Math.sin(2 * w) + 0.25 * Math.sin(3 * w)) / 1.75;
      }
      buf.writeInt16LE(Math.round(v * 32767), 44 + i * 2);
    }
  }
  writeFileSync(file, buf);
}

/** A WAV file's format and samples (-1..1). */
function readWav(bytes) {
  assert.equal(bytes.toString('ascii', 0, 4), 'RIFF');
  let pos = 12;
  let fmt = null;
  while (pos + 8 <= bytes.length) {
    const id = bytes.toString('ascii', pos, pos + 4);
    const size = bytes.readUInt32LE(pos + 4);
    const body = pos + 8;
    if (id === 'fmt ') {
      fmt = { channels: bytes.readUInt16LE(body + 2), rate: bytes.readUInt32LE(body + 4), bits: bytes.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      const samples = new Float64Array(size / 2);
      for (let k = 0; k < samples.length; k++) samples[k] = bytes.readInt16LE(body + 2 * k) / 32768;
      return { ...fmt, samples, raw: Int16Array.from(samples, (x) => Math.round(x * 32768)) };
    }
    pos = body + size + (size & 1);
  }
  throw new Error('no data chunk');
}

/** Integrated loudness (ITU-R BS.1770-4 / EBU R128) of mono samples, in LUFS. */
function integratedLufs(x, rate) {
  // K-weighting: the high shelf and the high-pass of BS.1770, designed for this rate.
  const biquad = (b, a) => {
    const y = new Float64Array(x.length);
    let [x1, x2, y1, y2] = [0, 0, 0, 0];
    return (input) => {
      for (let n = 0; n < input.length; n++) {
        const v = b[0] * input[n] + b[1] * x1 + b[2] * x2 - a[1] * y1 - a[2] * y2;
        x2 = x1; x1 = input[n]; y2 = y1; y1 = v; y[n] = v;
      }
      return y;
    };
  };
  let f0 = 1681.974450955533, G = 3.999843853973347, Q = 0.7071752369554196;
  let K = Math.tan(Math.PI * f0 / rate);
  const Vh = 10 ** (G / 20), Vb = Vh ** 0.4996667741545416;
  let a0 = 1 + K / Q + K * K;
  const shelf = biquad([(Vh + Vb * K / Q + K * K) / a0, 2 * (K * K - Vh) / a0, (Vh - Vb * K / Q + K * K) / a0],
    [1, 2 * (K * K - 1) / a0, (1 - K / Q + K * K) / a0]);
  f0 = 38.13547087602444; Q = 0.5003270373238773; K = Math.tan(Math.PI * f0 / rate);
  a0 = 1 + K / Q + K * K;
  const hp = biquad([1, -2, 1], [1, 2 * (K * K - 1) / a0, (1 - K / Q + K * K) / a0]);
  const y = hp(Float64Array.from(shelf(x)));
  // 400 ms blocks every 100 ms; absolute gate -70 LUFS, relative gate -10 LU.
  const block = Math.round(0.4 * rate), step = Math.round(0.1 * rate);
  const z = [];
  for (let s = 0; s + block <= y.length; s += step) {
    let sum = 0;
    for (let k = s; k < s + block; k++) sum += y[k] * y[k];
    z.push(sum / block);
  }
  const lufs = (p) => -0.691 + 10 * Math.log10(p);
  const mean = (a) => a.reduce((p, q) => p + q, 0) / a.length;
  const abs = z.filter((p) => lufs(p) > -70);
  const rel = lufs(mean(abs)) - 10;
  return lufs(mean(abs.filter((p) => lufs(p) > rel)));
}

/** Whether `clip` appears in `whole` (16-bit samples, within 2 LSB: rendering re-quantises). */
function contains(whole, clip) {
  outer: for (let s = 0; s + clip.length <= whole.length; s++) {
    for (let k = 0; k < clip.length; k++) if (Math.abs(whole[s + k] - clip[k]) > 2) continue outer;
    return true;
  }
  return false;
}

/** The members of an (uncompressed) tar archive: name → bytes. */
function untar(buf) {
  const out = new Map();
  for (let pos = 0; pos + 512 <= buf.length;) {
    const name = buf.toString('utf8', pos, pos + 100).replace(/\0.*$/s, '');
    if (!name) break;
    const size = parseInt(buf.toString('ascii', pos + 124, pos + 136).replace(/\0.*$/s, '').trim(), 8);
    out.set(name, buf.subarray(pos + 512, pos + 512 + size));
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const state = (page, clip) => page.$eval(`#clips tr[data-clip="${clip}"]`, (tr) => tr.dataset.state);

before(async () => {
  dir = freshDataDir();
  dataDir = path.join(dir, 'data');
  const wav = path.join(dir, 'mic.wav');
  micWav(wav);
  const config = path.join(dir, 'centre.toml');
  const text = readFileSync(path.join(REPO, 'config/default.toml'), 'utf8');
  assert.ok(text.includes('output = "browser"'));
  writeFileSync(config, text.replace('output = "browser"', 'output = "browser"\nrecorded = "each"'));
  daemon = await startDaemon(dataDir, 0, { config });
  browser = await launchWith(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-audio-capture=${wav}%noloop`]);
});

after(async () => {
  await browser?.close();
  await stopDaemon(daemon);
  removeDir(dir);
});

test('the studio lists every clip with the words to read, and the dashboard links to it', async () => {
  const sup = await fetch(`${daemon.origin}/supervisor`).then((r) => r.text());
  assert.ok(sup.includes('href="/voice"'), 'the supervisor dashboard links to /voice');
  studio = await openPage(browser, { width: 1920, height: 1080, log, errors, name: 'voice' });
  await studio.goto(`${daemon.origin}/voice?token=${TOKENS.supervisor}`);
  await until(studio, (c) => document.querySelector(`#clips tr[data-clip="${c}"]`), NEXT);
  const texts = await studio.$$eval('#clips .say', (els) => els.map((e) => e.textContent));
  for (const t of ['Mời công dân có số thứ tự', 'đến quầy số', 'không', 'một', 'mốt', 'lăm', 'mươi', 'nghìn', 'linh']) {
    assert.ok(texts.includes(t), `${t} listed`);
  }
  const api = await apiCall(daemon.origin, 'GET', '/api/v1/voice', undefined, TOKENS.supervisor);
  const vi = api.data.languages.find((l) => l.lang === 'vi');
  assert.equal(vi.recorded, 0);
  assert.match(await studio.textContent('#progress-text'), new RegExp(`0/${vi.required}`));
  assert.equal(await state(studio, CLIP), 'builtin');
  await shot(studio, 'voice-1920x1080.png');
});

test('guided mode records, saves and moves on with the keyboard only; a silent retake is refused', async () => {
  const rec = '#recorder';
  await studio.keyboard.press('g');
  await until(studio, (c) => document.querySelector('#recorder').dataset.clip === c, CLIP);
  assert.equal(await studio.textContent('#rec-text'), 'Mời công dân có số thứ tự');
  await studio.keyboard.press('Space');
  await until(studio, () => document.querySelector('#recorder').dataset.state === 'recording');
  // The fake microphone plays its sound, then silence: stop 0.4 s into the silence.
  await until(studio, () => document.querySelector('#recorder').dataset.heard === '1', undefined, 10000);
  await until(studio, () => {
    const d = document.querySelector('#recorder').dataset;
    return Number(d.level) < -70 && Number(d.ms) > 2400;
  }, undefined, 10000);
  await studio.keyboard.press('Space');
  await until(studio, () => document.querySelector('#recorder').dataset.state === 'take', undefined, 10000);
  assert.equal(await studio.isEnabled('#save-take'), true);
  await shot(studio, 'voice-take.png');
  await studio.keyboard.press('Enter');
  await until(studio, (c) => document.querySelector(`#clips tr[data-clip="${c}"]`)?.dataset.state === 'recorded', CLIP, 15000);
  // Guided mode moved on to the next missing clip.
  await until(studio, (c) => document.querySelector('#recorder').dataset.clip === c, NEXT);
  const saved = await studio.textContent('#rec-status');
  assert.match(saved, /Đã lưu “Mời công dân có số thứ tự”/);
  await shot(studio, 'voice-saved.png');

  // R records again at once; the microphone's file is over, so this take is silent.
  await studio.keyboard.press('r');
  await until(studio, () => {
    const d = document.querySelector('#recorder').dataset;
    return d.state === 'recording' && Number(d.ms) > 800;
  }, undefined, 10000);
  await studio.keyboard.press('Space');
  await until(studio, () => document.querySelector('#recorder').dataset.state === 'take', undefined, 10000);
  await studio.keyboard.press('Enter');
  await until(studio, () => document.querySelector('#rec-status.err'), undefined, 15000);
  assert.match(await studio.textContent('#rec-status'), /không có tiếng/);
  assert.equal(await state(studio, NEXT), 'builtin', 'nothing changed');
  await shot(studio, 'voice-refused.png');
  await studio.keyboard.press('ArrowLeft');
  await until(studio, (c) => document.querySelector('#recorder').dataset.clip === c, CLIP);
  assert.match(await studio.textContent('#rec-pos'), /đã ghi/);
  // The refused take's 400 is the only failed request.
  const failed = errors.splice(0).filter((e) => !/Failed to load resource.*400/.test(e));
  assert.deepEqual(failed, []);
});

test('the stored clip is trimmed to the speech and levelled to the target', async () => {
  const bytes = readFileSync(path.join(dataDir, 'voice/vi', `${CLIP}.wav`));
  const wav = readWav(bytes);
  assert.deepEqual([wav.channels, wav.rate, wav.bits], [1, 22050, 16]);
  const secs = wav.samples.length / wav.rate;
  assert.ok(Math.abs(secs - SPEECH_S) <= 0.1, `stored clip ${secs.toFixed(3)} s, speech ${SPEECH_S} s`);
  const { data } = await apiCall(daemon.origin, 'GET', '/api/v1/voice', undefined, TOKENS.supervisor);
  const lufs = integratedLufs(wav.samples, wav.rate);
  assert.ok(Math.abs(lufs - data.target_lufs) <= 1, `${lufs.toFixed(2)} LUFS, target ${data.target_lufs}`);
  console.log(`stored clip: ${secs.toFixed(3)} s (speech ${SPEECH_S} s), ${lufs.toFixed(2)} LUFS (target ${data.target_lufs})`);
});

test("the next call's announcement contains the recorded clip", async () => {
  const stored = readFileSync(path.join(dataDir, 'voice/vi', `${CLIP}.wav`));
  const board = await openPage(browser, { width: 1280, height: 720, log, errors, name: 'board' });
  await board.goto(`${daemon.origin}/board?token=${TOKENS.display}&audio=1`);
  await until(board, () => document.querySelector('.svc[data-service="hotich"] .waiting'));
  const issued = await apiCall(daemon.origin, 'POST', '/api/v1/tickets', { service: 'hotich' }, TOKENS.kiosk);
  assert.equal(issued.status, 201);
  const login = await apiCall(daemon.origin, 'POST', '/api/v1/login', { staff: 'nv01', pin: '1234', counter: 1 });
  const called = await apiCall(daemon.origin, 'POST', '/api/v1/counters/1/next', undefined, login.data.token);
  assert.equal(called.data.ticket.number, issued.data.number);
  // The board fetches the recorded clip at its versioned URL.
  const want = `/sounds/vi/${CLIP}.wav?v=`;
  const deadline = Date.now() + 10000;
  let url = null;
  while (!url && Date.now() < deadline) {
    url = log.find((r) => r.page === 'board' && r.url.includes(want))?.url;
    if (!url) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(url, 'the board fetched the recorded clip');
  const served = Buffer.from(await (await fetch(url)).arrayBuffer());
  assert.ok(served.equals(stored), 'the URL serves the stored clip');
  // The whole announcement of that call, rendered by the daemon, contains it.
  const res = await fetch(`${daemon.origin}/api/v1/voice/preview?number=${issued.data.number}&counter=1`,
    { headers: { authorization: `Bearer ${TOKENS.supervisor}` } });
  assert.equal(res.headers.get('content-type'), 'audio/wav');
  const whole = readWav(Buffer.from(await res.arrayBuffer()));
  assert.ok(contains(whole.raw, readWav(stored).raw), 'the rendered announcement contains the clip');
  // The page's preview plays the same announcement and shows its words.
  await studio.fill('#pv-number', issued.data.number);
  await studio.fill('#pv-counter', '1');
  await studio.click('#preview-form button[type="submit"]');
  await until(studio, () => document.querySelector('#pv-text').textContent.includes('Mời công dân có số thứ tự'));
  assert.ok(log.some((r) => r.page === 'voice' && r.url.includes('/api/v1/voice/preview?number=')));
  await board.context().close();
});

test('the voice pack downloads from the page and loads byte for byte on a second centre', async () => {
  const stored = readFileSync(path.join(dataDir, 'voice/vi', `${CLIP}.wav`));
  const [download] = await Promise.all([studio.waitForEvent('download'), studio.click('#export')]);
  const file = path.join(dir, 'pack.tar');
  await download.saveAs(file);
  const members = untar(readFileSync(file));
  const manifest = JSON.parse(members.get('manifest.json').toString('utf8'));
  assert.equal(manifest.format, 'xephang-voice-pack');
  const entry = manifest.clips.find((c) => c.clip === CLIP);
  assert.equal(entry.sha256, sha256(stored));
  assert.equal(entry.text, 'Mời công dân có số thứ tự');

  const otherDir = freshDataDir();
  const other = await startDaemon(otherDir);
  try {
    const page = await openPage(browser, { width: 1366, height: 768, log, errors, name: 'voice-2' });
    await page.goto(`${other.origin}/voice?token=${TOKENS.supervisor}&lang=en`);
    await until(page, (c) => document.querySelector(`#clips tr[data-clip="${c}"]`), CLIP);
    await page.setInputFiles('#import', file);
    await until(page, () => !document.querySelector('#import-confirm').hidden);
    await page.click('#import-go');
    await until(page, (c) => document.querySelector(`#clips tr[data-clip="${c}"]`)?.dataset.state === 'recorded', CLIP, 15000);
    const copied = readFileSync(path.join(otherDir, 'voice/vi', `${CLIP}.wav`));
    assert.ok(copied.equals(stored), 'byte-identical clip on the second centre');
    await shot(page, 'voice-1366x768-en.png');
    await page.context().close();
  } finally {
    await stopDaemon(other);
    removeDir(otherDir);
  }
  assert.deepEqual(errors, []);
});
