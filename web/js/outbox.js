// Messages sent but not yet acknowledged, kept in localStorage so that a reload or a dropped
// connection re-sends them with the same cid (the hub stores a cid only once).

export class Outbox {
  /** `userId` scopes the box, so two accounts in one browser never mix. */
  constructor(userId) {
    this.key = `natter.outbox.${userId}`;
  }

  /** The entries `{cid, conv, frame, ts}` in send order. */
  all() {
    try {
      const list = JSON.parse(localStorage.getItem(this.key));
      return Array.isArray(list) ? list : [];
    } catch {
      return [];
    }
  }

  put(entry) {
    const list = this.all().filter((e) => e.cid !== entry.cid);
    list.push(entry);
    this.save(list);
  }

  remove(cid) {
    const list = this.all();
    const kept = list.filter((e) => e.cid !== cid);
    if (kept.length !== list.length) this.save(kept);
  }

  has(cid) {
    return this.all().some((e) => e.cid === cid);
  }

  clear() {
    localStorage.removeItem(this.key);
  }

  save(list) {
    try {
      localStorage.setItem(this.key, JSON.stringify(list));
    } catch {
      /* storage full or blocked: the messages still go out while the page stays open */
    }
  }
}
