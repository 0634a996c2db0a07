// The left pane: the conversation list (name, last message or draft, time, unread badge, online
// dot) and the Contacts and Groups tabs (find people, add contacts, create, find and join groups).
// Every list is one tab stop moved through with the arrow keys (keyboard.js); the tabs follow the
// ARIA tabs pattern (Left/Right, Home/End).

import { preview } from './bubble.js';
import { onLanguageChange, t } from './i18n.js';
import { replaceRows, rowNavigation } from './keyboard.js';
import { avatar, h, members, shortTime, toast } from './ui.js';

const $ = (id) => document.getElementById(id);

export class Sidebar {
  /** `onOpen(conv)` opens a conversation in the right pane; `drafts` tells which have unsent text. */
  constructor(store, chat, { onOpen, drafts }) {
    this.store = store;
    this.chat = chat;
    this.onOpen = onOpen;
    this.drafts = drafts;
    store.on('convs', () => this.renderConvs());
    store.on('connection', () => this.renderConvs());
    store.on('people', () => {
      this.renderContacts();
      this.renderGroups();
    });
    // Search results hold buttons of their own (Tab reaches them); the three lists are rows.
    for (const id of ['conv-list', 'contact-list', 'group-list']) rowNavigation($(id));
    this.wireTabs();
    this.wireContacts();
    this.wireGroups();
    onLanguageChange(() => {
      this.renderConvs();
      this.renderContacts();
      this.renderGroups();
      this.searchUsers($('user-search').value.trim());
      this.searchGroups($('group-search').value.trim());
    });
  }

  wireTabs() {
    const tabs = [...document.querySelectorAll('.tab')];
    for (const tab of tabs) {
      tab.addEventListener('click', () => this.showTab(tab.dataset.tab));
      tab.addEventListener('keydown', (e) => {
        const index = tabs.indexOf(tab);
        const to = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 }[e.key];
        if (to === undefined) return;
        e.preventDefault();
        const next = tabs[(to + tabs.length) % tabs.length];
        this.showTab(next.dataset.tab);
        next.focus();
      });
    }
  }

  showTab(name) {
    for (const tab of document.querySelectorAll('.tab')) {
      const on = tab.dataset.tab === name;
      tab.classList.toggle('active', on);
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
    }
    for (const panel of document.querySelectorAll('.panel')) panel.hidden = panel.dataset.panel !== name;
  }

  // ---------- conversations ----------

  renderConvs() {
    const list = $('conv-list');
    const convs = this.store.sortedConvs();
    replaceRows(list, convs.map((s) => this.convItem(s)), this.store.activeConv ? String(this.store.activeConv) : null);
    $('conv-empty').hidden = convs.length > 0;
    const total = this.store.totalUnread();
    const badge = $('tab-chats-badge');
    badge.hidden = total === 0;
    badge.textContent = total > 99 ? '99+' : String(total);
    badge.setAttribute('aria-label', t('convs.unread', { n: total }));
  }

  convItem(s) {
    const group = s.kind === 'group';
    const title = this.store.convTitle(s);
    const online = group ? undefined : this.store.connection === 'online' && !!this.store.online.get(s.peer?.id);
    const typers = this.store.typers(s.conv);
    const last = s.last_message;
    const active = s.conv === this.store.activeConv;
    const draft = !active && this.drafts.get(s.conv);
    let line;
    if (typers.length) {
      line = h('span', { class: 'typing-line' }, group ? t('conv.isTyping', { n: 1, names: this.store.name(typers[0]) }) : t('conv.typing'));
    } else if (draft) {
      line = h('span', { class: 'draft', testid: 'conv-draft' }, t('convs.draft', { text: draft }));
    } else if (last) {
      line = h('span', {}, last.userid === this.store.me.id ? t('convs.you', { text: preview(last) }) : preview(last));
    } else {
      line = h('span', { class: 'muted' }, group ? members(s.group?.member_count) : t('convs.noMessages'));
    }
    const unread = s.unread > 0 && !active ? s.unread : 0;
    return h('li', {
      class: `conv-item${active ? ' active' : ''}${unread ? ' unread' : ''}`,
      testid: 'conversation',
      dataset: { conv: String(s.conv), kind: s.kind, peer: String(s.peer?.id ?? ''), group: String(s.group?.id ?? ''), title, row: String(s.conv) },
      role: 'option',
      'aria-selected': String(active),
      onclick: () => this.onOpen(s.conv),
    },
    avatar(title, group ? s.group?.id * 7 : s.peer?.id, { group, online }),
    h('div', { class: 'grow' },
      h('div', { class: 'row' }, h('strong', { class: 'name', testid: 'conv-name' }, title), h('time', { class: 'time' }, shortTime(last?.ts))),
      h('div', { class: 'row' }, h('span', { class: 'preview', testid: 'conv-preview' }, line),
        unread ? h('span', { class: 'badge', testid: 'unread-badge' }, unread > 99 ? '99+' : String(unread)) : null)));
  }

  // ---------- contacts ----------

  wireContacts() {
    let timer;
    $('user-search').addEventListener('input', (e) => {
      clearTimeout(timer);
      const q = e.target.value.trim();
      timer = setTimeout(() => this.searchUsers(q), 250);
    });
  }

  async searchUsers(q) {
    const box = $('user-results');
    if (!q) {
      box.replaceChildren();
      return;
    }
    try {
      const users = await this.chat.searchUsers(q.slice(0, 64));
      if ($('user-search').value.trim() !== q) return;
      const contactIds = new Set(this.store.contacts.map((u) => u.id));
      box.replaceChildren(...(users.length ? users.map((u) => this.userResult(u, contactIds.has(u.id))) : [h('li', { class: 'muted empty-row' }, t('contacts.noMatch', { q }))]));
    } catch (error) {
      box.replaceChildren(h('li', { class: 'muted empty-row' }, error.message));
    }
  }

  userResult(user, isContact) {
    const name = user.nickname || user.username;
    const add = h('button', { type: 'button', class: 'btn btn-small', testid: 'add-contact', dataset: { user: String(user.id) } }, t(isContact ? 'contacts.message' : 'contacts.add'));
    add.addEventListener('click', async (e) => {
      e.stopPropagation();
      add.disabled = true;
      try {
        if (!isContact) {
          await this.chat.addContact(user.id);
          toast(t('contacts.added', { name }), 'info');
          this.searchUsers($('user-search').value.trim());
        } else {
          await this.openDirect(user);
        }
      } catch (error) {
        toast(error.message);
        add.disabled = false;
      }
    });
    return h('li', { testid: 'user-result', dataset: { user: String(user.id) } },
      avatar(name, user.id),
      h('div', { class: 'grow' }, h('strong', {}, name), h('div', { class: 'preview' }, `@${user.username}`)),
      add);
  }

  renderContacts() {
    const contacts = [...this.store.contacts].sort((a, b) => (this.store.online.get(b.id) ? 1 : 0) - (this.store.online.get(a.id) ? 1 : 0) || (a.nickname || a.username).localeCompare(b.nickname || b.username));
    replaceRows($('contact-list'), contacts.map((u) => {
      const online = !!this.store.online.get(u.id);
      const name = u.nickname || u.username;
      return h('li', { testid: 'contact', dataset: { user: String(u.id), row: String(u.id) }, role: 'option', 'aria-selected': 'false', onclick: () => this.openDirect(u) },
        avatar(name, u.id, { online }),
        h('div', { class: 'grow' }, h('strong', {}, name), h('div', { class: `preview${online ? ' online-text' : ''}` }, online ? t('people.online') : `@${u.username}`)),
        h('span', { class: 'chev', 'aria-hidden': 'true' }, '›'));
    }));
    $('contact-empty').hidden = contacts.length > 0;
  }

  async openDirect(user) {
    try {
      const conv = await this.chat.openDirect(user);
      this.showTab('chats');
      this.onOpen(conv);
    } catch (error) {
      toast(error.message);
    }
  }

  // ---------- groups ----------

  wireGroups() {
    $('group-create-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const input = $('group-create-name');
      const name = input.value.trim();
      if (!name) {
        toast(t('groups.needName'));
        return;
      }
      try {
        const group = await this.chat.createGroup(name);
        input.value = '';
        this.showTab('chats');
        this.onOpen(group.conv);
      } catch (error) {
        toast(error.message);
      }
    });
    let timer;
    $('group-search').addEventListener('input', (e) => {
      clearTimeout(timer);
      const q = e.target.value.trim();
      timer = setTimeout(() => this.searchGroups(q), 250);
    });
  }

  async searchGroups(q) {
    const box = $('group-results');
    if (!q) {
      box.replaceChildren();
      return;
    }
    try {
      const groups = await this.chat.searchGroups(q.slice(0, 64));
      if ($('group-search').value.trim() !== q) return;
      box.replaceChildren(...(groups.length ? groups.map((g) => this.groupResult(g)) : [h('li', { class: 'muted empty-row' }, t('groups.noMatch', { q }))]));
    } catch (error) {
      box.replaceChildren(h('li', { class: 'muted empty-row' }, error.message));
    }
  }

  groupResult(group) {
    const member = this.store.groups.has(group.id);
    const join = h('button', { type: 'button', class: 'btn btn-small', testid: 'group-join', dataset: { group: String(group.id) } }, t(member ? 'groups.open' : 'groups.join'));
    join.addEventListener('click', async (e) => {
      e.stopPropagation();
      join.disabled = true;
      try {
        const joined = member ? group : await this.chat.joinGroup(group.id);
        this.showTab('chats');
        this.onOpen(joined.conv);
      } catch (error) {
        toast(error.message);
        join.disabled = false;
      }
    });
    return h('li', { testid: 'group-result', dataset: { group: String(group.id) } },
      avatar(group.name, group.id * 7, { group: true }),
      h('div', { class: 'grow' }, h('strong', {}, group.name), h('div', { class: 'preview' }, members(group.member_count))),
      join);
  }

  renderGroups() {
    const groups = [...this.store.groups.values()].sort((a, b) => a.name.localeCompare(b.name));
    replaceRows($('group-list'), groups.map((g) => h('li', {
      testid: 'group-item', dataset: { group: String(g.id), conv: String(g.conv), row: String(g.id) }, role: 'option', 'aria-selected': 'false',
      onclick: () => {
        this.showTab('chats');
        this.onOpen(g.conv);
      },
    },
    avatar(g.name, g.id * 7, { group: true }),
    h('div', { class: 'grow' }, h('strong', {}, g.name), h('div', { class: 'preview' }, members(g.member_count))),
    h('span', { class: 'chev', 'aria-hidden': 'true' }, '›'))));
    $('group-empty').hidden = groups.length > 0;
  }
}
