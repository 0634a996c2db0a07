// The emoji picker, sticker packs, and voice recording.

export const EMOJI = [...'😀😂🥲😊😍🥰😘😎🤔🙄😴😭😡🤯🥳😇🤗🙈👋👍👎👏🙏💪🎉🔥✨❤️💔💯✅❌⭐🌈☀️🌧️🍕🍻☕🎂🎁🐱🐶🚀⚽🎵'.match(/\p{Extended_Pictographic}\uFE0F?/gu)];

/** Whether a text is only emoji (shown large). */
export function emojiOnly(text) {
  const trimmed = text.replace(/\s/g, '');
  return trimmed.length > 0 && trimmed.length <= 16 && /^(\p{Extended_Pictographic}|\uFE0F|\u200D)+$/u.test(trimmed);
}

export async function loadStickerPacks() {
  const response = await fetch('/stickers/packs.json');
  return response.ok ? response.json() : [];
}

/** Records from the microphone until stopped; `stop()` resolves with a Blob, `cancel()` discards. */
export class VoiceRecorder {
  constructor(onTick) {
    this.onTick = onTick;
  }

  async start() {
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const type = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4'].find((t) => MediaRecorder.isTypeSupported(t));
    this.recorder = new MediaRecorder(this.stream, type ? { mimeType: type } : undefined);
    this.chunks = [];
    this.recorder.ondataavailable = (e) => e.data.size && this.chunks.push(e.data);
    this.started = Date.now();
    this.recorder.start();
    this.ticker = setInterval(() => this.onTick(Date.now() - this.started), 200);
  }

  elapsed() {
    return Date.now() - this.started;
  }

  stop() {
    return new Promise((resolve) => {
      this.recorder.onstop = () => {
        this.release();
        resolve(new Blob(this.chunks, { type: this.recorder.mimeType || 'audio/webm' }));
      };
      this.recorder.stop();
    });
  }

  cancel() {
    if (this.recorder?.state === 'recording') {
      this.recorder.onstop = () => this.release();
      this.recorder.stop();
    } else {
      this.release();
    }
  }

  release() {
    clearInterval(this.ticker);
    this.stream?.getTracks().forEach((t) => t.stop());
  }
}

export function formatDuration(ms) {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
