// What the page knows: people, conversations and their messages, de-duplicated by (conv, seq) and cid.

export class Store {
  constructor(me) {
    this.me = me;
    this.users = new Map([[me.id, me]]);
    this.online = new Set();
    this.contacts = [];
    this.groups = new Map();
    this.conversations = new Map();
    this.messages = new Map();
    this.pending = new Map();
  }

  conversation(conv) {
    return this.conversations.get(conv);
  }

  upsertConversation(summary) {
    const existing = this.conversations.get(summary.conv) ?? {};
    const merged = { ...existing, ...summary };
    this.conversations.set(summary.conv, merged);
    if (summary.peer) this.users.set(summary.peer.id, summary.peer);
    if (summary.group) this.groups.set(summary.group.id, summary.group);
    return merged;
  }

  /** Finds the conversation a message belongs to, by conv or by its target. */
  conversationFor(message) {
    return this.conversations.get(message.conv);
  }

  /** Adds a stored message; false when it was already known. */
  addMessage(message) {
    let list = this.messages.get(message.conv);
    if (!list) {
      list = new Map();
      this.messages.set(message.conv, list);
    }
    if (list.has(message.seq)) return false;
    list.set(message.seq, message);
    if (message.cid && message.userid === this.me.id) this.pending.delete(message.cid);
    const summary = this.conversations.get(message.conv);
    if (summary) {
      summary.last_seq = Math.max(summary.last_seq ?? 0, message.seq);
      if (!summary.last_message || summary.last_message.seq <= message.seq) summary.last_message = message;
    }
    return true;
  }

  sortedMessages(conv) {
    return [...(this.messages.get(conv)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }

  oldestSeq(conv) {
    const seqs = [...(this.messages.get(conv)?.keys() ?? [])];
    return seqs.length ? Math.min(...seqs) : null;
  }

  /** The catch-up cursors: the newest seq known for each conversation. */
  cursors() {
    const cursors = {};
    for (const [conv, summary] of this.conversations) {
      const seqs = [...(this.messages.get(conv)?.keys() ?? [])];
      cursors[conv] = Math.max(summary.last_seq ?? 0, ...seqs, 0);
    }
    return cursors;
  }

  displayName(userId) {
    const user = this.users.get(userId);
    return user ? user.nickname || user.username : `user ${userId}`;
  }
}
