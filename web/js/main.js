// The page's start: applies the theme and the language, reads the configuration, signs in (saved
// session, `?id=N` in development mode, or the form), then builds the views around the store and
// the chat service.

import './theme.js';
import { api, onUnauthorized, setToken } from './api.js';
import { signIn } from './auth.js';
import { Chat } from './chat.js';
import { Composer } from './composer.js';
import { ConversationView } from './conversation.js';
import { Drafts } from './drafts.js';
import { onLanguageChange, t, translatePage } from './i18n.js';
import { Notifier } from './notify.js';
import { clearSession, loadSession, saveSession } from './session.js';
import { authPreferences, Settings } from './settings.js';
import { Sidebar } from './sidebar.js';
import { Store } from './store.js';
import { paintAvatar, toast } from './ui.js';
import { ImageViewer } from './viewer.js';

const $ = (id) => document.getElementById(id);
const NOTICE_KEY = 'natter.notice';

translatePage();
boot().catch((error) => {
  $('splash').hidden = true;
  toast(error.message || t('page.cannotStart'));
});

async function boot() {
  const config = await loadConfig();
  let notice = sessionStorage.getItem(NOTICE_KEY);
  sessionStorage.removeItem(NOTICE_KEY);
  let session = null;
  const devId = new URLSearchParams(location.search).get('id');
  if (devId && config.dev_login) {
    try {
      session = await api('/api/v1/dev/login', { method: 'POST', body: { id: Number(devId) } });
      saveSession(session, { demo: true });
    } catch (error) {
      notice = t('page.demoFailed', { id: devId, error: error.message });
    }
  } else {
    session = await resume(loadSession(), (text) => {
      notice = text;
    });
  }
  $('splash').hidden = true;
  if (!session) {
    authPreferences();
    session = await signIn({ devLogin: config.dev_login, notice });
    saveSession(session);
  }
  setToken(session.token);
  await startApp(config, session);
}

/** The configuration, retried until the hub answers. */
async function loadConfig() {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await api('/api/v1/config');
    } catch (error) {
      if (attempt === 0) toast(t('page.retrying', { error: error.message }));
      await new Promise((resolve) => setTimeout(resolve, Math.min(10000, 1000 * 2 ** attempt)));
    }
  }
}

/** Checks a saved session with the hub; null when it is over. */
async function resume(session, tell) {
  if (!session) return null;
  setToken(session.token);
  try {
    return { ...session, user: await api('/api/v1/me') };
  } catch (error) {
    if (error.status === 401) {
      clearSession();
      tell(error.message);
      return null;
    }
    return session;
  }
}

/** Leaves the page for the sign-in screen, with an optional notice to show there. */
function signOut(notice) {
  if (notice) sessionStorage.setItem(NOTICE_KEY, notice);
  clearSession();
  location.replace('/chat.html');
}

async function startApp(config, session) {
  const store = new Store(session.user);
  const chat = new Chat(store, config, session.token);
  const drafts = new Drafts(session.user.id);
  const viewer = new ImageViewer();
  const narrow = window.matchMedia('(max-width: 760px)');
  const conversation = new ConversationView(store, chat, {
    viewer,
    onClose: () => {
      document.body.classList.remove('in-conv');
      history.replaceState(null, '', location.pathname + location.search);
    },
  });
  let notifier = null;
  /** Focus on the open conversation's row in the list (Escape in the composer). */
  const backToList = () => {
    if (narrow.matches) conversation.onClose();
    const row = document.querySelector(`#conv-list [data-row="${store.activeConv}"]`) ?? document.querySelector('#conv-list [data-row]');
    row?.focus();
  };
  const composer = new Composer(store, chat, { drafts, onSent: () => notifier.offer(), onLeave: backToList });
  const open = async (conv) => {
    const previous = store.activeConv;
    document.body.classList.add('in-conv');
    history.replaceState(null, '', `${location.pathname}${location.search}#conv=${conv}`);
    const opening = conversation.open(conv);
    if (previous !== conv) composer.switchTo(previous);
    composer.focus();
    await opening;
  };
  new Sidebar(store, chat, { onOpen: open, drafts });
  notifier = new Notifier(store, { onOpen: (conv) => store.convs.has(conv) && open(conv) });
  new Settings(notifier);

  onUnauthorized((error) => {
    chat.stop();
    signOut(error.message);
  });
  $('signout-button').addEventListener('click', () => {
    chat.stop();
    chat.outbox.clear();
    drafts.clear();
    signOut();
  });
  $('offline-retry').addEventListener('click', () => chat.reconnectNow());
  showMe(session.user);
  watchConnection(store);

  $('auth').hidden = true;
  $('app').hidden = false;
  try {
    await chat.start();
  } catch (error) {
    toast(error.message);
  }
  const wanted = Number(/conv=(\d+)/.exec(location.hash)?.[1]);
  if (wanted && store.convs.has(wanted)) await open(wanted);
  else if (!narrow.matches && store.sortedConvs().length) document.body.classList.remove('in-conv');
}

function showMe(user) {
  const name = user.nickname || user.username;
  $('me-name').textContent = name;
  paintAvatar($('me-avatar'), name, user.id);
}

/** The offline banner and the status under my name follow the connection. */
function watchConnection(store) {
  let wasOnline = false;
  let countdown;
  const paint = () => {
    const state = store.connection;
    $('me-status-text').textContent = t({ online: 'conn.online', connecting: 'conn.connecting' }[state] ?? 'conn.offline');
    const seconds = Math.max(0, Math.ceil(((store.retryAt ?? 0) - Date.now()) / 1000));
    $('offline-text').textContent = state === 'connecting' || !seconds
      ? t('conn.reconnecting')
      : t('conn.reconnectingIn', { n: seconds });
  };
  onLanguageChange(paint);
  store.on('connection', ({ state }) => {
    clearInterval(countdown);
    const banner = $('offline-banner');
    $('me-status').dataset.state = state;
    paint();
    if (state === 'online') {
      wasOnline = true;
      banner.hidden = true;
      document.body.classList.remove('offline');
      return;
    }
    if (!wasOnline && state === 'connecting') return;
    banner.hidden = false;
    banner.dataset.state = state;
    document.body.classList.add('offline');
    if (state === 'offline') countdown = setInterval(paint, 500);
  });
}
