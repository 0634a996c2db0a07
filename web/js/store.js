// What the page knows: people, presence, conversations, their messages (de-duplicated by
// (conv, seq)), messages still on their way (by cid), typing and the connection state.
// Views read it and listen to its events; the chat service (chat.js) changes it.
//
// Events: 'convs' (the list changed), 'messages' {conv}, 'header' {conv} (typing, presence),
// 'people' (contacts, groups, presence), 'connection' {state}, 'arrived' {msg} (a new message
// from the hub, for notifications).

import { t } from './i18n.js';

export class Store extends EventTarget {
  constructor(me) {
    super();
    this.me = me;
    this.users = new Map([[me.id, me]]);
    this.online = new Map();
    this.contacts = [];
    this.groups = new Map();
    /** conv → summary {conv, kind, peer?, group?, last_seq, read_seq, peer_read_seq, unread, last_message?} */
    this.convs = new Map();
    /** conv → {bySeq: Map, more, loaded, loading} */
    this.timelines = new Map();
    /** cid → pending message {cid, conv, frame, ts, state: 'uploading'|'sending'|'failed', progress, error, local} */
    this.pending = new Map();
    /** conv → Map(userId → expiry ms) */
    this.typing = new Map();
    this.connection = 'connecting';
    this.activeConv = null;
  }

  emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  on(type, fn) {
    this.addEventListener(type, (e) => fn(e.detail));
  }

  // ---------- people ----------

  addUser(user) {
    if (user?.id) this.users.set(user.id, { ...this.users.get(user.id), ...user });
  }

  name(userId) {
    const user = this.users.get(userId);
    return user ? user.nickname || user.username : t('people.unknown', { id: userId });
  }

  setContacts(list) {
    this.contacts = list.map((c) => c.user);
    for (const c of list) {
      this.addUser(c.user);
      this.online.set(c.user.id, c.online);
    }
    this.emit('people');
    this.emit('convs');
  }

  setGroups(list) {
    this.groups = new Map(list.map((g) => [g.id, g]));
    this.emit('people');
  }

  setOnline(userId, online) {
    this.online.set(userId, online);
    this.emit('people');
    this.emit('convs');
    for (const summary of this.convs.values()) {
      if (summary.peer?.id === userId) this.emit('header', { conv: summary.conv });
    }
  }

  // ---------- conversations ----------

  setConversations(list) {
    for (const summary of list) this.upsertConv(summary, { silent: true });
    this.emit('convs');
  }

  upsertConv(summary, { silent = false } = {}) {
    const old = this.convs.get(summary.conv);
    const merged = { ...old, ...summary };
    if (old) {
      // Never go back: live frames may already know newer messages than the list answer.
      merged.last_seq = Math.max(old.last_seq ?? 0, summary.last_seq ?? 0);
      merged.peer_read_seq = Math.max(old.peer_read_seq ?? 0, summary.peer_read_seq ?? 0);
      merged.read_seq = Math.max(old.read_seq ?? 0, summary.read_seq ?? 0);
      if ((old.last_message?.seq ?? 0) > (summary.last_message?.seq ?? 0)) merged.last_message = old.last_message;
    }
    if (merged.peer) this.addUser(merged.peer);
    if (merged.group) this.groups.set(merged.group.id, merged.group);
    this.convs.set(summary.conv, merged);
    if (!silent) this.emit('convs');
    return merged;
  }

  /** The conversations, most recent first (pending sends count as activity). */
  sortedConvs() {
    const activity = (s) => Math.max(s.last_message?.ts ?? 0, s.touched ?? 0);
    return [...this.convs.values()].sort((a, b) => activity(b) - activity(a) || b.conv - a.conv);
  }

  convTitle(summary) {
    if (!summary) return '';
    if (summary.kind === 'group') return summary.group?.name ?? t('groups.fallbackName');
    return summary.peer ? summary.peer.nickname || summary.peer.username : t('people.conversation');
  }

  /** The conversation of a direct peer or a group, if known. */
  convFor({ peerId, groupId }) {
    for (const summary of this.convs.values()) {
      if (peerId && summary.kind === 'direct' && summary.peer?.id === peerId) return summary;
      if (groupId && summary.kind === 'group' && summary.group?.id === groupId) return summary;
    }
    return null;
  }

  totalUnread() {
    let total = 0;
    for (const s of this.convs.values()) total += s.unread ?? 0;
    return total;
  }

  // ---------- messages ----------

  timeline(conv) {
    let tl = this.timelines.get(conv);
    if (!tl) {
      tl = { bySeq: new Map(), more: true, loaded: false, loading: false };
      this.timelines.set(conv, tl);
    }
    return tl;
  }

  /**
   * Adds a stored message; returns false when (conv, seq) was already known. `live` marks a message
   * that just happened (it may raise the unread count), as opposed to history.
   */
  addMessage(msg, { live = false, silent = false } = {}) {
    const tl = this.timeline(msg.conv);
    if (tl.bySeq.has(msg.seq)) return false;
    tl.bySeq.set(msg.seq, msg);
    this.addUser(msg.sender);
    if (msg.cid && msg.userid === this.me.id) this.pending.delete(msg.cid);
    const summary = this.convs.get(msg.conv);
    if (summary) {
      const newer = msg.seq > (summary.last_seq ?? 0) || !summary.last_message;
      if (msg.seq > (summary.last_seq ?? 0)) {
        summary.last_seq = msg.seq;
        if (live && msg.userid !== this.me.id && msg.seq > (summary.read_seq ?? 0)) summary.unread = (summary.unread ?? 0) + 1;
      }
      if (newer || (summary.last_message && msg.seq > summary.last_message.seq)) summary.last_message = msg;
      if (msg.userid === this.me.id && msg.seq > (summary.read_seq ?? 0)) summary.read_seq = msg.seq;
      if (live) this.clearTyping(msg.conv, msg.userid);
    }
    if (!silent) {
      this.emit('messages', { conv: msg.conv });
      this.emit('convs');
    }
    return true;
  }

  /** The conversation's stored messages in seq order, then its pending ones in send order. */
  messages(conv) {
    const stored = [...(this.timelines.get(conv)?.bySeq.values() ?? [])].sort((a, b) => a.seq - b.seq);
    const pending = [...this.pending.values()].filter((p) => p.conv === conv).sort((a, b) => a.ts - b.ts);
    return { stored, pending };
  }

  oldestSeq(conv) {
    let oldest = null;
    for (const seq of this.timelines.get(conv)?.bySeq.keys() ?? []) if (oldest === null || seq < oldest) oldest = seq;
    return oldest;
  }

  newestSeq(conv) {
    let newest = this.convs.get(conv)?.last_seq ?? 0;
    for (const seq of this.timelines.get(conv)?.bySeq.keys() ?? []) newest = Math.max(newest, seq);
    return newest;
  }

  /** Catch-up cursors: the newest seq known for each conversation. */
  cursors() {
    const cursors = {};
    const convs = new Set([...this.convs.keys(), ...this.timelines.keys()]);
    for (const conv of convs) cursors[conv] = this.newestSeq(conv);
    return cursors;
  }

  setPending(p) {
    this.pending.set(p.cid, p);
    const summary = this.convs.get(p.conv);
    if (summary) summary.touched = Math.max(summary.touched ?? 0, p.ts);
    this.emit('messages', { conv: p.conv });
    this.emit('convs');
  }

  updatePending(cid, changes) {
    const p = this.pending.get(cid);
    if (!p) return;
    Object.assign(p, changes);
    this.emit('messages', { conv: p.conv });
  }

  dropPending(cid) {
    const p = this.pending.get(cid);
    if (!p) return;
    this.pending.delete(cid);
    this.emit('messages', { conv: p.conv });
  }

  // ---------- reading ----------

  markRead(conv, seq) {
    const summary = this.convs.get(conv);
    if (!summary || seq <= (summary.read_seq ?? 0)) return false;
    summary.read_seq = seq;
    summary.unread = seq >= (summary.last_seq ?? 0) ? 0 : Math.max(0, this.unreadAfter(conv, seq));
    this.emit('convs');
    return true;
  }

  unreadAfter(conv, seq) {
    let count = 0;
    for (const msg of this.timelines.get(conv)?.bySeq.values() ?? []) if (msg.seq > seq && msg.userid !== this.me.id) count += 1;
    return count;
  }

  peerRead(conv, seq) {
    const summary = this.convs.get(conv);
    if (!summary || seq <= (summary.peer_read_seq ?? 0)) return;
    summary.peer_read_seq = seq;
    this.emit('messages', { conv });
  }

  // ---------- typing ----------

  setTyping(conv, userId, forMs) {
    let map = this.typing.get(conv);
    if (!map) {
      map = new Map();
      this.typing.set(conv, map);
    }
    map.set(userId, Date.now() + forMs);
    this.emit('header', { conv });
    this.emit('convs');
    setTimeout(() => {
      if ((map.get(userId) ?? 0) <= Date.now()) this.clearTyping(conv, userId);
    }, forMs + 50);
  }

  clearTyping(conv, userId) {
    if (this.typing.get(conv)?.delete(userId)) {
      this.emit('header', { conv });
      this.emit('convs');
    }
  }

  typers(conv) {
    const now = Date.now();
    return [...(this.typing.get(conv) ?? new Map()).entries()].filter(([, until]) => until > now).map(([id]) => id);
  }

  setConnection(state) {
    this.connection = state;
    this.emit('connection', { state });
  }
}
