// The chat page: signs in, keeps the lists and the open conversation in step with the hub.

import { api, ApiError, clearSession, loadSession, mediaUrl, saveSession, uploadMedia } from './api.js';
import { EMOJI, VoiceRecorder, formatDuration, loadStickerPacks } from './media.js';
import { HubSocket } from './socket.js';
import { Store } from './store.js';
import { avatar, bubble, el, preview, timeOf } from './ui.js';

const $ = (id) => document.getElementById(id);
const HISTORY_PAGE = 50;
const TYPING_EVERY_MS = 3000;
const TYPING_SHOWN_MS = 5000;

const state = { config: null, session: null, store: null, socket: null, open: null, typingSent: 0, typers: new Map(), recorder: null };

boot().catch((e) => toast(e.message));

async function boot() {
  state.config = await api('/api/v1/config');
  const devId = new URLSearchParams(location.search).get('id');
  if (devId && state.config.dev_login) {
    const session = await api('/api/v1/dev/login', { method: 'POST', body: { id: Number(devId) } });
    const current = loadSession();
    if (current?.user?.id !== session.user.id) saveSession(session);
  }
  const session = loadSession();
  if (session) await start(session);
  else showSignin();
}

// ---------- sign in ----------

function showSignin() {
  $('app').hidden = true;
  $('signin').hidden = false;
  let registering = false;
  const form = $('signin-form');
  $('signin-toggle').onclick = () => {
    registering = !registering;
    $('nickname-row').hidden = !registering;
    $('signin-title').textContent = registering ? 'Create your account' : 'Sign in to chat';
    form.querySelector('[type=submit]').textContent = registering ? 'Create account' : 'Sign in';
    $('signin-toggle').textContent = registering ? 'Have an account? Sign in' : 'New here? Create an account';
  };
  form.onsubmit = async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    try {
      const body = registering ? data : { username: data.username, password: data.password };
      const session = await api(registering ? '/api/v1/register' : '/api/v1/login', { method: 'POST', body });
      saveSession(session);
      $('signin-error').textContent = '';
      await start(session);
    } catch (e) {
      $('signin-error').textContent = e.message;
    }
  };
}

async function start(session) {
  state.session = session;
  try {
    session.user = await api('/api/v1/me', { token: session.token });
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      clearSession();
      return showSignin();
    }
    throw e;
  }
  state.store = new Store(session.user);
  $('signin').hidden = true;
  $('app').hidden = false;
  $('me-avatar').replaceWith(Object.assign(avatar(session.user.nickname), { id: 'me-avatar' }));
  $('me-name').textContent = session.user.nickname;
  $('me-username').textContent = `@${session.user.username}`;
  wireUi();
  await Promise.all([refreshConversations(), refreshContacts(), refreshGroups()]);
  state.socket = new HubSocket({
    token: session.token,
    userId: session.user.id,
    heartbeatSecs: state.config.hub.heartbeat_secs,
    cursors: () => state.store.cursors(),
    onFrame,
    onStatus: (online) => { $('offline').hidden = online; },
  });
  restorePending();
  state.socket.connect();
  const last = sessionStorage.getItem('natter_open');
  if (last && state.store.conversation(Number(last))) openConversation(Number(last));
}

const call = (path, options = {}) => api(path, { ...options, token: state.session.token });

// ---------- lists ----------

async function refreshConversations() {
  const list = await call('/api/v1/conversations');
  for (const summary of list) state.store.upsertConversation(summary);
  renderConversations();
}

function renderConversations() {
  const store = state.store;
  const items = [...store.conversations.values()].sort((a, b) => (b.last_message?.ts ?? 0) - (a.last_message?.ts ?? 0));
  $('no-chats').hidden = items.length > 0;
  $('conversations').replaceChildren(...items.map((c) => {
    const name = titleOf(c);
    const unread = c.unread > 0 && state.open !== c.conv ? el('span', { class: 'badge', 'data-testid': 'unread-badge' }, String(c.unread)) : null;
    return el('li', { class: state.open === c.conv ? 'active' : '', 'data-testid': 'conversation', dataset: { conv: c.conv, name }, onclick: () => openConversation(c.conv) },
      avatar(name, { group: c.kind === 'group', online: c.peer ? store.online.has(c.peer.id) : undefined }),
      el('div', { class: 'grow' },
        el('div', { class: 'title' }, el('strong', {}, name), el('span', { class: 'time' }, c.last_message ? timeOf(c.last_message.ts) : '')),
        el('div', { class: 'title' }, el('span', { class: 'preview' }, preview(c.last_message)), unread)));
  }));
}

function titleOf(c) {
  return c.kind === 'group' ? c.group?.name ?? 'Group' : c.peer ? c.peer.nickname || c.peer.username : 'Chat';
}

async function refreshContacts() {
  const contacts = await call('/api/v1/contacts');
  state.store.contacts = contacts.map((c) => c.user);
  for (const c of contacts) {
    state.store.users.set(c.user.id, c.user);
    if (c.online) state.store.online.add(c.user.id);
  }
  renderContacts();
}

function renderContacts() {
  const store = state.store;
  $('contacts').replaceChildren(...store.contacts.map((u) => el('li', { 'data-testid': 'contact', dataset: { user: u.id }, onclick: () => chatWith(u) },
    avatar(u.nickname, { online: store.online.has(u.id) }),
    el('div', { class: 'grow' }, el('strong', {}, u.nickname), el('div', { class: 'preview' }, `@${u.username}`)))));
}

async function refreshGroups() {
  const groups = await call('/api/v1/groups');
  state.store.groups = new Map(groups.map((g) => [g.id, g]));
  $('groups').replaceChildren(...groups.map((g) => el('li', { 'data-testid': 'group', dataset: { group: g.id }, onclick: () => openGroup(g) },
    avatar(g.name, { group: true }), el('div', { class: 'grow' }, el('strong', {}, g.name), el('div', { class: 'preview' }, `${g.member_count} members`)))));
}

async function chatWith(user) {
  const { conv } = await call('/api/v1/conversations/direct', { method: 'POST', body: { user_id: user.id } });
  if (!state.store.conversation(conv)) state.store.upsertConversation({ conv, kind: 'direct', peer: user, last_seq: 0, read_seq: 0, peer_read_seq: 0, unread: 0 });
  selectTab('chats');
  openConversation(conv);
}

function openGroup(group) {
  if (!state.store.conversation(group.conv)) state.store.upsertConversation({ conv: group.conv, kind: 'group', group, last_seq: 0, read_seq: 0, peer_read_seq: 0, unread: 0 });
  selectTab('chats');
  openConversation(group.conv);
}

// ---------- the open conversation ----------

async function openConversation(conv) {
  const c = state.store.conversation(conv);
  if (!c) return;
  state.open = conv;
  sessionStorage.setItem('natter_open', String(conv));
  $('app').classList.add('in-chat');
  $('placeholder').hidden = true;
  $('chat-head').hidden = false;
  $('composer').hidden = false;
  $('members').hidden = true;
  const name = titleOf(c);
  $('chat-avatar').replaceWith(Object.assign(avatar(name, { group: c.kind === 'group' }), { id: 'chat-avatar' }));
  $('chat-name').textContent = name;
  $('members-toggle').hidden = c.kind !== 'group';
  $('leave-group').hidden = c.kind !== 'group';
  updateStatusLine();
  $('timeline').replaceChildren();
  $('typing').textContent = '';
  if (!state.store.messages.has(conv) || state.store.messages.get(conv).size < HISTORY_PAGE) await loadOlder(conv);
  renderTimeline(true);
  markRead();
  renderConversations();
  $('text').focus();
}

function updateStatusLine() {
  const c = state.store.conversation(state.open);
  if (!c) return;
  $('chat-status').textContent = c.kind === 'group'
    ? `${c.group?.member_count ?? ''} members`
    : state.store.online.has(c.peer?.id) ? 'online' : 'offline';
}

async function loadOlder(conv) {
  const before = state.store.oldestSeq(conv);
  if (before === 1) return false;
  const query = before ? `?before=${before}&limit=${HISTORY_PAGE}` : `?limit=${HISTORY_PAGE}`;
  const page = await call(`/api/v1/conversations/${conv}/messages${query}`);
  for (const m of page.messages) state.store.addMessage(m);
  state.store.conversation(conv).more = page.more;
  return page.messages.length > 0;
}

function renderTimeline(scrollToEnd) {
  const conv = state.open;
  const c = state.store.conversation(conv);
  const timeline = $('timeline');
  const nearBottom = timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 80;
  const links = (path) => (path?.startsWith('/media/') ? mediaUrl(state.config, state.session.token, path) : path);
  const nodes = [];
  let previousSender = null;
  const all = [...state.store.sortedMessages(conv), ...[...state.store.pending.values()].filter((m) => m.conv === conv)];
  for (const m of all) {
    const mine = m.userid === state.session.user.id;
    const sender = c.kind === 'group' && !mine && previousSender !== m.userid ? state.store.displayName(m.userid) : null;
    previousSender = m.userid;
    nodes.push(bubble(m, { mine, sender, peerReadSeq: c.peer_read_seq ?? 0, links, onOpenImage: openViewer }));
  }
  timeline.replaceChildren(...nodes);
  if (scrollToEnd || nearBottom) timeline.scrollTop = timeline.scrollHeight;
}

function markRead() {
  const c = state.store.conversation(state.open);
  if (!c || document.hidden) return;
  const theirs = state.store.sortedMessages(c.conv).filter((m) => m.userid !== state.session.user.id);
  const newest = theirs.at(-1)?.seq ?? 0;
  if (newest > (c.read_seq ?? 0)) {
    c.read_seq = newest;
    state.socket?.send({ cmd: 13, conv: c.conv, seq: newest });
  }
  c.unread = 0;
}

// ---------- sending ----------

function target(c) {
  return c.kind === 'group' ? { cmd: 11, dstid: c.group.id } : { cmd: 10, dstid: c.peer.id };
}

function send(fields) {
  const c = state.store.conversation(state.open);
  if (!c) return;
  const frame = { ...target(c), cid: crypto.randomUUID(), content: '', ...fields };
  const local = { ...frame, conv: c.conv, userid: state.session.user.id, ts: Date.now() };
  state.store.pending.set(frame.cid, local);
  savePending();
  state.socket.sendMessage(frame);
  renderTimeline(true);
}

/** Unacknowledged messages are shown (as sending) after a reload too. */
function savePending() {
  localStorage.setItem(`natter_pending_${state.session.user.id}`, JSON.stringify([...state.store.pending.values()]));
}

function restorePending() {
  try {
    const saved = JSON.parse(localStorage.getItem(`natter_pending_${state.session.user.id}`)) ?? [];
    const outbox = state.socket.outbox;
    for (const m of saved) if (outbox[m.cid]) state.store.pending.set(m.cid, m);
  } catch { /* nothing saved */ }
}

function sendText() {
  const text = $('text').value.trim();
  if (!text) return;
  const max = state.config.hub.max_text_chars;
  if ([...text].length > max) return toast(`Messages can be at most ${max} characters.`);
  send({ media: 1, content: text });
  $('text').value = '';
  autosize();
}

async function sendFile(file) {
  if (!state.open) return;
  const limits = state.config.media;
  const kind = file.type.startsWith('audio/') ? 'voice' : 'image';
  const max = kind === 'voice' ? limits.voice_max_bytes : limits.image_max_bytes;
  if (file.size > max) return toast(`That file is too large: ${kind === 'voice' ? 'voice clips' : 'images'} can be at most ${(max / 1048576).toFixed(0)} MB.`);
  const bar = $('upload-progress');
  bar.hidden = false;
  const progress = (f) => { bar.querySelector('.bar').style.width = `${Math.round(f * 100)}%`; bar.querySelector('span').textContent = `Uploading… ${Math.round(f * 100)}%`; };
  progress(0);
  try {
    const media = await uploadMedia(state.config, state.session.token, file, progress);
    if (media.kind === 'voice') {
      send({ media: 3, media_id: media.id });
    } else {
      send({ media: 4, media_id: media.id });
    }
  } catch (e) {
    toast(e.message);
  } finally {
    bar.hidden = true;
  }
}

// ---------- frames from the hub ----------

function onFrame(frame) {
  switch (frame.cmd) {
    case 10: case 11: return onMessage(frame);
    case 20: return onAck(frame);
    case 21: return onError(frame);
    case 12: return onTyping(frame);
    case 13: return onReceipt(frame);
    case 14: return onPresence(frame);
    default: return undefined;
  }
}

function onMessage(message) {
  const store = state.store;
  if (!store.conversation(message.conv)) {
    // A conversation we did not know yet: the list brings its peer or group.
    refreshConversations().then(() => onMessage(message)).catch((e) => toast(e.message));
    return;
  }
  if (!store.addMessage(message)) return;
  savePending();
  const c = store.conversation(message.conv);
  const mine = message.userid === state.session.user.id;
  if (state.open === message.conv) {
    renderTimeline(false);
    markRead();
  } else if (!mine) {
    c.unread = (c.unread ?? 0) + 1;
  }
  state.typers.delete(`${message.conv}:${message.userid}`);
  renderTyping();
  renderConversations();
}

function onAck(ack) {
  const pending = state.store.pending.get(ack.cid);
  if (!pending) return;
  state.store.pending.delete(ack.cid);
  state.store.addMessage({ ...pending, id: ack.id, conv: ack.conv, seq: ack.seq, ts: ack.ts });
  savePending();
  if (state.open === ack.conv) renderTimeline(false);
  renderConversations();
}

function onError(error) {
  if (error.cid && state.store.pending.has(error.cid)) {
    if (error.code === 'unavailable' || error.code === 'rate_limited') return; // kept in the outbox, re-sent on reconnect
    state.store.pending.delete(error.cid);
    state.socket.forget(error.cid);
    savePending();
    renderTimeline(false);
  }
  toast(error.error);
}

function onTyping(frame) {
  const c = [...state.store.conversations.values()].find((x) => (frame.group ? x.group?.id === frame.dstid : x.peer?.id === frame.userid));
  if (!c) return;
  state.typers.set(`${c.conv}:${frame.userid}`, Date.now());
  renderTyping();
  setTimeout(renderTyping, TYPING_SHOWN_MS + 50);
}

function renderTyping() {
  const now = Date.now();
  const names = [...state.typers].filter(([key, at]) => key.startsWith(`${state.open}:`) && now - at < TYPING_SHOWN_MS)
    .map(([key]) => state.store.displayName(Number(key.split(':')[1])));
  $('typing').textContent = names.length ? `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} typing…` : '';
}

function onReceipt(frame) {
  const c = state.store.conversation(frame.conv);
  if (!c) return;
  if (frame.userid === state.session.user.id) {
    c.read_seq = Math.max(c.read_seq ?? 0, frame.seq);
    c.unread = 0;
    renderConversations();
    return;
  }
  c.peer_read_seq = Math.max(c.peer_read_seq ?? 0, frame.seq);
  if (state.open === frame.conv) renderTimeline(false);
}

function onPresence(frame) {
  if (frame.online) state.store.online.add(frame.userid);
  else state.store.online.delete(frame.userid);
  renderContacts();
  renderConversations();
  updateStatusLine();
}

// ---------- wiring ----------

function wireUi() {
  if (state.wired) return;
  state.wired = true;
  document.querySelectorAll('.tab').forEach((tab) => { tab.onclick = () => selectTab(tab.dataset.tab); });
  $('signout').onclick = () => { state.socket?.close(); clearSession(); location.href = '/chat.html'; };
  $('back').onclick = () => { state.open = null; $('app').classList.remove('in-chat'); renderConversations(); };
  $('composer').onsubmit = (e) => { e.preventDefault(); sendText(); };
  $('text').addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); sendText(); } });
  $('text').addEventListener('input', () => { autosize(); sendTyping(); });
  $('image-input').onchange = (e) => { const [file] = e.target.files; if (file) sendFile(file); e.target.value = ''; };
  $('text').addEventListener('paste', (e) => { const file = [...e.clipboardData.files].find((f) => f.type.startsWith('image/')); if (file) { e.preventDefault(); sendFile(file); } });
  const chat = $('chat');
  chat.addEventListener('dragover', (e) => { e.preventDefault(); chat.classList.add('dragging'); });
  chat.addEventListener('dragleave', () => chat.classList.remove('dragging'));
  chat.addEventListener('drop', (e) => { e.preventDefault(); chat.classList.remove('dragging'); const [file] = e.dataTransfer.files; if (file) sendFile(file); });
  $('timeline').addEventListener('scroll', onScroll);
  $('viewer').onclick = () => { $('viewer').hidden = true; };
  $('emoji-toggle').onclick = () => toggleDrawer('emoji-drawer');
  $('sticker-toggle').onclick = () => toggleDrawer('sticker-drawer');
  $('record').onclick = startRecording;
  $('rec-cancel').onclick = () => { state.recorder?.cancel(); $('recorder').hidden = true; };
  $('rec-send').onclick = stopRecording;
  $('members-toggle').onclick = toggleMembers;
  $('leave-group').onclick = leaveGroup;
  $('people-search').addEventListener('input', debounce(searchPeople, 250));
  $('group-search').addEventListener('input', debounce(searchGroups, 250));
  $('group-create').onsubmit = createGroup;
  document.addEventListener('visibilitychange', markRead);
  buildEmojiDrawer();
  buildStickerDrawer();
}

function selectTab(name) {
  document.querySelectorAll('.tab').forEach((t) => t.classList.toggle('active', t.dataset.tab === name));
  document.querySelectorAll('.pane').forEach((p) => { p.hidden = p.dataset.pane !== name; });
}

async function onScroll() {
  const timeline = $('timeline');
  const c = state.store.conversation(state.open);
  if (timeline.scrollTop > 40 || !c?.more || state.loadingOlder) return;
  state.loadingOlder = true;
  const height = timeline.scrollHeight;
  try {
    await loadOlder(c.conv);
    renderTimeline(false);
    timeline.scrollTop = timeline.scrollHeight - height;
  } finally {
    state.loadingOlder = false;
  }
}

function sendTyping() {
  const c = state.store.conversation(state.open);
  if (!c || Date.now() - state.typingSent < TYPING_EVERY_MS) return;
  state.typingSent = Date.now();
  state.socket.send(c.kind === 'group' ? { cmd: 12, dstid: c.group.id, group: true } : { cmd: 12, dstid: c.peer.id });
}

function autosize() {
  const text = $('text');
  text.style.height = 'auto';
  text.style.height = `${Math.min(140, text.scrollHeight)}px`;
}

function toggleDrawer(id) {
  for (const other of ['emoji-drawer', 'sticker-drawer']) if (other !== id) $(other).hidden = true;
  $(id).hidden = !$(id).hidden;
}

function buildEmojiDrawer() {
  $('emoji-drawer').replaceChildren(...EMOJI.map((e) => el('button', { type: 'button', 'data-testid': 'emoji', onclick: () => { $('text').value += e; $('text').focus(); } }, e)));
}

async function buildStickerDrawer() {
  const packs = await loadStickerPacks();
  $('sticker-drawer').replaceChildren(...packs.flatMap((pack) => [
    el('h4', {}, pack.name),
    ...pack.stickers.map((s) => {
      const url = `/stickers/${pack.folder}/${s.file}`;
      return el('button', { type: 'button', 'data-testid': 'sticker-item', title: s.alt, onclick: () => { send({ media: 6, url, content: s.alt }); $('sticker-drawer').hidden = true; } },
        el('img', { src: url, alt: s.alt }));
    }),
  ]));
}

async function startRecording() {
  if (!window.MediaRecorder || !navigator.mediaDevices) return toast('This browser cannot record audio.');
  state.recorder = new VoiceRecorder((ms) => {
    $('rec-time').textContent = formatDuration(ms);
    if (ms >= state.config.media.voice_max_ms) stopRecording();
  });
  try {
    await state.recorder.start();
    $('recorder').hidden = false;
  } catch {
    toast('The microphone is not available. Allow it in the browser to record.');
  }
}

async function stopRecording() {
  const recorder = state.recorder;
  if (!recorder) return;
  state.recorder = null;
  $('recorder').hidden = true;
  if (recorder.elapsed() < state.config.media.voice_min_ms) {
    recorder.cancel();
    return toast(`Voice messages must last at least ${state.config.media.voice_min_ms / 1000} s.`);
  }
  const blob = await recorder.stop();
  const extension = blob.type.includes('ogg') ? 'ogg' : blob.type.includes('mp4') ? 'm4a' : 'webm';
  await sendFile(new File([blob], `voice.${extension}`, { type: blob.type.split(';')[0] }));
}

async function toggleMembers() {
  const panel = $('members');
  if (!panel.hidden) { panel.hidden = true; return; }
  const c = state.store.conversation(state.open);
  const members = await call(`/api/v1/groups/${c.group.id}/members`);
  panel.replaceChildren(...members.map((m) => el('span', { 'data-testid': 'member' }, `${m.online ? '🟢' : '⚪'} ${m.user.nickname}`)));
  panel.hidden = false;
}

async function leaveGroup() {
  const c = state.store.conversation(state.open);
  if (!confirm(`Leave ${c.group.name}?`)) return;
  await call(`/api/v1/groups/${c.group.id}/leave`, { method: 'POST' });
  state.store.conversations.delete(c.conv);
  state.open = null;
  $('app').classList.remove('in-chat');
  $('chat-head').hidden = true;
  $('composer').hidden = true;
  $('timeline').replaceChildren();
  $('placeholder').hidden = false;
  renderConversations();
  refreshGroups();
}

async function searchPeople() {
  const q = $('people-search').value.trim();
  if (!q) return $('people-results').replaceChildren();
  try {
    const users = await call(`/api/v1/users?q=${encodeURIComponent(q)}`);
    const known = new Set(state.store.contacts.map((u) => u.id));
    $('people-results').replaceChildren(...users.filter((u) => u.id !== state.session.user.id).map((u) => el('li', { 'data-testid': 'person', dataset: { user: u.id } },
      avatar(u.nickname), el('div', { class: 'grow' }, el('strong', {}, u.nickname), el('div', { class: 'preview' }, `@${u.username}`)),
      known.has(u.id)
        ? el('button', { onclick: () => chatWith(u) }, 'Chat')
        : el('button', { 'data-testid': 'contact-add', onclick: async () => { await call('/api/v1/contacts', { method: 'POST', body: { user_id: u.id } }); await refreshContacts(); searchPeople(); } }, 'Add'))));
  } catch (e) { toast(e.message); }
}

async function searchGroups() {
  const q = $('group-search').value.trim();
  if (!q) return $('group-results').replaceChildren();
  try {
    const groups = await call(`/api/v1/groups/search?q=${encodeURIComponent(q)}`);
    $('group-results').replaceChildren(...groups.map((g) => el('li', { 'data-testid': 'group-result' },
      avatar(g.name, { group: true }), el('div', { class: 'grow' }, el('strong', {}, g.name), el('div', { class: 'preview' }, `${g.member_count} members`)),
      state.store.groups.has(g.id)
        ? el('button', { onclick: () => openGroup(g) }, 'Open')
        : el('button', { 'data-testid': 'group-join', onclick: async () => { const joined = await call(`/api/v1/groups/${g.id}/join`, { method: 'POST' }); await refreshGroups(); openGroup(joined); } }, 'Join'))));
  } catch (e) { toast(e.message); }
}

async function createGroup(event) {
  event.preventDefault();
  const form = event.target;
  try {
    const group = await call('/api/v1/groups', { method: 'POST', body: { name: form.name.value } });
    form.reset();
    await refreshGroups();
    openGroup(group);
  } catch (e) { toast(e.message); }
}

function openViewer(url) {
  $('viewer-img').src = url;
  $('viewer').hidden = false;
}

function toast(message) {
  const node = $('toast');
  node.textContent = message;
  node.hidden = false;
  clearTimeout(state.toastTimer);
  state.toastTimer = setTimeout(() => { node.hidden = true; }, 4000);
}

function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}
