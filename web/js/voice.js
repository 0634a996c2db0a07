// Voice: recording with MediaRecorder (with a live level meter for the waveform) and the player
// drawn in the timeline (play/pause, waveform bars that fill as it plays and seek on a click or
// the arrow keys, duration, speed 1×, 1.5×, 2×).

import { fmt, t } from './i18n.js';
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
  if (error?.name === 'NotAllowedError') return t('voice.micRefused');
  if (error?.name === 'NotFoundError') return t('voice.noMic');
  return t('voice.micFailed');
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
    if (!VoiceRecorder.supported()) throw new Error(t('voice.noRecording'));
    const mime = pickMime(this.acceptedTypes);
    if (mime === null) throw new Error(t('voice.noRecording'));
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

/** The playback speeds offered, in turn; a new player starts at the one chosen last. */
const RATES = [1, 1.5, 2];
const RATE_KEY = 'natter.voice.rate';
const SEEK_STEP_S = 1;
const SEEK_PAGE_S = 5;
let playing = null;

function savedRate() {
  const rate = Number(localStorage.getItem(RATE_KEY));
  return RATES.includes(rate) ? rate : 1;
}

function rateLabel(rate) {
  return `${fmt.number.format(rate)}×`;
}

/**
 * A voice player: play/pause, a waveform that fills while playing and is a slider (click a bar,
 * or Left/Right, PageUp/PageDown, Home/End) to seek, the position, and a speed button.
 */
export function voicePlayer({ src, durationMs, waveform, disabled = false }) {
  const bars = resample(waveform?.length ? waveform : [], WAVEFORM_BARS);
  const peak = Math.max(1, ...bars);
  const barEls = bars.map((v) => h('i', { style: { height: `${Math.max(12, Math.round((v / peak) * 100))}%` } }));
  const totalS = () => (durationMs / 1000) || (Number.isFinite(audio.duration) ? audio.duration : 0) || 1;
  const wave = h('span', {
    class: 'wave', testid: 'voice-wave', role: 'slider', tabindex: disabled ? '-1' : '0', 'aria-label': t('voice.seek'),
    'aria-valuemin': '0', 'aria-valuemax': String(Math.round(durationMs / 1000)), 'aria-valuenow': '0',
    'aria-disabled': disabled ? 'true' : null,
  }, barEls);
  const label = h('span', { class: 'voice-duration', testid: 'voice-duration', dataset: { ms: String(Math.round(durationMs)) } }, duration(durationMs));
  const button = h('button', { type: 'button', class: 'play', testid: 'voice-play', 'aria-label': t('voice.play'), disabled }, icon(ICONS.play));
  const speed = h('button', { type: 'button', class: 'speed', testid: 'voice-speed', disabled }, rateLabel(savedRate()));
  const audio = h('audio', { preload: 'none', testid: 'voice-audio', src: src || null });
  const root = h('div', { class: 'voice', dataset: { playing: 'false' } }, button, wave, label, speed, audio);
  let wired = false;

  const paint = (seconds) => {
    const fraction = Math.min(1, Math.max(0, seconds / totalS()));
    const lit = Math.round(fraction * barEls.length);
    barEls.forEach((bar, i) => bar.classList.toggle('lit', i < lit));
    wave.setAttribute('aria-valuenow', String(Math.round(seconds)));
    wave.setAttribute('aria-valuetext', t('voice.position', { position: duration(seconds * 1000), duration: duration(durationMs) }));
  };
  const setPlaying = (on) => {
    root.dataset.playing = String(on);
    button.replaceChildren(icon(on ? ICONS.pause : ICONS.play));
    button.setAttribute('aria-label', t(on ? 'voice.pause' : 'voice.play'));
  };
  const paintRate = () => {
    speed.textContent = rateLabel(audio.playbackRate);
    speed.setAttribute('aria-label', t('voice.speed', { rate: rateLabel(audio.playbackRate) }));
  };
  const stop = () => {
    audio.pause();
    setPlaying(false);
  };
  const wire = () => {
    if (wired) return;
    wired = true;
    audio.preload = 'auto';
    audio.addEventListener('timeupdate', () => {
      paint(audio.currentTime);
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
      label.textContent = t('voice.cannotPlay');
    });
  };
  /** Moves to `seconds` (clamped); loads the clip first when it has not been loaded. */
  const seek = async (seconds) => {
    if (disabled) return;
    wire();
    const target = Math.min(Math.max(0, seconds), Math.max(0, totalS() - 0.05));
    paint(target);
    label.textContent = duration(target * 1000);
    if (audio.readyState === 0) {
      audio.load();
      await new Promise((resolve) => {
        audio.addEventListener('loadedmetadata', resolve, { once: true });
        audio.addEventListener('error', resolve, { once: true });
      });
    }
    audio.currentTime = target;
  };

  audio.playbackRate = savedRate();
  audio.defaultPlaybackRate = audio.playbackRate;
  paintRate();
  speed.addEventListener('click', () => {
    const next = RATES[(RATES.indexOf(audio.playbackRate) + 1) % RATES.length] ?? 1;
    audio.playbackRate = next;
    audio.defaultPlaybackRate = next;
    localStorage.setItem(RATE_KEY, String(next));
    paintRate();
  });
  wave.addEventListener('click', (e) => {
    const rect = wave.getBoundingClientRect();
    seek(((e.clientX - rect.left) / rect.width) * totalS());
  });
  wave.addEventListener('keydown', (e) => {
    const now = wired ? audio.currentTime : 0;
    const moves = { ArrowRight: SEEK_STEP_S, ArrowUp: SEEK_STEP_S, ArrowLeft: -SEEK_STEP_S, ArrowDown: -SEEK_STEP_S, PageUp: SEEK_PAGE_S, PageDown: -SEEK_PAGE_S };
    if (e.key in moves) seek(now + moves[e.key]);
    else if (e.key === 'Home') seek(0);
    else if (e.key === 'End') seek(totalS());
    else if (e.key === ' ' || e.key === 'Enter') button.click();
    else return;
    e.preventDefault();
  });
  button.addEventListener('click', () => {
    wire();
    if (audio.paused) {
      if (playing && playing.stop !== stop) playing.stop();
      playing = { stop };
      audio.play().then(() => setPlaying(true)).catch(() => setPlaying(false));
      setPlaying(true);
    } else {
      stop();
    }
  });
  paint(0);
  return root;
}
