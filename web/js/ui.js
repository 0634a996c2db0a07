// Small DOM and formatting helpers shared by every view: element building, avatars, times (Intl, in
// the page's language), toasts.

import { capitalise, fmt, t } from './i18n.js';

/**
 * Builds an element: h('li', {class: 'x', dataset: {conv: 1}, onclick: fn}, child, 'text').
 * Text is always set as text, never parsed as HTML.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'style') Object.assign(el.style, value);
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'testid') el.dataset.testid = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** An inline SVG icon from path data (stroke style, as in the page's static icons). */
export function icon(paths, cls = '') {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  if (cls) svg.setAttribute('class', cls);
  for (const d of [].concat(paths)) {
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

export const ICONS = {
  play: 'M8 5v14l11-7z',
  pause: 'M8 5v14M16 5v14',
  clock: ['M12 7v5l3 2', 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z'],
  check: 'M5 12.5l4.5 4.5L19 7.5',
  checks: ['M2.5 12.5 7 17l9.5-9.5', 'M11 16l1 1 9.5-9.5'],
  alert: ['M12 8v5', 'M12 16.5v.5', 'M12 3 2 20h20z'],
  plus: 'M12 5v14M5 12h14',
  retry: ['M4 12a8 8 0 1 0 2.4-5.7', 'M4 4v4h4'],
  close: 'M6 6l12 12M18 6 6 18',
};

/** Avatar colours: dark enough for white initials in both themes (WCAG AA). */
const PALETTE = ['#4f46e5', '#0369a1', '#047857', '#b45309', '#b91c1c', '#be185d', '#6d28d9', '#0f766e'];

/** The initials of a name ("Alice Smith" → "AS"). */
export function initials(name) {
  const words = String(name || '?').trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? words[0][0] + words[1][0] : [...(words[0] ?? '?')][0];
  return letters.toUpperCase();
}

/** Fills an avatar element with initials on a colour picked from `seed`. */
export function paintAvatar(el, name, seed, { group = false } = {}) {
  el.textContent = group ? '#' : initials(name);
  el.style.background = PALETTE[Math.abs(Number(seed) || hashCode(name)) % PALETTE.length];
  el.classList.toggle('group', group);
  el.setAttribute('aria-hidden', 'true');
  return el;
}

/** A new avatar element, with an optional online dot. */
export function avatar(name, seed, { group = false, online } = {}) {
  const el = paintAvatar(h('div', { class: 'avatar' }), name, seed, { group });
  if (online !== undefined) {
    el.append(h('span', { class: `dot${online ? ' on' : ''}`, testid: 'online-dot', dataset: { online: String(!!online) } }));
  }
  return el;
}

function hashCode(text) {
  let hash = 0;
  for (const ch of String(text)) hash = (hash * 31 + ch.codePointAt(0)) | 0;
  return hash;
}

/** Clock time of a timestamp (ms). */
export function clock(ts) {
  return fmt.time.format(new Date(ts));
}

/** A short time for lists: "14:05" today, "Mon" this week, "3 Nov" before. */
export function shortTime(ts) {
  if (!ts) return '';
  const date = new Date(ts);
  const now = new Date();
  if (date.toDateString() === now.toDateString()) return fmt.time.format(date);
  if (now - date < 6 * 86400000) return fmt.weekday.format(date);
  return fmt.date.format(date);
}

/** A day heading: "Today", "Yesterday" (Intl's relative words), or the date. */
export function dayLabel(ts) {
  const date = new Date(ts);
  const today = new Date();
  const yesterday = new Date(Date.now() - 86400000);
  if (date.toDateString() === today.toDateString()) return capitalise(fmt.relativeDay.format(0, 'day'));
  if (date.toDateString() === yesterday.toDateString()) return capitalise(fmt.relativeDay.format(-1, 'day'));
  return (date.getFullYear() === today.getFullYear() ? fmt.day : fmt.dayWithYear).format(date);
}

/** "1:05" from milliseconds. */
export function duration(ms) {
  const total = Math.max(0, Math.round((ms || 0) / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

/** "1 member", "3 members". */
export function members(count) {
  return count === undefined || count === null ? '' : t('groups.members', { n: count });
}

/** A length of time in words: "1 second", "90 seconds", "5 minutes". */
export function spokenDuration(ms) {
  const seconds = Math.round(ms / 1000);
  if (seconds >= 120 && seconds % 60 === 0) return t('time.minutes', { n: seconds / 60 });
  return t('time.seconds', { n: seconds });
}

/** "2.5 MB" from bytes. */
export function bytes(n) {
  if (n >= 1024 * 1024) return fmt.megabytes.format(n / 1024 / 1024);
  if (n >= 1024) return fmt.kilobytes.format(Math.round(n / 1024));
  return fmt.bytes.format(n);
}

/** Shows a short message at the bottom of the page; `kind` is 'error' or 'info'. */
export function toast(message, kind = 'error') {
  // An open modal dialog covers the page: show it there instead.
  const box = document.querySelector('dialog[open] .toasts') ?? document.getElementById('toasts');
  const item = h('div', { class: `toast ${kind}`, testid: kind === 'error' ? 'error-toast' : 'info-toast', role: 'alert' }, message);
  box.append(item);
  setTimeout(() => item.classList.add('leaving'), 4500);
  setTimeout(() => item.remove(), 5000);
}

/** Whether the element is scrolled (nearly) to its bottom. */
export function atBottom(el, slack = 80) {
  return el.scrollHeight - el.scrollTop - el.clientHeight < slack;
}
