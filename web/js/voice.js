// Voice: recording with MediaRecorder (with a live level meter for the waveform) and the player
// drawn in the timeline (play/pause, waveform bars that fill as it plays, duration).

import { h, icon, ICONS, duration } from './ui.js';

export const WAVEFORM_BARS = 48;
const PREFERRED = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm', 'audio/ogg', 'audio/mp4'];

/** The first recording type the browser supports and the upload service accepts. */
function pickMime(accepted) {
  if (typeof MediaRecorder === 'undefined') return null;
  const ok = (type) => !accepted?.length || accepted.includes(type.split(';')[0]);
  return PREFERRED.find((type) => MediaRecorder.isTypeSupported(type) && ok(type)) ?? '';
}

/** Explains a getUserMedia failure in plain words. */
function micError(error) {
  if (error?.name === 'NotAllowedError') return 'Microphone access was refused. Allow it in the browser to record voice messages.';
  if (error?.name === 'NotFoundError') return 'No microphone was found.';
  return 'The microphone could not be started.';
}

/** Records one clip; `onTick(ms)` reports the elapsed time; stops by itself at `maxMs`. */
export class VoiceRecorder {
  constructor({ acceptedTypes, maxMs, onTick, onLimit }) {
    this.acceptedTypes = acceptedTypes;
    this.maxMs = maxMs;
    this.onTick = onTick;
    this.onLimit = onLimit;
    this.levels = [];
  }

  static supported() {
    return typeof MediaRecorder !== 'undefined' && !!navigator.mediaDevices?.getUserMedia;
  }

  async start() {
    if (!VoiceRecorder.supported()) throw new Error('This browser cannot record audio.');
    const mime = pickMime(this.acceptedTypes);
    if (mime === null) throw new Error('This browser cannot record audio.');
    try {
      // A voice note is recorded as spoken: no call-style noise suppression eating quiet syllables.
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: true } });
    } catch (error) {
      throw new Error(micError(error));
    }
    this.chunks = [];
    this.recorder = new MediaRecorder(this.stream, mime ? { mimeType: mime } : undefined);
    this.recorder.ondataavailable = (e) => e.data.size && this.chunks.push(e.data);
    this.stopped = new Promise((resolve) => {
      this.recorder.onstop = resolve;
    });
    this.recorder.start(250);
    this.startedAt = performance.now();
    this.meter();
    this.timer = setInterval(() => {
      const ms = this.elapsed();
      this.onTick?.(ms);
      if (this.maxMs && ms >= this.maxMs) this.onLimit?.();
    }, 200);
  }

  elapsed() {
    return this.startedAt ? (this.endedAt ?? performance.now()) - this.startedAt : 0;
  }

  /** Samples the input level ten times a second, for a waveform before the server measures one. */
  meter() {
    try {
      this.audio = new AudioContext();
      const source = this.audio.createMediaStreamSource(this.stream);
      const analyser = this.audio.createAnalyser();
      analyser.fftSize = 512;
      source.connect(analyser);
      const data = new Uint8Array(analyser.fftSize);
      this.meterTimer = setInterval(() => {
        analyser.getByteTimeDomainData(data);
        let sum = 0;
        for (const v of data) sum += (v - 128) ** 2;
        this.levels.push(Math.min(255, Math.round(Math.sqrt(sum / data.length) * 6)));
      }, 100);
    } catch {
      this.levels = [];
    }
  }

  /** Stops; resolves with `{blob, durationMs, waveform}`. */
  async stop() {
    if (!this.recorder) return null;
    this.endedAt = performance.now();
    if (this.recorder.state !== 'inactive') this.recorder.stop();
    await this.stopped;
    this.release();
    const type = this.recorder.mimeType || this.chunks[0]?.type || 'audio/webm';
    return { blob: new Blob(this.chunks, { type: type.split(';')[0] }), durationMs: this.elapsed(), waveform: resample(this.levels, WAVEFORM_BARS) };
  }

  cancel() {
    if (this.recorder && this.recorder.state !== 'inactive') this.recorder.stop();
    this.release();
  }

  release() {
    clearInterval(this.timer);
    clearInterval(this.meterTimer);
    this.stream?.getTracks().forEach((t) => t.stop());
    this.audio?.close().catch(() => {});
    this.audio = null;
  }
}

/** Squeezes or stretches a list of levels to `n` bars. */
export function resample(levels, n) {
  if (!levels.length) return new Array(n).fill(0);
  return Array.from({ length: n }, (_, i) => {
    const from = Math.floor((i * levels.length) / n);
    const to = Math.max(from + 1, Math.floor(((i + 1) * levels.length) / n));
    const part = levels.slice(from, to);
    return Math.round(part.reduce((a, b) => a + b, 0) / part.length);
  });
}

/** Reads a voice message's memo `{duration_ms, waveform}`; tolerant of anything else. */
export function parseMemo(memo) {
  try {
    const data = JSON.parse(memo);
    return { durationMs: Number(data.duration_ms) || 0, waveform: Array.isArray(data.waveform) ? data.waveform : [] };
  } catch {
    return { durationMs: 0, waveform: [] };
  }
}

let playing = null;

/** A voice player: play/pause, waveform bars that fill while playing, and the duration. */
export function voicePlayer({ src, durationMs, waveform, disabled = false }) {
  const bars = resample(waveform?.length ? waveform : [], WAVEFORM_BARS);
  const peak = Math.max(1, ...bars);
  const barEls = bars.map((v) => h('i', { style: { height: `${Math.max(12, Math.round((v / peak) * 100))}%` } }));
  const wave = h('span', { class: 'wave', testid: 'voice-wave' }, barEls);
  const label = h('span', { class: 'voice-duration', testid: 'voice-duration', dataset: { ms: String(Math.round(durationMs)) } }, duration(durationMs));
  const button = h('button', { type: 'button', class: 'play', testid: 'voice-play', 'aria-label': 'Play voice message', disabled }, icon(ICONS.play));
  const audio = h('audio', { preload: 'none', testid: 'voice-audio', src: src || null });
  const root = h('div', { class: 'voice', dataset: { playing: 'false' } }, button, wave, label, audio);
  let wired = false;

  const paint = (fraction) => {
    const lit = Math.round(fraction * barEls.length);
    barEls.forEach((bar, i) => bar.classList.toggle('lit', i < lit));
  };
  const setPlaying = (on) => {
    root.dataset.playing = String(on);
    button.replaceChildren(icon(on ? ICONS.pause : ICONS.play));
    button.setAttribute('aria-label', on ? 'Pause voice message' : 'Play voice message');
  };
  const stop = () => {
    audio?.pause();
    setPlaying(false);
  };

  button.addEventListener('click', () => {
    if (!wired) {
      wired = true;
      audio.addEventListener('timeupdate', () => {
        const total = durationMs / 1000 || audio.duration || 1;
        paint(Math.min(1, audio.currentTime / total));
        label.textContent = duration(audio.currentTime * 1000);
      });
      audio.addEventListener('ended', () => {
        setPlaying(false);
        paint(0);
        label.textContent = duration(durationMs);
        if (playing?.stop === stop) playing = null;
      });
      audio.addEventListener('error', () => {
        setPlaying(false);
        root.classList.add('broken');
        label.textContent = 'Cannot play';
      });
    }
    if (audio.paused) {
      if (playing && playing.stop !== stop) playing.stop();
      playing = { stop };
      audio.play().then(() => setPlaying(true)).catch(() => setPlaying(false));
      setPlaying(true);
    } else {
      stop();
    }
  });
  return root;
}
