// The chat service: the only place that changes the store. It loads lists and history over HTTP,
// speaks the WebSocket protocol (catch-up, acks, receipts, typing, presence), keeps unacked
// messages in the outbox and re-sends them with the same cid after a reconnect.

import { api, uploadMedia } from './api.js';
import { has, t } from './i18n.js';
import { Outbox } from './outbox.js';
import { HubSocket } from './socket.js';
import { bytes, spokenDuration } from './ui.js';

const ACK_TIMEOUT_MS = 10000;
const TYPING_EVERY_MS = 3000;
const TYPING_SHOWN_MS = 5000;
const RETRY_CODES = new Set(['rate_limited', 'unavailable']);

export class Chat {
  constructor(store, config, token) {
    this.store = store;
    this.config = config;
    this.token = token;
    this.outbox = new Outbox(store.me.id);
    this.files = new Map();
    this.lastTyping = new Map();
    this.ackTimers = new Map();
    this.userLookups = new Map();
    this.failures = 0;
  }

  // ---------- start and stop ----------

  async start() {
    this.restoreOutbox();
    await Promise.all([this.refreshConversations(), this.refreshContacts(), this.refreshGroups()]);
    const heartbeatMs = Math.min(20000, Math.max(1000, (this.config.hub.heartbeat_secs ?? 20) * 1000));
    const idleMs = Math.max(heartbeatMs * 2, (this.config.hub.idle_timeout_secs ?? 60) * 1000);
    this.socket = new HubSocket({ token: this.token, heartbeatMs, deadMs: Math.min(idleMs, heartbeatMs * 2 + 5000) });
    this.socket.addEventListener('open', () => this.onOpen());
    this.socket.addEventListener('frame', (e) => this.onFrame(e.detail.frame));
    this.socket.addEventListener('state', (e) => this.onState(e.detail));
    this.socket.connect();
  }

  stop() {
    this.socket?.stop();
    for (const timer of this.ackTimers.values()) clearTimeout(timer);
  }

  reconnectNow() {
    this.socket?.reconnectNow();
  }

  onState({ state, retryAt }) {
    this.store.retryAt = retryAt;
    this.store.setConnection(state);
    if (state === 'offline') {
      this.failures += 1;
      // A token that expired is refused before the upgrade; ask the API whether that is the cause.
      if (this.failures === 3) api('/api/v1/me').catch(() => {});
    }
  }

  /** After every (re)connect: catch up from the last seq seen, then re-send what is unacked. */
  onOpen() {
    this.failures = 0;
    this.socket.send({ cmd: 30, cursors: this.store.cursors() });
    for (const entry of this.outbox.all()) this.transmit(entry);
    if (this.store.activeConv) this.markRead(this.store.activeConv);
    // Presence and read marks may have changed while we were away.
    if (this.connectedBefore) {
      this.refreshContacts().catch(() => {});
      this.refreshConversations().catch(() => {});
    }
    this.connectedBefore = true;
  }

  restoreOutbox() {
    for (const entry of this.outbox.all()) {
      this.store.pending.set(entry.cid, { ...entry, state: 'sending' });
    }
  }

  // ---------- lists ----------

  async refreshConversations() {
    this.store.setConversations(await api('/api/v1/conversations'));
  }

  /** Refreshes the list soon, once, however many unknown conversations show up meanwhile. */
  refreshConversationsSoon() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refreshConversations().catch(() => {}), 250);
  }

  async refreshContacts() {
    this.store.setContacts(await api('/api/v1/contacts'));
  }

  async refreshGroups() {
    this.store.setGroups(await api('/api/v1/groups'));
  }

  async searchUsers(q) {
    const users = await api(`/api/v1/users?q=${encodeURIComponent(q)}`);
    users.forEach((u) => this.store.addUser(u));
    return users.filter((u) => u.id !== this.store.me.id);
  }

  async addContact(userId) {
    const contact = await api('/api/v1/contacts', { method: 'POST', body: { user_id: userId } });
    await this.refreshContacts();
    return contact;
  }

  async searchGroups(q) {
    return api(`/api/v1/groups/search?q=${encodeURIComponent(q)}`);
  }

  async createGroup(name) {
    const group = await api('/api/v1/groups', { method: 'POST', body: { name } });
    this.adoptGroup(group);
    return group;
  }

  async joinGroup(id) {
    const group = await api(`/api/v1/groups/${id}/join`, { method: 'POST' });
    this.adoptGroup(group);
    return group;
  }

  adoptGroup(group) {
    this.store.groups.set(group.id, group);
    if (!this.store.convs.has(group.conv)) {
      this.store.upsertConv({ conv: group.conv, kind: 'group', group, last_seq: 0, read_seq: 0, peer_read_seq: 0, unread: 0, touched: Date.now() });
    }
    this.store.emit('people');
    this.refreshConversationsSoon();
  }

  async leaveGroup(group) {
    await api(`/api/v1/groups/${group.id}/leave`, { method: 'POST' });
    this.store.groups.delete(group.id);
    this.store.convs.delete(group.conv);
    this.store.timelines.delete(group.conv);
    this.store.emit('people');
    this.store.emit('convs');
  }

  async members(groupId) {
    const members = await api(`/api/v1/groups/${groupId}/members`);
    for (const m of members) {
      this.store.addUser(m.user);
      if (m.user.id !== this.store.me.id) this.store.online.set(m.user.id, m.online);
    }
    return members;
  }

  /** The direct conversation with a user (created by the hub if needed). */
  async openDirect(user) {
    const known = this.store.convFor({ peerId: user.id });
    if (known) return known.conv;
    const { conv } = await api('/api/v1/conversations/direct', { method: 'POST', body: { user_id: user.id } });
    this.store.addUser(user);
    if (!this.store.convs.has(conv)) {
      this.store.upsertConv({ conv, kind: 'direct', peer: user, last_seq: 0, read_seq: 0, peer_read_seq: 0, unread: 0, touched: Date.now() });
    }
    return conv;
  }

  /** Looks up a user not met yet (a group member who is not a contact), once. */
  ensureUser(id) {
    if (this.store.users.has(id) || this.userLookups.has(id)) return;
    const lookup = api(`/api/v1/users/${id}`)
      .then((user) => {
        this.store.addUser(user);
        this.store.emit('messages', { conv: this.store.activeConv });
      })
      .catch(() => {});
    this.userLookups.set(id, lookup);
  }

  // ---------- history ----------

  /** Loads the newest page (first call) or the page before the oldest message held. */
  async loadHistory(conv) {
    const tl = this.store.timeline(conv);
    if (tl.loading || (tl.loaded && !tl.more)) return false;
    tl.loading = true;
    try {
      const limit = Math.min(50, this.config.hub.history_page_max ?? 50);
      const before = tl.loaded ? this.store.oldestSeq(conv) : null;
      const query = before ? `?before=${before}&limit=${limit}` : `?limit=${limit}`;
      const page = await api(`/api/v1/conversations/${conv}/messages${query}`);
      for (const msg of page.messages) this.store.addMessage(msg, { silent: true });
      tl.more = page.more;
      tl.loaded = true;
      return page.messages.length > 0;
    } finally {
      tl.loading = false;
      this.store.emit('messages', { conv, history: true });
      this.store.emit('convs');
    }
  }

  // ---------- incoming frames ----------

  onFrame(frame) {
    switch (frame.cmd) {
      case 10:
      case 11:
        return this.onMessage(frame);
      case 12:
        return this.onTyping(frame);
      case 13:
        return this.onRead(frame);
      case 14:
        return this.store.setOnline(frame.userid, frame.online);
      case 20:
        return this.onAck(frame);
      case 21:
        return this.onError(frame);
      case 31:
        // Some conversations had more than one page: page on from the last seq now held.
        if (frame.more?.length) this.socket.send({ cmd: 30, cursors: this.store.cursors() });
        return undefined;
      default:
        return undefined;
    }
  }

  onMessage(msg) {
    if (!this.store.convs.has(msg.conv)) this.refreshConversationsSoon();
    if (msg.userid !== this.store.me.id) this.ensureUser(msg.userid);
    if (msg.cid && msg.userid === this.store.me.id) this.settle(msg.cid);
    const added = this.store.addMessage(msg, { live: true });
    if (added && msg.conv === this.store.activeConv) this.markRead(msg.conv);
    if (added) this.store.emit('arrived', { msg });
  }

  onAck(ack) {
    const pending = this.store.pending.get(ack.cid);
    this.settle(ack.cid);
    if (!pending) return;
    const frame = pending.frame;
    const msg = {
      id: ack.id, conv: ack.conv, seq: ack.seq, ts: ack.ts, userid: this.store.me.id, dstid: frame.dstid,
      cmd: frame.cmd, media: frame.media, content: frame.content ?? '', cid: ack.cid,
      url: frame.url, pic: frame.pic, memo: frame.memo, media_id: frame.media_id,
    };
    if (frame.media_id) {
      msg.url = `/media/${frame.media_id}`;
      if (frame.media === 4) msg.pic = `/media/${frame.media_id}/thumb`;
    }
    msg.localUrl = pending.localUrl;
    if (pending.conv !== ack.conv) this.store.dropPending(ack.cid);
    this.store.addMessage(msg, { live: true });
  }

  /** The message with this cid is stored: stop waiting for it. */
  settle(cid) {
    this.outbox.remove(cid);
    clearTimeout(this.ackTimers.get(cid));
    this.ackTimers.delete(cid);
    this.files.delete(cid);
  }

  onError(frame) {
    const pending = frame.cid ? this.store.pending.get(frame.cid) : null;
    if (!pending) {
      console.warn('hub refused a frame', frame);
      return;
    }
    clearTimeout(this.ackTimers.get(frame.cid));
    if (RETRY_CODES.has(frame.code)) {
      setTimeout(() => {
        const entry = this.outbox.all().find((e) => e.cid === frame.cid);
        if (entry) this.transmit(entry);
      }, 1500 + Math.random() * 1500);
      return;
    }
    this.outbox.remove(frame.cid);
    this.store.updatePending(frame.cid, { state: 'failed', error: this.frameErrorText(frame), errorCode: frame.code });
  }

  /** The refusal of a frame in the page's language, by its code (docs/protocol.md, cmd 21). */
  frameErrorText(frame) {
    const key = `frame.${frame.code}`;
    if (!has(key)) return t('frame.unknown', { code: frame.code });
    return t(key, { max: this.config.hub.max_text_chars });
  }

  onTyping(frame) {
    if (frame.userid === this.store.me.id) return;
    const summary = frame.group ? this.store.convFor({ groupId: frame.dstid }) : this.store.convFor({ peerId: frame.userid });
    if (!summary) return;
    this.ensureUser(frame.userid);
    this.store.setTyping(summary.conv, frame.userid, TYPING_SHOWN_MS);
  }

  onRead(frame) {
    if (frame.userid === this.store.me.id) this.store.markRead(frame.conv, frame.seq);
    else this.store.peerRead(frame.conv, frame.seq);
  }

  // ---------- outgoing ----------

  target(conv) {
    const summary = this.store.convs.get(conv);
    if (!summary) throw new Error(t('send.noConversation'));
    return summary.kind === 'group' ? { cmd: 11, dstid: summary.group.id } : { cmd: 10, dstid: summary.peer.id };
  }

  newCid() {
    const random = crypto.getRandomValues(new Uint32Array(2));
    return `c${this.store.me.id}-${Date.now().toString(36)}-${random[0].toString(36)}${random[1].toString(36)}`;
  }

  /** Queues a message frame (without cmd/dstid/cid) for `conv` and sends it when possible. */
  queue(conv, fields, extra = {}, cid = this.newCid()) {
    const frame = { ...this.target(conv), ...fields, cid };
    const entry = { cid, conv, frame, ts: Date.now() };
    this.outbox.put(entry);
    this.store.setPending({ ...this.store.pending.get(cid), ...entry, ...extra, state: 'sending', error: null });
    this.transmit(entry);
    return cid;
  }

  /** Sends one outbox entry; a missing ack within the timeout means the link is dead. */
  transmit(entry) {
    if (!this.socket?.send(entry.frame)) return;
    clearTimeout(this.ackTimers.get(entry.cid));
    this.ackTimers.set(entry.cid, setTimeout(() => {
      if (this.outbox.has(entry.cid)) this.socket.drop('no ack');
    }, ACK_TIMEOUT_MS));
  }

  /** Sends text; returns an error message for the user, or null. */
  sendText(conv, text) {
    const content = text.trim();
    if (!content) return null;
    const max = this.config.hub.max_text_chars;
    const length = [...content].length;
    if (length > max) return t('send.tooLong', { length, max });
    this.queue(conv, { media: 1, content });
    return null;
  }

  sendSticker(conv, sticker) {
    this.queue(conv, { media: 6, content: sticker.alt, url: sticker.url });
  }

  /** Checks an image against the limits; returns a plain-words problem, or null. */
  imageProblem(file) {
    const media = this.config.media;
    if (!file.type.startsWith('image/') || (media.image_types?.length && !media.image_types.includes(file.type))) {
      const types = (media.image_types ?? []).map((type) => type.replace('image/', '').toUpperCase()).join(', ');
      return t('send.imageType', { name: file.name || t('send.thatFile'), types });
    }
    if (file.size > media.image_max_bytes) {
      return t('send.imageTooBig', { name: file.name || t('send.thatImage'), size: bytes(file.size), max: bytes(media.image_max_bytes) });
    }
    return null;
  }

  /** Uploads an image (with progress on its pending bubble) and sends it. */
  sendImage(conv, file) {
    const problem = this.imageProblem(file);
    if (problem) return problem;
    const cid = this.newCid();
    this.files.set(cid, { file, kind: 'image' });
    this.store.setPending({ cid, conv, ts: Date.now(), state: 'uploading', progress: 0, media: 4, localUrl: URL.createObjectURL(file) });
    this.upload(cid);
    return null;
  }

  /** Checks a recording against the limits; returns a plain-words problem, or null. */
  voiceProblem(blob, durationMs) {
    const media = this.config.media;
    if (durationMs < media.voice_min_ms) return t('send.voiceShort', { duration: spokenDuration(media.voice_min_ms) });
    if (blob.size > media.voice_max_bytes) return t('send.voiceTooBig', { size: bytes(blob.size), max: bytes(media.voice_max_bytes) });
    return null;
  }

  sendVoice(conv, blob, durationMs, waveform) {
    const problem = this.voiceProblem(blob, durationMs);
    if (problem) return problem;
    const cid = this.newCid();
    const ext = blob.type.includes('ogg') ? 'ogg' : blob.type.includes('mp4') ? 'm4a' : 'webm';
    const file = new File([blob], `voice.${ext}`, { type: blob.type || 'audio/webm' });
    this.files.set(cid, { file, kind: 'voice' });
    const memo = JSON.stringify({ duration_ms: Math.round(durationMs), waveform });
    this.store.setPending({ cid, conv, ts: Date.now(), state: 'uploading', progress: 0, media: 3, memo, localUrl: URL.createObjectURL(blob) });
    this.upload(cid);
    return null;
  }

  async upload(cid) {
    const job = this.files.get(cid);
    const pending = this.store.pending.get(cid);
    if (!job || !pending) return;
    this.store.updatePending(cid, { state: 'uploading', progress: 0, error: null });
    try {
      const { promise } = uploadMedia(this.config.upload_url, job.file, (progress) => this.store.updatePending(cid, { progress }));
      const media = await promise;
      if (!this.store.pending.has(cid)) return;
      if (job.kind === 'image') {
        this.queue(pending.conv, { media: 4, media_id: media.id, content: '' }, { localUrl: pending.localUrl, media: 4 }, cid);
      } else {
        const memo = JSON.stringify({ duration_ms: media.duration_ms ?? JSON.parse(pending.memo).duration_ms, waveform: media.waveform ?? [] });
        this.queue(pending.conv, { media: 3, media_id: media.id, content: '', memo }, { localUrl: pending.localUrl, media: 3, memo }, cid);
      }
    } catch (error) {
      this.store.updatePending(cid, { state: 'failed', error: error.message, retryUpload: true });
    }
  }

  /** Tries a failed message again: re-upload, or re-send the same frame. */
  retry(cid) {
    const pending = this.store.pending.get(cid);
    if (!pending) return;
    if (pending.retryUpload) {
      this.upload(cid);
    } else if (pending.frame) {
      this.queue(pending.conv, pending.frame, {}, cid);
    }
  }

  discard(cid) {
    this.settle(cid);
    this.store.dropPending(cid);
  }

  // ---------- receipts and typing ----------

  /** Marks the open conversation read up to its newest message, when the page is visible. */
  markRead(conv) {
    if (document.visibilityState === 'hidden' || !this.socket?.isOpen) return;
    const summary = this.store.convs.get(conv);
    if (!summary) return;
    const seq = this.store.newestSeq(conv);
    if (seq > (summary.read_seq ?? 0) || summary.unread > 0) {
      if (this.socket.send({ cmd: 13, conv, seq })) {
        this.store.markRead(conv, seq);
        summary.unread = 0;
        this.store.emit('convs');
      }
    }
  }

  /** Tells the other side that I am typing, at most every few seconds. */
  typing(conv) {
    const now = Date.now();
    if (now - (this.lastTyping.get(conv) ?? 0) < TYPING_EVERY_MS) return;
    this.lastTyping.set(conv, now);
    const { cmd, dstid } = this.target(conv);
    this.socket?.send(cmd === 11 ? { cmd: 12, dstid, group: true } : { cmd: 12, dstid });
  }

  /** Clears the typing throttle once a message goes out, so the next keystroke tells again. */
  sent(conv) {
    this.lastTyping.delete(conv);
  }
}
