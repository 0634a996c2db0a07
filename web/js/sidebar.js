// The left pane: the conversation list (name, last message, time, unread badge, online dot) and
// the Contacts and Groups tabs (find people, add contacts, create, find and join groups).

import { preview } from './bubble.js';
import { avatar, h, members, shortTime, toast } from './ui.js';

const $ = (id) => document.getElementById(id);

export class Sidebar {
  /** `onOpen(conv)` opens a conversation in the right pane. */
  constructor(store, chat, { onOpen }) {
    this.store = store;
    this.chat = chat;
    this.onOpen = onOpen;
    store.on('convs', () => this.renderConvs());
    store.on('connection', () => this.renderConvs());
    store.on('people', () => {
      this.renderContacts();
      this.renderGroups();
    });
    this.wireTabs();
    this.wireContacts();
    this.wireGroups();
  }

  wireTabs() {
    for (const tab of document.querySelectorAll('.tab')) {
      tab.addEventListener('click', () => this.showTab(tab.dataset.tab));
    }
  }

  showTab(name) {
    for (const tab of document.querySelectorAll('.tab')) {
      tab.classList.toggle('active', tab.dataset.tab === name);
      tab.setAttribute('aria-selected', String(tab.dataset.tab === name));
    }
    for (const panel of document.querySelectorAll('.panel')) panel.hidden = panel.dataset.panel !== name;
  }

  // ---------- conversations ----------

  renderConvs() {
    const list = $('conv-list');
    const convs = this.store.sortedConvs();
    list.replaceChildren(...convs.map((s) => this.convItem(s)));
    $('conv-empty').hidden = convs.length > 0;
    const total = this.store.totalUnread();
    const badge = $('tab-chats-badge');
    badge.hidden = total === 0;
    badge.textContent = total > 99 ? '99+' : String(total);
    document.title = total ? `(${total}) natter` : 'natter';
  }

  convItem(s) {
    const group = s.kind === 'group';
    const title = this.store.convTitle(s);
    const online = group ? undefined : this.store.connection === 'online' && !!this.store.online.get(s.peer?.id);
    const typers = this.store.typers(s.conv);
    const last = s.last_message;
    let line;
    if (typers.length) {
      line = h('span', { class: 'typing-line' }, group ? `${this.store.name(typers[0])} is typing…` : 'typing…');
    } else if (last) {
      const who = last.userid === this.store.me.id ? 'You: ' : '';
      line = h('span', {}, who + preview(last));
    } else {
      line = h('span', { class: 'muted' }, group ? members(s.group?.member_count) : 'No messages yet');
    }
    const unread = s.unread > 0 && s.conv !== this.store.activeConv ? s.unread : 0;
    return h('li', {
      class: `conv-item${s.conv === this.store.activeConv ? ' active' : ''}${unread ? ' unread' : ''}`,
      testid: 'conversation',
      dataset: { conv: String(s.conv), kind: s.kind, peer: String(s.peer?.id ?? ''), group: String(s.group?.id ?? ''), title },
      role: 'button',
      tabindex: '0',
      onclick: () => this.onOpen(s.conv),
      onkeydown: (e) => e.key === 'Enter' && this.onOpen(s.conv),
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
      box.replaceChildren(...(users.length ? users.map((u) => this.userResult(u, contactIds.has(u.id))) : [h('li', { class: 'muted empty-row' }, `Nobody matches “${q}”.`)]));
    } catch (error) {
      box.replaceChildren(h('li', { class: 'muted empty-row' }, error.message));
    }
  }

  userResult(user, isContact) {
    const name = user.nickname || user.username;
    const add = h('button', { type: 'button', class: 'btn btn-small', testid: 'add-contact', dataset: { user: String(user.id) } }, isContact ? 'Message' : 'Add');
    add.addEventListener('click', async (e) => {
      e.stopPropagation();
      add.disabled = true;
      try {
        if (!isContact) {
          await this.chat.addContact(user.id);
          toast(`${name} is now one of your contacts.`, 'info');
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
    $('contact-list').replaceChildren(...contacts.map((u) => {
      const online = !!this.store.online.get(u.id);
      const name = u.nickname || u.username;
      return h('li', { testid: 'contact', dataset: { user: String(u.id) }, role: 'button', tabindex: '0', onclick: () => this.openDirect(u) },
        avatar(name, u.id, { online }),
        h('div', { class: 'grow' }, h('strong', {}, name), h('div', { class: `preview${online ? ' online-text' : ''}` }, online ? 'online' : `@${u.username}`)),
        h('span', { class: 'chev' }, '›'));
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
        toast('Give the group a name first.');
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
      box.replaceChildren(...(groups.length ? groups.map((g) => this.groupResult(g)) : [h('li', { class: 'muted empty-row' }, `No group matches “${q}”.`)]));
    } catch (error) {
      box.replaceChildren(h('li', { class: 'muted empty-row' }, error.message));
    }
  }

  groupResult(group) {
    const member = this.store.groups.has(group.id);
    const join = h('button', { type: 'button', class: 'btn btn-small', testid: 'group-join', dataset: { group: String(group.id) } }, member ? 'Open' : 'Join');
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
    $('group-list').replaceChildren(...groups.map((g) => h('li', {
      testid: 'group-item', dataset: { group: String(g.id), conv: String(g.conv) }, role: 'button', tabindex: '0',
      onclick: () => {
        this.showTab('chats');
        this.onOpen(g.conv);
      },
    },
    avatar(g.name, g.id * 7, { group: true }),
    h('div', { class: 'grow' }, h('strong', {}, g.name), h('div', { class: 'preview' }, members(g.member_count))),
    h('span', { class: 'chev' }, '›'))));
    $('group-empty').hidden = groups.length > 0;
  }
}
