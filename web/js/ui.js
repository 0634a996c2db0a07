// Small rendering helpers: elements, avatars, times, message bubbles.

import { emojiOnly, formatDuration } from './media.js';

/** Creates an element: el('li', {class: 'x', dataset: {conv: 1}}, child, 'text'). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

const PALETTE = ['#5b5bd6', '#e0627b', '#2fb47c', '#f08a3c', '#3a9bd9', '#9b59b6', '#16a39a'];

export function avatar(name, { online, group } = {}) {
  const color = PALETTE[[...name].reduce((sum, c) => sum + c.codePointAt(0), 0) % PALETTE.length];
  const node = el('span', { class: group ? 'avatar group' : 'avatar', style: `background:${color}` }, (name[0] ?? '?').toUpperCase());
  if (online !== undefined) node.append(el('i', { class: online ? 'dot online' : 'dot', 'aria-label': online ? 'online' : 'offline' }));
  return node;
}

export function timeOf(ts) {
  const date = new Date(ts);
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : date.toLocaleDateString([], { month: 'short', day: 'numeric' });
}

/** A one-line preview of a message for the conversation list. */
export function preview(message) {
  if (!message) return '';
  return { 3: '🎤 Voice message', 4: '🖼 Photo', 6: message.url ? '🐱 Sticker' : message.content }[message.media] ?? message.content;
}

/** Delivery state of an own message: sending, sent (acked) or read (receipt seen). */
export function stateMark(message, peerReadSeq) {
  if (!message.seq) return el('span', { class: 'state', title: 'Sending', dataset: { state: 'sending' } }, '🕓');
  if (peerReadSeq >= message.seq) return el('span', { class: 'state read', title: 'Read', dataset: { state: 'read' } }, '✓✓');
  return el('span', { class: 'state', title: 'Sent', dataset: { state: 'sent' } }, '✓');
}

/** A message bubble. `links` turns media paths into URLs carrying the token. */
export function bubble(message, { mine, sender, peerReadSeq, links, onOpenImage }) {
  const kind = { 3: 'voice', 4: 'image', 6: message.url ? 'sticker' : 'text' }[message.media] ?? 'text';
  const classes = ['msg', kind, mine ? 'mine' : '', kind === 'text' && emojiOnly(message.content) ? 'emoji-only' : ''];
  const node = el('div', {
    class: classes.join(' ').trim(),
    'data-testid': 'message',
    dataset: { seq: message.seq ?? '', media: message.media, cid: message.cid ?? '', mine: mine ? 'true' : 'false' },
  });
  if (sender) node.append(el('div', { class: 'who' }, sender));
  node.append(content(message, kind, links, onOpenImage));
  const meta = el('div', { class: 'meta' }, message.ts ? timeOf(message.ts) : '');
  if (mine) meta.append(' ', stateMark(message, peerReadSeq));
  node.append(meta);
  return node;
}

function content(message, kind, links, onOpenImage) {
  if (kind === 'sticker') return el('img', { src: message.url, alt: message.content || 'sticker', 'data-testid': 'sticker' });
  if (kind === 'image') {
    const full = links(message.url);
    return el('img', { src: links(message.pic ?? message.url), alt: 'Photo', 'data-testid': 'image-thumb', onclick: () => onOpenImage(full) });
  }
  if (kind === 'voice') return voicePlayer(message, links);
  return el('div', { class: 'body' }, message.content);
}

function voicePlayer(message, links) {
  let info = {};
  try { info = JSON.parse(message.memo ?? '{}'); } catch { /* no details */ }
  const audio = el('audio', { src: links(message.url), preload: 'none', 'data-testid': 'voice-audio' });
  const button = el('button', { type: 'button', 'aria-label': 'Play', 'data-testid': 'voice-play' }, '▶');
  button.addEventListener('click', () => (audio.paused ? audio.play() : audio.pause()));
  audio.addEventListener('play', () => { button.textContent = '❚❚'; button.setAttribute('aria-label', 'Pause'); });
  audio.addEventListener('pause', () => { button.textContent = '▶'; button.setAttribute('aria-label', 'Play'); });
  const bars = (info.waveform ?? []).map((v) => el('i', { style: `height:${Math.max(3, Math.round((v / 255) * 28))}px` }));
  const duration = el('span', { 'data-testid': 'voice-duration', dataset: { ms: info.duration_ms ?? 0 } }, formatDuration(info.duration_ms ?? 0));
  return el('div', { class: 'voice' }, button, el('div', { class: 'wave' }, bars), duration, audio);
}
