// The composer: text (Enter sends, Shift+Enter breaks the line, drafts kept per conversation
// across reloads), typing notices, the emoji and sticker pickers (arrow keys inside, Escape back
// to the text), images (chooser, paste, drag and drop) and voice recording.

import { EMOJI_GROUPS, loadStickerPacks, packLabel, stickerLabel } from './emoji.js';
import { onLanguageChange, t } from './i18n.js';
import { gridNavigation } from './keyboard.js';
import { duration, h, spokenDuration, toast } from './ui.js';
import { VoiceRecorder } from './voice.js';

const $ = (id) => document.getElementById(id);
const PICKERS = { 'emoji-picker': 'emoji-button', 'sticker-picker': 'sticker-button' };

export class Composer {
  /** `drafts` keeps unsent text (drafts.js); `onSent()` is told after the user sent a message. */
  constructor(store, chat, { drafts, onSent = () => {}, onLeave = () => {} }) {
    this.store = store;
    this.chat = chat;
    this.drafts = drafts;
    this.onSent = onSent;
    this.onLeave = onLeave;
    this.input = $('composer-input');
    this.wireText();
    this.wirePickers();
    this.wireImages();
    this.wireVoice();
    document.addEventListener('click', (e) => this.closePickersOutside(e));
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.openPicker()) this.closePickers({ focus: true });
    });
    onLanguageChange(() => {
      this.refresh();
      this.buildEmoji();
      if (this.packs) this.buildStickers(this.packs);
      if (this.recorder) $('rec-label').textContent = t(this.clip ? 'composer.ready' : 'composer.recording');
    });
  }

  get conv() {
    return this.store.activeConv;
  }

  /** Called when another conversation opens: the draft of the one left is kept, the new one's restored. */
  switchTo(previous) {
    if (previous) this.drafts.set(previous, this.input.value);
    this.input.value = this.drafts.get(this.conv);
    this.cancelRecording();
    this.closePickers();
    this.refresh();
  }

  /** Puts the focus in the text box (not on touch screens, where it would open the keyboard). */
  focus() {
    if (window.matchMedia('(pointer: fine)').matches) this.input.focus();
  }

  // ---------- text ----------

  wireText() {
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.sendText();
      } else if (e.key === 'Escape' && !this.openPicker()) {
        this.onLeave(); // back to the conversation list
      }
    });
    this.input.addEventListener('input', () => {
      this.refresh();
      if (this.conv) this.drafts.set(this.conv, this.input.value);
      if (this.input.value.trim() && this.conv) this.chat.typing(this.conv);
    });
    $('send-button').addEventListener('click', () => this.sendText());
  }

  sendText() {
    if (!this.conv) return;
    const problem = this.chat.sendText(this.conv, this.input.value);
    if (problem) {
      this.hint(problem, true);
      return;
    }
    this.input.value = '';
    this.drafts.set(this.conv, '');
    this.chat.sent(this.conv);
    this.closePickers();
    this.refresh();
    this.input.focus();
    this.onSent();
  }

  /** Grows the box with its text, swaps send and record, and warns near the length limit. */
  refresh() {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 160)}px`;
    const hasText = this.input.value.trim().length > 0;
    $('composer').classList.toggle('has-text', hasText);
    const max = this.chat.config.hub.max_text_chars;
    const length = [...this.input.value].length;
    if (length > max) this.hint(t('composer.tooLong', { length, max }), true);
    else if (length > max * 0.9) this.hint(t('composer.nearLimit', { length, max }));
    else this.hint('');
  }

  hint(text, error = false) {
    const el = $('composer-hint');
    el.textContent = text;
    el.hidden = !text;
    el.classList.toggle('error', error);
  }

  /** Inserts at the caret; `focus` false leaves the focus where it is (a picker used from the keyboard). */
  insert(text, { focus = true } = {}) {
    const { selectionStart: start, selectionEnd: end, value } = this.input;
    this.input.value = value.slice(0, start) + text + value.slice(end);
    const caret = start + text.length;
    this.input.setSelectionRange(caret, caret);
    if (focus) this.input.focus();
    if (this.conv) this.drafts.set(this.conv, this.input.value);
    this.refresh();
  }

  // ---------- emoji and stickers ----------

  wirePickers() {
    $('emoji-button').addEventListener('click', (e) => {
      e.stopPropagation();
      this.togglePicker('emoji-picker');
    });
    $('sticker-button').addEventListener('click', (e) => {
      e.stopPropagation();
      this.togglePicker('sticker-picker');
    });
    this.buildEmoji();
    gridNavigation($('emoji-picker'), '.emoji-item', () => 8);
    gridNavigation($('sticker-grid'), '.sticker-item', () => 3);
    gridNavigation($('sticker-tabs'), '.sticker-tab', () => 99);
  }

  /** The id of the open picker, or null. */
  openPicker() {
    return Object.keys(PICKERS).find((id) => !$(id).hidden) ?? null;
  }

  /** Opens or closes a picker; an opened one takes the focus, so its grid works from the keyboard. */
  async togglePicker(id) {
    const picker = $(id);
    const open = picker.hidden;
    this.closePickers();
    picker.hidden = !open;
    $(PICKERS[id]).classList.toggle('active', open);
    $(PICKERS[id]).setAttribute('aria-expanded', String(open));
    if (!open) return;
    if (id === 'sticker-picker') await this.loadStickers();
    if (!picker.hidden) picker.querySelector('.sticker-item, .emoji-item')?.focus();
  }

  /** The sticker packs, fetched when the picker first opens (not with the page). */
  loadStickers() {
    this.packsLoading ??= loadStickerPacks().then((packs) => {
      this.packs = packs;
      this.buildStickers(packs);
    }).catch((error) => {
      this.packsLoading = null;
      $('sticker-grid').replaceChildren(h('p', { class: 'muted' }, error.message));
    });
    return this.packsLoading;
  }

  /** Closes the pickers; `focus` puts the focus back in the text box (Escape). */
  closePickers({ focus = false } = {}) {
    for (const [id, button] of Object.entries(PICKERS)) {
      $(id).hidden = true;
      $(button).classList.remove('active');
      $(button).setAttribute('aria-expanded', 'false');
    }
    if (focus) this.input.focus();
  }

  closePickersOutside(e) {
    if (e.target.closest('.picker, #emoji-button, #sticker-button')) return;
    this.closePickers();
  }

  buildEmoji() {
    // A click from the keyboard (detail 0) keeps the focus in the grid to pick several.
    $('emoji-picker').replaceChildren(...EMOJI_GROUPS.map((group) => h('section', { 'aria-label': t(group.key) },
      h('h4', {}, t(group.key)),
      h('div', { class: 'emoji-grid' }, group.emoji.map((emoji) => h('button', {
        type: 'button', class: 'emoji-item', testid: 'emoji', title: emoji, dataset: { emoji },
        onclick: (e) => this.insert(emoji, { focus: e.detail !== 0 }),
      }, emoji))))));
  }

  buildStickers(packs) {
    const tabs = $('sticker-tabs');
    const grid = $('sticker-grid');
    const show = (pack) => {
      this.pack = pack.id;
      for (const tab of tabs.children) {
        tab.classList.toggle('active', tab.dataset.pack === pack.id);
        tab.setAttribute('aria-pressed', String(tab.dataset.pack === pack.id));
      }
      grid.replaceChildren(...pack.stickers.map((s) => {
        const label = stickerLabel(s.url, s.alt);
        return h('button', {
          type: 'button', class: 'sticker-item', testid: 'sticker-item', title: label, 'aria-label': label, dataset: { pack: s.pack, name: s.name },
          onclick: (e) => this.sendSticker(s, { keyboard: e.detail === 0 }),
        }, h('img', { src: s.url, alt: '', draggable: 'false' }));
      }));
    };
    tabs.replaceChildren(...packs.map((pack) => h('button', {
      type: 'button', class: 'sticker-tab', testid: 'sticker-pack', dataset: { pack: pack.id }, title: packLabel(pack),
      onclick: (e) => {
        e.stopPropagation();
        show(pack);
      },
    }, h('img', { src: pack.stickers[0]?.url, alt: '' }), h('span', {}, packLabel(pack)))));
    const current = packs.find((p) => p.id === this.pack) ?? packs[0];
    if (current) show(current);
  }

  sendSticker(sticker, { keyboard = false } = {}) {
    if (!this.conv) return;
    this.chat.sendSticker(this.conv, sticker);
    this.closePickers({ focus: keyboard });
    this.onSent();
  }

  // ---------- images ----------

  wireImages() {
    const input = $('image-input');
    $('image-button').addEventListener('click', () => input.click());
    const types = this.chat.config.media.image_types;
    if (types?.length) input.accept = types.join(',');
    input.addEventListener('change', () => {
      for (const file of input.files) this.sendImage(file);
      input.value = '';
    });
    this.input.addEventListener('paste', (e) => {
      const files = [...(e.clipboardData?.files ?? [])].filter((f) => f.type.startsWith('image/'));
      if (!files.length) return;
      e.preventDefault();
      files.forEach((f) => this.sendImage(f));
    });
    const zone = $('conv-main');
    let depth = 0;
    const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
    zone.addEventListener('dragenter', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth += 1;
      $('drop-hint').hidden = false;
    });
    zone.addEventListener('dragover', (e) => hasFiles(e) && e.preventDefault());
    zone.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (!depth) $('drop-hint').hidden = true;
    });
    zone.addEventListener('drop', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      $('drop-hint').hidden = true;
      for (const file of e.dataTransfer.files) this.sendImage(file);
    });
  }

  sendImage(file) {
    if (!this.conv) return;
    const problem = this.chat.sendImage(this.conv, file);
    if (problem) toast(problem);
    else this.onSent();
  }

  // ---------- voice ----------

  wireVoice() {
    $('voice-record').addEventListener('click', () => this.startRecording());
    $('voice-stop').addEventListener('click', () => this.stopRecording());
    $('voice-cancel').addEventListener('click', () => this.cancelRecording());
    $('voice-send').addEventListener('click', () => this.sendRecording());
  }

  showRecorder(on) {
    $('recorder').hidden = !on;
    $('composer-row').hidden = on;
    $('composer').classList.toggle('recording', on);
  }

  async startRecording() {
    if (!this.conv || this.recorder) return;
    const media = this.chat.config.media;
    const recorder = new VoiceRecorder({
      acceptedTypes: media.voice_types,
      maxMs: media.voice_max_ms,
      onTick: (ms) => {
        $('voice-timer').textContent = duration(ms);
        $('voice-timer').dataset.ms = String(Math.round(ms));
      },
      onLimit: () => {
        toast(t('composer.voiceLimit', { duration: spokenDuration(media.voice_max_ms) }), 'info');
        this.stopRecording();
      },
    });
    this.recorder = recorder;
    this.clip = null;
    $('voice-timer').textContent = '0:00';
    $('rec-label').textContent = t('composer.recording');
    $('voice-stop').hidden = false;
    $('voice-send').disabled = true;
    $('recorder').dataset.state = 'recording';
    this.showRecorder(true);
    try {
      await recorder.start();
      if (this.recorder !== recorder) recorder.cancel();
      else $('voice-send').disabled = false;
    } catch (error) {
      this.recorder = null;
      this.showRecorder(false);
      toast(error.message);
    }
  }

  async stopRecording() {
    const recorder = this.recorder;
    if (!recorder || this.clip) return this.clip;
    $('voice-stop').hidden = true;
    this.clip = await recorder.stop();
    $('rec-label').textContent = t('composer.ready');
    $('recorder').dataset.state = 'stopped';
    $('voice-timer').textContent = duration(this.clip.durationMs);
    return this.clip;
  }

  cancelRecording() {
    this.recorder?.cancel();
    this.recorder = null;
    this.clip = null;
    this.showRecorder(false);
  }

  async sendRecording() {
    const conv = this.conv;
    const clip = this.clip ?? (await this.stopRecording());
    if (!clip || !conv) return;
    const problem = this.chat.sendVoice(conv, clip.blob, clip.durationMs, clip.waveform);
    if (problem) {
      toast(problem);
      return;
    }
    this.recorder = null;
    this.clip = null;
    this.showRecorder(false);
  }
}
