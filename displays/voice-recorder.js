// The microphone of the voice studio (voice.html): opened on the first recording (getUserMedia,
// no echo cancellation, noise suppression or automatic gain: the server levels the clip), a
// live level meter (Web Audio analyser, every 50 ms), takes recorded with MediaRecorder in the
// browser's own format (WebM/Opus in Chromium, Ogg/Opus in Firefox: the server decodes both),
// and the last take kept for playback, its waveform drawn, until it is saved or discarded.

const TICK_MS = 50;
/** A take whose loudest moment stays under this (dBFS) is "nothing heard". */
export const HEARD_DB = -35;

const dbOf = (x) => (x > 0 ? 20 * Math.log10(x) : -120);

/**
 * A recorder. `onLevel({peakDb, rmsDb, heard, ms, recording})` is called every tick once the
 * microphone is open; `onChange(state)` when the state changes: 'idle', 'opening',
 * 'recording', 'take' (a take is ready), 'error'.
 */
export function makeRecorder({ onLevel, onChange }) {
  let stream = null;
  let ctx = null;
  let analyser = null;
  let buf = null;
  let timer = null;
  let rec = null;
  let chunks = [];
  let started = 0;
  let heard = false;
  let peakMax = -120;
  let take = null; // {blob, url, seconds, peaks}
  let state = 'idle';
  let player = null;

  const set = (s) => { state = s; onChange(s); };

  async function open() {
    if (stream) return;
    set('opening');
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 },
    });
    const Ctx = window.AudioContext || window.webkitAudioContext;
    ctx = new Ctx();
    if (ctx.state === 'suspended') await ctx.resume().catch(() => {});
    analyser = ctx.createAnalyser();
    analyser.fftSize = 2048;
    buf = new Float32Array(analyser.fftSize);
    ctx.createMediaStreamSource(stream).connect(analyser);
    timer = setInterval(tick, TICK_MS);
  }

  function tick() {
    analyser.getFloatTimeDomainData(buf);
    let peak = 0;
    let sum = 0;
    for (const s of buf) { peak = Math.max(peak, Math.abs(s)); sum += s * s; }
    const peakDb = dbOf(peak);
    const recording = state === 'recording';
    if (recording) {
      peakMax = Math.max(peakMax, peakDb);
      if (peakDb > HEARD_DB) heard = true;
    }
    onLevel({
      peakDb, rmsDb: dbOf(Math.sqrt(sum / buf.length)), heard, peakMax,
      ms: recording ? performance.now() - started : 0, recording,
    });
  }

  function mimeType() {
    for (const t of ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm', 'audio/ogg']) {
      if (window.MediaRecorder?.isTypeSupported?.(t)) return t;
    }
    return '';
  }

  async function start() {
    discard();
    await open();
    const type = mimeType();
    rec = new MediaRecorder(stream, type ? { mimeType: type } : {});
    chunks = [];
    rec.ondataavailable = (e) => { if (e.data?.size) chunks.push(e.data); };
    heard = false;
    peakMax = -120;
    started = performance.now();
    rec.start(250);
    set('recording');
  }

  /** Stops recording; resolves once the take is ready. */
  function stop() {
    if (!rec || rec.state === 'inactive') return Promise.resolve(take);
    return new Promise((resolve) => {
      rec.onstop = async () => {
        const blob = new Blob(chunks, { type: rec.mimeType || 'audio/webm' });
        rec = null;
        take = { blob, url: URL.createObjectURL(blob), seconds: (performance.now() - started) / 1000, peaks: null, heard, peakMax };
        try {
          const audio = await ctx.decodeAudioData(await blob.arrayBuffer());
          take.seconds = audio.duration;
          take.peaks = envelope(audio.getChannelData(0), 300);
        } catch { /* the server decodes it anyway */ }
        set('take');
        resolve(take);
      };
      rec.stop();
    });
  }

  function discard() {
    stopPlayback();
    if (take) URL.revokeObjectURL(take.url);
    take = null;
  }

  function stopPlayback() {
    if (player) { player.pause(); player = null; }
  }

  /** Plays a URL (a take's blob URL, or a clip fetched by the page). */
  function play(url) {
    stopPlayback();
    player = new Audio(url);
    return player.play();
  }

  return {
    start, stop, discard, play, stopPlayback,
    get state() { return state; },
    get take() { return take; },
    get recording() { return state === 'recording'; },
    reset() { discard(); set('idle'); },
    fail() { set('error'); },
  };
}

/** Peak of each of `n` slices of the samples, for the waveform. */
function envelope(samples, n) {
  const out = new Float32Array(n);
  const step = Math.max(1, Math.floor(samples.length / n));
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let k = i * step; k < Math.min(samples.length, (i + 1) * step); k++) m = Math.max(m, Math.abs(samples[k]));
    out[i] = m;
  }
  return out;
}

/** Draws a take's waveform (peaks 0..1) on a canvas. */
export function drawWave(canvas, peaks) {
  const g = canvas.getContext('2d');
  const { width: w, height: h } = canvas;
  g.clearRect(0, 0, w, h);
  if (!peaks) return;
  const top = Math.max(0.05, ...peaks);
  g.fillStyle = '#1b4173';
  const bw = w / peaks.length;
  peaks.forEach((p, i) => {
    const bh = Math.max(1, (p / top) * (h - 4));
    g.fillRect(i * bw, (h - bh) / 2, Math.max(1, bw - 0.5), bh);
  });
}
