// The right pane: the open conversation's header (name, online or typing, members), its timeline
// (history loaded on scroll up, own and others' bubbles, day separators, delivery ticks) and the
// group member list.

import { bubble, deliveryState, tick } from './bubble.js';
import { fmt, onLanguageChange, t } from './i18n.js';
import { atBottom, avatar, dayLabel, h, members, paintAvatar, toast } from './ui.js';

const $ = (id) => document.getElementById(id);
/** Sender names in groups take one of eight colours (app.css .name-0 … .name-7, one set per theme). */
const NAME_COLOURS = 8;

export class ConversationView {
  /** `onClose()` goes back to the list (narrow screens); `viewer` opens full images. */
  constructor(store, chat, { onClose, viewer }) {
    this.store = store;
    this.chat = chat;
    this.onClose = onClose;
    this.viewer = viewer;
    this.nodes = new Map();
    this.timeline = $('timeline');
    this.list = $('messages');
    store.on('messages', ({ conv }) => conv === store.activeConv && this.renderTimeline());
    store.on('header', ({ conv }) => conv === store.activeConv && this.renderHeader());
    store.on('people', () => store.activeConv && this.renderHeader());
    store.on('connection', () => store.activeConv && this.renderHeader());
    store.on('convs', () => {
      if (store.activeConv && !store.convs.has(store.activeConv)) this.close();
    });
    this.pinned = true;
    this.timeline.addEventListener('scroll', () => {
      this.pinned = atBottom(this.timeline);
      this.onScroll();
    }, { passive: true });
    // Images and stickers change the height when they load: stay at the bottom if we were there.
    this.timeline.addEventListener('load', () => this.pinned && this.scrollToBottom(), true);
    $('back-button').addEventListener('click', () => this.onClose());
    $('members-button').addEventListener('click', () => {
      this.toggleMembers();
      if (!$('members-panel').hidden) $('members-close').focus();
    });
    $('members-close').addEventListener('click', () => {
      this.toggleMembers(false);
      $('members-button').focus();
    });
    $('leave-group').addEventListener('click', () => this.askLeave(true));
    $('leave-cancel').addEventListener('click', () => this.askLeave(false));
    $('leave-group-confirm').addEventListener('click', () => this.leave());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && store.activeConv) chat.markRead(store.activeConv);
    });
    window.addEventListener('focus', () => store.activeConv && chat.markRead(store.activeConv));
    $('members-panel').addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      e.stopPropagation();
      this.toggleMembers(false);
      $('members-button').focus();
    });
    onLanguageChange(() => this.relabel());
  }

  /** The language changed: every row and the header are built again. */
  relabel() {
    if (!this.store.activeConv) return;
    this.nodes.clear();
    this.list.replaceChildren();
    this.renderHeader();
    this.renderTimeline();
    const asking = !$('leave-confirm').hidden;
    if (!$('members-panel').hidden) this.toggleMembers(true);
    this.askLeave(asking);
  }

  async open(conv) {
    const summary = this.store.convs.get(conv);
    if (!summary) return;
    const switching = this.store.activeConv !== conv;
    this.store.activeConv = conv;
    this.store.emit('convs');
    $('conv-placeholder').hidden = true;
    $('conv-main').hidden = false;
    if (switching) {
      this.nodes.clear();
      this.list.replaceChildren();
      this.toggleMembers(false);
      this.stickToBottom = true;
    }
    this.renderHeader();
    this.renderTimeline();
    this.scrollToBottom();
    const tl = this.store.timeline(conv);
    if (!tl.loaded) {
      this.setHistoryStatus(t('conv.loading'));
      try {
        await this.chat.loadHistory(conv);
      } catch (error) {
        toast(error.message);
      }
      this.scrollToBottom();
    }
    this.chat.markRead(conv);
  }

  close() {
    this.store.activeConv = null;
    $('conv-main').hidden = true;
    $('conv-placeholder').hidden = false;
    this.nodes.clear();
    this.list.replaceChildren();
    this.store.emit('convs');
  }

  // ---------- header ----------

  renderHeader() {
    const s = this.store.convs.get(this.store.activeConv);
    if (!s) return;
    const group = s.kind === 'group';
    const title = this.store.convTitle(s);
    $('conv-title').textContent = title;
    paintAvatar($('conv-avatar'), title, group ? s.group?.id * 7 : s.peer?.id, { group });
    $('members-button').hidden = !group;
    const typers = this.store.typers(s.conv);
    const sub = $('conv-subtitle');
    const indicator = $('typing-indicator');
    sub.classList.remove('online-text', 'typing-text');
    if (typers.length) {
      const names = typers.map((id) => this.store.name(id));
      const text = t('conv.isTyping', { n: names.length, names: fmt.list.format(group ? names : names.slice(0, 1)) });
      $('typing-text').textContent = text;
      indicator.hidden = false;
      indicator.dataset.users = typers.join(',');
      sub.textContent = group ? text : t('conv.typing');
      sub.classList.add('typing-text');
    } else {
      indicator.hidden = true;
      indicator.dataset.users = '';
      if (group) {
        sub.textContent = members(s.group?.member_count);
      } else {
        const online = this.store.connection === 'online' && !!this.store.online.get(s.peer?.id);
        sub.textContent = online ? t('people.online') : `@${s.peer?.username ?? ''}`;
        if (online) sub.classList.add('online-text');
      }
    }
  }

  // ---------- timeline ----------

  /** Brings the timeline in line with the store, reusing the elements of unchanged messages. */
  renderTimeline() {
    const conv = this.store.activeConv;
    const summary = this.store.convs.get(conv);
    if (!summary) return;
    const wasAtBottom = this.pinned || atBottom(this.timeline);
    const heightBefore = this.timeline.scrollHeight;
    const topBefore = this.timeline.scrollTop;
    const items = this.items(conv, summary);
    const wanted = new Set(items.map((i) => i.key));
    for (const [key, node] of this.nodes) {
      if (!wanted.has(key)) {
        node.el.remove();
        this.nodes.delete(key);
      }
    }
    let cursor = this.list.firstChild;
    for (const item of items) {
      let node = this.nodes.get(item.key);
      if (!node || node.signature !== item.signature) {
        const el = item.build();
        if (node) {
          if (cursor === node.el) cursor = el;
          node.el.replaceWith(el);
        }
        node = { el, signature: item.signature };
        this.nodes.set(item.key, node);
      } else if (item.update) {
        item.update(node.el);
      }
      if (node.el !== cursor) this.list.insertBefore(node.el, cursor);
      cursor = node.el.nextSibling;
    }
    const tl = this.store.timeline(conv);
    this.timeline.dataset.loaded = String(tl.loaded && !tl.loading);
    this.setHistoryStatus(tl.loading ? t('conv.loading') : tl.loaded && !tl.more ? t(items.length ? 'conv.beginning' : 'conv.noMessages') : '');
    if (wasAtBottom || this.stickToBottom) this.scrollToBottom();
    else if (this.anchorOlder) this.timeline.scrollTop = topBefore + (this.timeline.scrollHeight - heightBefore);
  }

  /** The timeline's rows in order: day separators and messages (stored, then pending). */
  items(conv, summary) {
    const { stored, pending } = this.store.messages(conv);
    const me = this.store.me;
    const group = summary.kind === 'group';
    const all = [...stored, ...pending.map((p) => ({ ...p, userid: me.id, media: p.media ?? p.frame?.media, memo: p.memo ?? p.frame?.memo }))];
    const rows = [];
    let day = '';
    for (const msg of all) {
      const label = dayLabel(msg.ts || Date.now());
      if (label !== day) {
        day = label;
        rows.push({ key: `d:${label}`, signature: label, build: () => h('div', { class: 'day', testid: 'day-separator' }, h('span', {}, label)) });
      }
      const own = msg.userid === me.id;
      const state = own ? deliveryState(msg, summary.peer_read_seq ?? 0) : '';
      const showSender = group && !own;
      const name = this.store.name(msg.userid);
      // A refusal is worded again in the language in use (it may have changed since).
      if (msg.errorCode) msg.error = this.chat.frameErrorText({ code: msg.errorCode });
      const body = msg.state === 'uploading' ? `u${Math.round((msg.progress ?? 0) * 50)}` : msg.state === 'failed' ? `f${msg.error}` : 'ok';
      const key = msg.cid && own ? `c:${msg.cid}` : `s:${msg.seq}`;
      const ctx = {
        me, config: this.chat.config, state, showSender, colour: msg.userid % NAME_COLOURS,
        name: (id) => this.store.name(id),
        onImage: (full, thumb, options) => this.viewer.open(full, thumb, options),
        onRetry: (cid) => this.chat.retry(cid),
        onDiscard: (cid) => this.chat.discard(cid),
      };
      rows.push({
        key,
        signature: `${body}|${showSender ? name : ''}|${msg.localUrl ? 'l' : ''}`,
        build: () => bubble(msg, ctx),
        update: (el) => {
          if (msg.seq) el.dataset.seq = String(msg.seq);
          if (own && el.dataset.state !== state) {
            el.dataset.state = state;
            el.querySelector('.tick')?.replaceWith(tick(state));
          }
        },
      });
    }
    return rows;
  }

  setHistoryStatus(text) {
    $('history-status').textContent = text;
  }

  scrollToBottom() {
    this.timeline.scrollTop = this.timeline.scrollHeight;
    this.stickToBottom = false;
    this.pinned = true;
  }

  /** Near the top: load the page before the oldest message, keeping what is on screen in place. */
  async onScroll() {
    const conv = this.store.activeConv;
    if (!conv || this.timeline.scrollTop > 120) return;
    const tl = this.store.timeline(conv);
    if (!tl.loaded || !tl.more || tl.loading) return;
    this.anchorOlder = true;
    try {
      await this.chat.loadHistory(conv);
    } catch (error) {
      toast(error.message);
    } finally {
      this.anchorOlder = false;
    }
  }

  // ---------- members ----------

  async toggleMembers(show) {
    const panel = $('members-panel');
    const visible = show ?? panel.hidden;
    panel.hidden = !visible;
    $('members-button').setAttribute('aria-expanded', String(visible));
    this.askLeave(false);
    if (!visible) return;
    const s = this.store.convs.get(this.store.activeConv);
    if (!s?.group) return;
    const list = $('member-list');
    list.replaceChildren(h('li', { class: 'muted empty-row' }, t('members.loading')));
    try {
      const members = await this.chat.members(s.group.id);
      list.replaceChildren(...members.map((m) => {
        const me = m.user.id === this.store.me.id;
        const online = me ? true : !!m.online;
        const name = m.user.nickname || m.user.username;
        return h('li', { testid: 'member-item', dataset: { user: String(m.user.id), online: String(online) } },
          avatar(name, m.user.id, { online }),
          h('div', { class: 'grow' }, h('strong', {}, me ? t('members.you', { name }) : name),
            h('div', { class: 'preview' }, m.user.id === s.group.owner_id ? t('members.owner', { username: m.user.username }) : `@${m.user.username}`)));
      }));
    } catch (error) {
      list.replaceChildren(h('li', { class: 'muted empty-row' }, error.message));
    }
  }

  /** Shows (or hides) the in-page question before leaving a group. */
  askLeave(show) {
    const s = this.store.convs.get(this.store.activeConv);
    $('leave-question').textContent = s?.group ? t('members.leaveQuestion', { name: s.group.name }) : '';
    $('leave-confirm').hidden = !show;
    $('leave-group').hidden = show;
  }

  async leave() {
    const s = this.store.convs.get(this.store.activeConv);
    if (!s?.group) return;
    this.askLeave(false);
    try {
      await this.chat.leaveGroup(s.group);
      toast(t('members.left', { name: s.group.name }), 'info');
      this.close();
      this.onClose();
    } catch (error) {
      toast(error.message);
    }
  }
}
