// The sign-in and register screen.

import { api } from './api.js';

const $ = (id) => document.getElementById(id);

/** Shows the form; resolves with `{user, token}` once someone signs in or registers. */
export function signIn({ devLogin, notice } = {}) {
  $('auth').hidden = false;
  $('app').hidden = true;
  $('auth-dev').hidden = !devLogin;
  const form = $('signin-form');
  const error = $('signin-error');
  let registering = false;
  const setError = (text) => {
    error.textContent = text ?? '';
    error.hidden = !text;
  };
  setError(notice);
  const mode = (register) => {
    registering = register;
    $('nickname-field').hidden = !register;
    $('auth-sub').textContent = register ? 'Create an account to start chatting.' : 'Sign in to keep chatting.';
    $('signin-submit').textContent = register ? 'Create account' : 'Sign in';
    $('auth-switch-text').textContent = register ? 'Already have an account?' : 'New here?';
    $('register-toggle').textContent = register ? 'Sign in' : 'Create an account';
    $('signin-password').autocomplete = register ? 'new-password' : 'current-password';
    setError('');
  };
  mode(false);
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
        setError(problem);
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
        setError(e.message);
      } finally {
        $('signin-submit').disabled = false;
      }
    };
  });
}

/** The same rules as the hub, told before the round trip. */
function check(username, password, registering) {
  if (!username) return 'Please enter your username.';
  if (!password) return 'Please enter your password.';
  if (!registering) return null;
  if (!/^[a-z0-9_]{3,32}$/.test(username)) return 'A username is 3 to 32 letters, digits or underscores.';
  if (password.length < 8) return 'Choose a password of at least 8 characters.';
  if (password.length > 128) return 'A password can have at most 128 characters.';
  return null;
}
