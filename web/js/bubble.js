// One message in the timeline: text, emoji, sticker, image or voice, with time and delivery ticks.

import { mediaUrl } from './api.js';
import { stickerLabel } from './emoji.js';
import { t } from './i18n.js';
import { richText } from './richtext.js';
import { clock, duration, h, icon, ICONS } from './ui.js';
import { parseMemo, voicePlayer } from './voice.js';

const EMOJI_ONLY = /^(?:\p{Extended_Pictographic}(?:\uFE0F|\u200D\p{Extended_Pictographic}|\p{Emoji_Modifier})*|\s)+$/u;

/** Whether a text is only a few emoji (shown large). */
export function emojiOnly(text) {
  const t = text?.trim() ?? '';
  return t.length > 0 && EMOJI_ONLY.test(t) && [...t.matchAll(/\p{Extended_Pictographic}/gu)].length <= 3;
}

/** The delivery state of my message: sending → sent (acked) → read (receipt seq ≥ message seq). */
export function deliveryState(item, peerReadSeq) {
  if (item.state === 'failed') return 'failed';
  if (item.state === 'uploading') return 'uploading';
  if (!item.seq) return 'sending';
  return item.seq <= peerReadSeq ? 'read' : 'sent';
}

const TICK_LABEL = { sending: 'msg.sending', uploading: 'msg.uploading', sent: 'msg.sent', read: 'msg.read', failed: 'msg.failed' };

/** The tick mark of a delivery state. */
export function tick(state) {
  const paths = { sending: ICONS.clock, uploading: ICONS.clock, sent: ICONS.check, read: ICONS.checks, failed: ICONS.alert }[state];
  const label = TICK_LABEL[state] ? t(TICK_LABEL[state]) : '';
  return h('span', { class: `tick ${state}`, testid: 'tick', dataset: { state }, title: label, 'aria-label': label, role: 'img' }, icon(paths));
}

/** A short preview of a message for the conversation list. */
export function preview(msg) {
  if (!msg) return '';
  switch (msg.media) {
    case 1: return msg.content;
    case 3: {
      const { durationMs } = parseMemo(msg.memo);
      return durationMs ? t('msg.voiceLength', { duration: duration(durationMs) }) : t('msg.voice');
    }
    case 4: return t('msg.photo');
    case 6: {
      if (!msg.url) return msg.content;
      const name = stickerLabel(msg.url, msg.content);
      return name ? t('msg.stickerNamed', { name }) : t('msg.sticker');
    }
    default: return msg.content || t('msg.generic');
  }
}

/**
 * Builds the element of a message. `item` is a stored message or a pending one (no seq yet);
 * `ctx`: {me, config, name(userId), showSender, colour, state, onImage(full, thumb, options), onRetry, onDiscard}.
 */
export function bubble(item, ctx) {
  const own = item.userid === ctx.me.id;
  const media = item.media ?? item.frame?.media ?? 1;
  const root = h('div', {
    class: `msg ${own ? 'own' : 'other'}`,
    testid: 'message',
    dataset: { seq: item.seq ? String(item.seq) : '', cid: item.cid ?? '', media: String(media), own: String(own), sender: String(item.userid), state: ctx.state ?? '' },
  });
  if (ctx.showSender && !own) root.append(h('div', { class: `sender name-${ctx.colour}`, testid: 'message-sender' }, ctx.name(item.userid)));
  const body = content(item, media, ctx);
  const meta = h('span', { class: 'meta' }, h('time', {}, clock(item.ts || Date.now())), own ? tick(ctx.state) : null);
  body.append(meta);
  root.append(body);
  if (item.state === 'uploading') root.append(progressBar(item.progress ?? 0));
  if (item.state === 'failed') {
    root.append(h('div', { class: 'msg-error', testid: 'message-error' },
      h('span', {}, item.error || t('msg.notSent')),
      h('button', { type: 'button', class: 'link', testid: 'message-retry', onclick: () => ctx.onRetry(item.cid) }, t('msg.retry')),
      h('button', { type: 'button', class: 'link', testid: 'message-discard', onclick: () => ctx.onDiscard(item.cid) }, t('msg.delete'))));
  }
  return root;
}

function progressBar(fraction) {
  const pct = Math.round(fraction * 100);
  return h('div', { class: 'progress', testid: 'upload-progress', role: 'progressbar', 'aria-label': t('msg.upload'), 'aria-valuenow': String(pct), 'aria-valuemin': '0', 'aria-valuemax': '100' },
    h('span', { style: { width: `${pct}%` } }));
}

function content(item, media, ctx) {
  const fields = item.frame ? { ...item.frame, ...item } : item;
  switch (media) {
    case 3: return voiceContent(fields, ctx);
    case 4: return imageContent(fields, ctx);
    case 6: return fields.url ? stickerContent(fields) : textContent(fields.content, true);
    case 1: return emojiOnly(fields.content) ? textContent(fields.content, true) : formattedContent(fields.content);
    default: return textContent(fields.content || t('msg.unknownKind'), false);
  }
}

function textContent(text, big) {
  return h('div', { class: `bubble${big ? ' emoji' : ''}` }, h('span', { class: 'text', testid: 'message-text' }, text ?? ''));
}

/** A text message: links and light formatting, built as DOM nodes (richtext.js). */
function formattedContent(text) {
  return h('div', { class: 'bubble' }, h('span', { class: 'text', testid: 'message-text' }, richText(text)));
}

function stickerContent(fields) {
  const safe = fields.url.startsWith('/stickers/') ? fields.url : '';
  const label = stickerLabel(safe, fields.content) || t('msg.sticker');
  return h('div', { class: 'bubble sticker' },
    h('img', { src: safe, alt: label, title: label, testid: 'sticker', draggable: 'false' }));
}

function imageContent(fields, ctx) {
  const upload = ctx.config.upload_url;
  const thumb = fields.localUrl || (fields.pic ? mediaUrl(upload, fields.pic) : fields.media_id ? mediaUrl(upload, `/media/${fields.media_id}/thumb`) : '');
  const full = fields.url ? mediaUrl(upload, fields.url) : fields.media_id ? mediaUrl(upload, `/media/${fields.media_id}`) : fields.localUrl;
  const img = h('img', { src: thumb, alt: t('msg.photo'), testid: 'image-thumb', draggable: 'false' });
  img.addEventListener('error', () => img.closest('.image')?.classList.add('broken'), { once: true });
  const name = `natter-${fields.seq ?? fields.cid ?? 'photo'}`;
  const button = h('button', {
    type: 'button', class: 'image-open', 'aria-label': t('msg.openPhoto'), dataset: { broken: t('msg.imageUnavailable') },
    onclick: (e) => full && ctx.onImage(full, thumb, { name, from: e.currentTarget }),
  }, img);
  return h('div', { class: 'bubble image' }, button);
}

function voiceContent(fields, ctx) {
  const { durationMs, waveform } = parseMemo(fields.memo);
  const src = fields.localUrl || (fields.url ? mediaUrl(ctx.config.upload_url, fields.url) : '');
  return h('div', { class: 'bubble voice-bubble' }, voicePlayer({ src, durationMs, waveform, disabled: !src }));
}
