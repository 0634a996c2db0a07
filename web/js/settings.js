// The theme and language switches (on the sign-in screen and in the settings panel) and the
// settings panel itself: opened from the gear button, Escape or a click outside closes it and the
// focus goes back to the button.

import { LANGUAGES, languageChoice, onLanguageChange, setLanguage, t } from './i18n.js';
import { h } from './ui.js';
import { setTheme, themeChoice } from './theme.js';

const $ = (id) => document.getElementById(id);
const THEMES = [['system', 'settings.themeSystem'], ['light', 'settings.themeLight'], ['dark', 'settings.themeDark']];

/** A theme switch: three radio buttons (arrow keys move between them, as for any radio group). */
function themeSwitch(name) {
  const options = THEMES.map(([value, key]) => {
    const input = h('input', { type: 'radio', name, value, testid: `theme-${value}`, onchange: () => setTheme(value) });
    input.checked = themeChoice() === value;
    return h('label', {}, input, h('span', { 'data-i18n': key }, t(key)));
  });
  return h('fieldset', {}, h('legend', { 'data-i18n': 'settings.theme' }, t('settings.theme')), h('div', { class: 'segmented' }, options));
}

/** A language switch: the browser's language, or one of the page's, each named in itself. */
function languageSelect(testid) {
  const select = h('select', { testid, 'aria-label': t('settings.language'), 'data-i18n-attr': 'aria-label:settings.language' },
    h('option', { value: 'auto', 'data-i18n': 'settings.languageAuto' }, t('settings.languageAuto')),
    LANGUAGES.map((l) => h('option', { value: l.code, lang: l.code }, l.name)));
  select.value = languageChoice();
  select.addEventListener('change', () => setLanguage(select.value));
  return select;
}

/** The compact switches under the sign-in form. */
export function authPreferences() {
  const theme = h('select', { testid: 'auth-theme', 'aria-label': t('settings.theme'), 'data-i18n-attr': 'aria-label:settings.theme' },
    THEMES.map(([value, key]) => h('option', { value, 'data-i18n': key }, t(key))));
  theme.value = themeChoice();
  theme.addEventListener('change', () => setTheme(theme.value));
  const labelled = (key, control) => h('label', {}, h('span', { 'data-i18n': key }, t(key)), ' ', control);
  $('auth-prefs').replaceChildren(labelled('settings.language', languageSelect('auth-language')), labelled('settings.theme', theme));
}

export class Settings {
  /** `notifier` tells the notification state and asks for permission (notify.js). */
  constructor(notifier) {
    this.notifier = notifier;
    this.panel = $('settings');
    this.button = $('settings-button');
    const language = h('fieldset', {}, h('legend', { 'data-i18n': 'settings.language' }, t('settings.language')), languageSelect('language-select'));
    $('settings-prefs').replaceChildren(themeSwitch('theme'), language);
    this.button.addEventListener('click', (e) => {
      e.stopPropagation();
      this.toggle();
    });
    $('settings-close').addEventListener('click', () => this.toggle(false));
    this.panel.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      e.stopPropagation();
      this.toggle(false);
    });
    document.addEventListener('click', (e) => {
      if (!this.panel.hidden && !this.panel.contains(e.target)) this.toggle(false, { restoreFocus: false });
    });
    $('notify-enable').addEventListener('click', async () => {
      await this.notifier.request();
      this.paintNotifications();
    });
    const sound = $('notify-sound');
    sound.addEventListener('change', () => {
      this.notifier.sound = sound.checked;
    });
    onLanguageChange(() => this.paintNotifications());
  }

  toggle(open = this.panel.hidden, { restoreFocus = true } = {}) {
    this.panel.hidden = !open;
    this.button.setAttribute('aria-expanded', String(open));
    this.button.classList.toggle('active', open);
    if (open) {
      this.paintNotifications();
      (this.panel.querySelector('input[type=radio]:checked') ?? this.panel.querySelector('input, select, button'))?.focus();
    } else if (restoreFocus) {
      this.button.focus();
    }
  }

  paintNotifications() {
    const state = this.notifier.permission();
    const key = { granted: 'settings.notifyOn', denied: 'settings.notifyBlocked', unsupported: 'settings.notifyUnsupported' }[state] ?? 'settings.notifyOff';
    $('notify-state').textContent = t(key);
    $('notify-state').dataset.state = state;
    $('notify-enable').hidden = state !== 'default';
    $('notify-sound').checked = this.notifier.sound;
  }
}
