// Telling the user about new messages while the page is hidden or another conversation is shown: a
// system notification (Notification API; permission asked only when the user says yes, on a click,
// offered after they sent a message, never on load), a short sound, and the unread count in the
// title and on the favicon. Clicking a notification opens its conversation.
//
// Hooks for later server work: a conversation summary may carry `muted_until` (ms, or -1 for always)
// and a message `mentions` (user ids); a muted conversation stays silent unless the message
// mentions me.

import { preview } from './bubble.js';
import { t } from './i18n.js';
import { h } from './ui.js';

const ASKED_KEY = 'natter.notify.asked';
const SOUND_KEY = 'natter.notify.sound';
/** Messages older than this when they arrive (a catch-up after a long disconnect) stay silent. */
const FRESH_MS = 2 * 60 * 1000;
const $ = (id) => document.getElementById(id);

/** Whether a conversation is muted now (hook: `muted_until` from the server, -1 = always). */
export function isMuted(summary, now = Date.now()) {
  const until = summary?.muted_until;
  return until === -1 || (typeof until === 'number' && until > now);
}

/** Whether a message mentions the user (hook: `mentions` from the server). */
export function mentions(msg, userId) {
  return Array.isArray(msg?.mentions) && msg.mentions.includes(userId);
}

export class Notifier {
  /** `onOpen(conv)` opens a conversation (a notification was clicked). */
  constructor(store, { onOpen }) {
    this.store = store;
    this.onOpen = onOpen;
    this.shown = new Map();
    this.audio = h('audio', { id: 'notify-audio', testid: 'notify-audio', src: '/sounds/notify.wav', preload: 'none' });
    document.body.append(this.audio);
    this.favicon = $('favicon');
    this.plainIcon = this.favicon.href;
    store.on('arrived', ({ msg }) => this.arrived(msg));
    store.on('convs', () => this.paintCount());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.closeFor(store.activeConv);
    });
    $('notify-ask-yes').addEventListener('click', () => this.request());
    $('notify-ask-no').addEventListener('click', () => this.dismissAsk());
  }

  // ---------- permission ----------

  /** 'granted', 'denied', 'default', or 'unsupported'. */
  permission() {
    return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
  }

  /** Asks the browser (call from a click); hides the in-page question whatever the answer. */
  async request() {
    this.hideAsk(true);
    if (this.permission() !== 'default') return this.permission();
    try {
      return await Notification.requestPermission();
    } catch {
      return this.permission();
    }
  }

  /** After the user sent a message: offer notifications once, if the browser has not been asked. */
  offer() {
    if (this.permission() !== 'default' || localStorage.getItem(ASKED_KEY)) return;
    $('notify-ask').hidden = false;
  }

  dismissAsk() {
    this.hideAsk(true);
    document.getElementById('composer-input')?.focus();
  }

  hideAsk(remember) {
    $('notify-ask').hidden = true;
    if (remember) {
      try {
        localStorage.setItem(ASKED_KEY, String(Date.now()));
      } catch {
        /* asked again next time */
      }
    }
  }

  get sound() {
    return localStorage.getItem(SOUND_KEY) !== 'off';
  }

  set sound(on) {
    localStorage.setItem(SOUND_KEY, on ? 'on' : 'off');
  }

  // ---------- a message arrived ----------

  /** Whether `msg` deserves attention: someone else's, fresh, not where the user is looking. */
  wanted(msg) {
    if (msg.userid === this.store.me.id) return false;
    if (msg.ts && Date.now() - msg.ts > FRESH_MS) return false;
    const looking = document.visibilityState === 'visible' && this.store.activeConv === msg.conv;
    if (looking) return false;
    return !isMuted(this.store.convs.get(msg.conv)) || mentions(msg, this.store.me.id);
  }

  arrived(msg) {
    if (!this.wanted(msg)) return;
    this.chime();
    this.show(msg);
  }

  /** The short sound; a burst of messages while it plays rings once. */
  chime() {
    if (!this.sound || !this.audio.paused) return;
    this.audio.currentTime = 0;
    this.audio.play().catch(() => {
      /* no sound before the user has interacted with the page */
    });
  }

  show(msg) {
    if (this.permission() !== 'granted') return;
    const summary = this.store.convs.get(msg.conv);
    const sender = this.store.name(msg.userid);
    const title = summary?.kind === 'group' ? t('notify.inGroup', { name: sender, group: this.store.convTitle(summary) }) : sender;
    let notification;
    try {
      notification = new Notification(title, {
        body: preview(msg),
        tag: `natter-conv-${msg.conv}`,
        icon: '/icons/icon-192.png',
        lang: document.documentElement.lang,
        data: { conv: msg.conv, seq: msg.seq },
      });
    } catch {
      return; // browsers that only notify from a service worker (Android)
    }
    this.shown.get(msg.conv)?.close();
    this.shown.set(msg.conv, notification);
    notification.addEventListener('click', () => {
      window.focus();
      notification.close();
      this.onOpen(msg.conv);
    });
    notification.addEventListener('close', () => {
      if (this.shown.get(msg.conv) === notification) this.shown.delete(msg.conv);
    });
  }

  /** The conversation is on screen again: its notification has done its job. */
  closeFor(conv) {
    this.shown.get(conv)?.close();
    this.shown.delete(conv);
  }

  // ---------- unread count in the title and on the favicon ----------

  paintCount() {
    const total = this.store.totalUnread();
    document.title = total ? `(${total > 99 ? '99+' : total}) natter` : 'natter';
    if (this.favicon.dataset.count === String(total)) return;
    this.favicon.dataset.count = String(total);
    this.paintFavicon(total).catch(() => {});
  }

  async paintFavicon(total) {
    if (!total) {
      this.setIcon(this.plainIcon);
      return;
    }
    this.iconSvg ??= await (await fetch(this.plainIcon)).text();
    if (this.favicon.dataset.count !== String(total)) return; // a newer count is on its way
    const label = total > 9 ? '9+' : String(total);
    const badge = `<circle cx="46" cy="18" r="17" fill="#e11d48" stroke="#fff" stroke-width="3"/>`
      + `<text x="46" y="25" font-family="Arial, Helvetica, sans-serif" font-size="${label.length > 1 ? 17 : 21}" font-weight="700" fill="#fff" text-anchor="middle">${label}</text>`;
    const svg = this.iconSvg.replace(/<\/svg>\s*$/, `${badge}</svg>`);
    this.setIcon(URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' })));
  }

  setIcon(href) {
    const old = this.favicon.href;
    this.favicon.href = href;
    if (old.startsWith('blob:')) URL.revokeObjectURL(old);
  }
}
