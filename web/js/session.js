// The signed-in session {user, token}: kept in localStorage so it survives a reload. A demo session
// from `?id=N` is kept per tab (sessionStorage), so two tabs can be two demo users at once.

const KEY = 'natter.session';

function storageFor(demo) {
  return demo ? sessionStorage : localStorage;
}

/** The saved session: the tab's demo session first, then the browser's. */
export function loadSession() {
  for (const store of [sessionStorage, localStorage]) {
    try {
      const session = JSON.parse(store.getItem(KEY));
      if (session?.token && session?.user) return session;
    } catch {
      /* a damaged entry counts as none */
    }
  }
  return null;
}

export function saveSession(session, { demo = false } = {}) {
  storageFor(demo).setItem(KEY, JSON.stringify({ ...session, demo }));
}

export function clearSession() {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
}
