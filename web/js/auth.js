// The sign-in and register screen.

import { api } from './api.js';
import { has, onLanguageChange, t } from './i18n.js';

const $ = (id) => document.getElementById(id);

/** Shows the form; resolves with `{user, token}` once someone signs in or registers. */
export function signIn({ devLogin, notice } = {}) {
  $('auth').hidden = false;
  $('app').hidden = true;
  $('auth-dev').hidden = !devLogin;
  const form = $('signin-form');
  const error = $('signin-error');
  let registering = false;
  let errorKey = null;
  const setError = (text, key = null) => {
    errorKey = key;
    error.textContent = text ?? '';
    error.hidden = !text;
  };
  setError(notice);
  const paint = () => {
    $('nickname-field').hidden = !registering;
    $('auth-sub').textContent = t(registering ? 'auth.subRegister' : 'auth.subSignIn');
    $('signin-submit').textContent = t(registering ? 'auth.createAccount' : 'auth.signIn');
    $('auth-switch-text').textContent = t(registering ? 'auth.haveAccount' : 'auth.newHere');
    $('register-toggle').textContent = t(registering ? 'auth.signIn' : 'auth.createAnAccount');
    $('signin-password').autocomplete = registering ? 'new-password' : 'current-password';
  };
  const mode = (register) => {
    registering = register;
    paint();
    setError('');
  };
  mode(false);
  onLanguageChange(() => {
    paint();
    // A problem found in the page is told again in the new language.
    if (errorKey) setError(t(errorKey), errorKey);
  });
  $('register-toggle').onclick = () => mode(!registering);
  $('signin-username').focus();

  return new Promise((resolve) => {
    form.onsubmit = async (event) => {
      event.preventDefault();
      const username = $('signin-username').value.trim().toLowerCase();
      const password = $('signin-password').value;
      const nickname = $('register-nickname').value.trim();
      const problem = check(username, password, registering);
      if (problem) {
        setError(t(problem), problem);
        return;
      }
      $('signin-submit').disabled = true;
      try {
        const session = registering
          ? await api('/api/v1/register', { method: 'POST', body: { username, password, ...(nickname ? { nickname } : {}) } })
          : await api('/api/v1/login', { method: 'POST', body: { username, password } });
        setError('');
        $('signin-password').value = '';
        $('auth').hidden = true;
        resolve(session);
      } catch (e) {
        setError(e.message, has(`api.${e.code}`) ? `api.${e.code}` : null);
      } finally {
        $('signin-submit').disabled = false;
      }
    };
  });
}

/** The same rules as the hub, told before the round trip: the catalogue key of the problem, or null. */
function check(username, password, registering) {
  if (!username) return 'auth.needUsername';
  if (!password) return 'auth.needPassword';
  if (!registering) return null;
  if (!/^[a-z0-9_]{3,32}$/.test(username)) return 'auth.badUsername';
  if (password.length < 8) return 'auth.shortPassword';
  if (password.length > 128) return 'auth.longPassword';
  return null;
}
