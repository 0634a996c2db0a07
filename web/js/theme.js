// The colour theme: 'system' (follows prefers-color-scheme, also when it changes), 'light' or
// 'dark', remembered in localStorage. The resolved theme is <html data-theme>, which app.css reads;
// theme-boot.js sets it first, before the page paints.

const KEY = 'natter.theme';
const CHOICES = ['system', 'light', 'dark'];
const system = window.matchMedia('(prefers-color-scheme: dark)');
const listeners = new Set();

/** What the user chose: 'system', 'light' or 'dark'. */
export function themeChoice() {
  try {
    const saved = localStorage.getItem(KEY);
    return CHOICES.includes(saved) ? saved : 'system';
  } catch {
    return 'system';
  }
}

/** The theme in effect: 'light' or 'dark'. */
export function theme() {
  const choice = themeChoice();
  if (choice !== 'system') return choice;
  return system.matches ? 'dark' : 'light';
}

/** Chooses a theme and remembers it. */
export function setTheme(choice) {
  try {
    localStorage.setItem(KEY, CHOICES.includes(choice) ? choice : 'system');
  } catch {
    /* applied, not remembered */
  }
  apply();
}

/** Calls `fn(theme)` whenever the theme in effect changes. */
export function onThemeChange(fn) {
  listeners.add(fn);
}

function apply() {
  const next = theme();
  const root = document.documentElement;
  const changed = root.dataset.theme !== next;
  root.dataset.theme = next;
  const meta = document.querySelector('meta[name="theme-color"]');
  const colour = getComputedStyle(root).getPropertyValue('--theme-color').trim();
  if (meta && colour) meta.content = colour;
  if (changed) for (const fn of listeners) fn(next);
}

system.addEventListener('change', apply);
// Another tab changed the choice.
window.addEventListener('storage', (e) => e.key === KEY && apply());
apply();
