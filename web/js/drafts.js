// Unsent text per conversation, kept in localStorage so it survives a reload (and is gone on
// sign-out). Scoped by user, like the outbox.

export class Drafts {
  constructor(userId) {
    this.key = `natter.drafts.${userId}`;
    this.map = this.load();
  }

  load() {
    try {
      const data = JSON.parse(localStorage.getItem(this.key));
      return data && typeof data === 'object' ? data : {};
    } catch {
      return {};
    }
  }

  /** The draft of `conv` ('' when none). */
  get(conv) {
    return this.map[conv]?.text ?? '';
  }

  /** Whether `conv` has a draft. */
  has(conv) {
    return !!this.map[conv];
  }

  /** Keeps `text` as the draft of `conv` (an empty or blank text removes it). */
  set(conv, text) {
    if (!conv) return;
    this.map = this.load(); // another tab may have changed other drafts
    if (text.trim()) this.map[conv] = { text, ts: Date.now() };
    else if (this.map[conv]) delete this.map[conv];
    else return;
    this.save();
  }

  clear() {
    this.map = {};
    localStorage.removeItem(this.key);
  }

  save() {
    try {
      localStorage.setItem(this.key, JSON.stringify(this.map));
    } catch {
      /* storage full or blocked: the draft lives while the page stays open */
    }
  }
}
