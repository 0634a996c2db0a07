// The page's languages: a message catalogue per language (js/i18n/*.js, plain data), the language
// chosen from the browser's list or by the user (remembered), `t(key, params)` to look a string
// up, the static page translated through data-i18n attributes, and dates, times, numbers and lists
// formatted by Intl in the chosen language.

import en from './i18n/en.js';
import zhCN from './i18n/zh-CN.js';

const CATALOGUES = { en, 'zh-CN': zhCN };
const KEY = 'natter.lang';

/** The languages the page speaks, each named in itself (for the switch). */
export const LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'zh-CN', name: '简体中文' },
];

let choice = readChoice();
let lang = resolve(choice);
let plural = new Intl.PluralRules(lang);
const listeners = new Set();

function readChoice() {
  try {
    const saved = localStorage.getItem(KEY);
    return saved && (saved === 'auto' || CATALOGUES[saved]) ? saved : 'auto';
  } catch {
    return 'auto';
  }
}

/** The first of the browser's languages the page speaks; any Chinese gets Simplified Chinese. */
export function detect(languages = navigator.languages?.length ? navigator.languages : [navigator.language]) {
  for (const tag of languages) {
    const lower = String(tag || '').toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

function resolve(value) {
  return value === 'auto' || !CATALOGUES[value] ? detect() : value;
}

/** The language in use ('en' or 'zh-CN'). */
export function language() {
  return lang;
}

/** What the user chose: 'auto' (follow the browser) or a language code. */
export function languageChoice() {
  return choice;
}

/** Switches the language (and remembers it); views re-render through onLanguageChange. */
export function setLanguage(value) {
  choice = value === 'auto' || CATALOGUES[value] ? value : 'auto';
  try {
    localStorage.setItem(KEY, choice);
  } catch {
    /* not remembered, still switched */
  }
  const next = resolve(choice);
  if (next === lang) return;
  lang = next;
  plural = new Intl.PluralRules(lang);
  rebuildFormats();
  translatePage();
  for (const fn of listeners) fn(lang);
}

/** Calls `fn(lang)` after every language switch. */
export function onLanguageChange(fn) {
  listeners.add(fn);
}

/** Whether the catalogue has `key` (in the language in use or in English). */
export function has(key) {
  return key in CATALOGUES[lang] || key in en;
}

/**
 * The string of `key` with `{name}` placeholders filled from `params`. A plural entry (an object
 * keyed by Intl.PluralRules categories) is chosen by `params.n`. A key missing in the language
 * falls back to English, then to the key itself.
 */
export function t(key, params = {}) {
  let entry = CATALOGUES[lang][key] ?? en[key];
  if (entry === undefined) {
    console.warn(`i18n: no string for ${key}`);
    return key;
  }
  if (typeof entry === 'object') entry = entry[plural.select(Number(params.n ?? 0))] ?? entry.other;
  return entry.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? format(params[name]) : whole));
}

function format(value) {
  return typeof value === 'number' ? fmt.number.format(value) : String(value);
}

/**
 * Translates the static page under `root`: `data-i18n="key"` sets the text, and
 * `data-i18n-attr="placeholder:key;aria-label:key2"` sets attributes.
 */
export function translatePage(root = document) {
  if (root === document) document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
}

// ---------- Intl formats in the language in use ----------

/** The formatters of the language in use; rebuilt on a switch. */
export const fmt = {};

/**
 * The locale Intl formats with: for English the browser's own English (en-GB writes 21:05, en-US
 * 9:05 PM), for Chinese zh-CN (the page's text is Simplified).
 */
export function formatLocale() {
  if (lang !== 'en') return lang;
  const browser = (navigator.languages?.length ? navigator.languages : [navigator.language]).find((tag) => /^en(-|$)/i.test(tag ?? ''));
  try {
    return browser ? Intl.getCanonicalLocales(browser)[0] : 'en';
  } catch {
    return 'en';
  }
}

function rebuildFormats() {
  const locale = formatLocale();
  fmt.time = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' });
  fmt.weekday = new Intl.DateTimeFormat(locale, { weekday: 'short' });
  fmt.date = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short' });
  fmt.day = new Intl.DateTimeFormat(locale, { weekday: 'long', day: 'numeric', month: 'long' });
  fmt.dayWithYear = new Intl.DateTimeFormat(locale, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  fmt.relativeDay = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  fmt.number = new Intl.NumberFormat(locale);
  fmt.list = new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' });
  fmt.megabytes = new Intl.NumberFormat(locale, { style: 'unit', unit: 'megabyte', maximumFractionDigits: 1 });
  fmt.kilobytes = new Intl.NumberFormat(locale, { style: 'unit', unit: 'kilobyte', maximumFractionDigits: 0 });
  fmt.bytes = new Intl.NumberFormat(locale, { style: 'unit', unit: 'byte', unitDisplay: 'long' });
}
rebuildFormats();

/** Upper-cases the first letter (for "today" → "Today"; a no-op in scripts without case). */
export function capitalise(text) {
  return text ? text.charAt(0).toLocaleUpperCase(lang) + text.slice(1) : text;
}
