// The emoji picker's contents (plain unicode, grouped) and the sticker packs shipped in /stickers/.

import { has, t } from './i18n.js';

export const EMOJI_GROUPS = [
  { key: 'emoji.smileys', emoji: '😀 😃 😄 😁 😆 😅 😂 🤣 🥲 😊 😇 🙂 😉 😌 😍 🥰 😘 😋 😛 😜 🤪 😎 🤩 🥳 😏 😒 😞 😔 😟 😕 🙁 😣 😖 😫 😩 🥺 😢 😭 😤 😠 😡 🤯 😳 🥵 🥶 😱 😨 🤗 🤔 🤭 🤫 🙄 😬 😴 🤤 😷 🤒 🤠 😈 👻 💀 🤖 💩' },
  { key: 'emoji.gestures', emoji: '👋 🤚 ✋ 🖖 👌 🤌 🤏 ✌️ 🤞 🤟 🤘 🤙 👈 👉 👆 👇 ☝️ 👍 👎 ✊ 👊 👏 🙌 👐 🤲 🤝 🙏 💪 👀 🧠' },
  { key: 'emoji.hearts', emoji: '❤️ 🧡 💛 💚 💙 💜 🖤 🤍 🤎 💔 ❣️ 💕 💞 💓 💗 💖 💘 💝 💯 ✨ 🔥 ⭐ 🌟 💫 🎉 🎊 🎈 🎁 🏆 ✅ ❌ ❓ ❗' },
  { key: 'emoji.nature', emoji: '🐶 🐱 🐭 🐹 🐰 🦊 🐻 🐼 🐨 🐯 🦁 🐮 🐷 🐸 🐵 🐔 🐧 🐦 🦄 🐝 🦋 🌸 🌻 🌈 ☀️ 🌙 ⛄ 🍎 🍕 🍔 🍟 🌮 🍣 🍩 🍪 🎂 🍫 ☕ 🍵 🍺 🍷 🥂' },
  { key: 'emoji.activities', emoji: '⚽ 🏀 🏈 🎾 🏐 🎱 🏓 🎮 🎲 🎯 🎸 🎹 🎧 🎤 🎬 📷 💻 📱 ⏰ 📌 ✏️ 📚 💡 🚀 ✈️ 🚗 🚲 🏠 🏖️ 🗺️' },
].map((group) => ({ ...group, emoji: group.emoji.split(' ') }));

/**
 * The sticker packs: `[{id, name, stickers: [{name, alt, url, pack}]}]` from /stickers/packs.json.
 * `alt` stays the pack's (it is what a sticker message carries); labels are translated on display.
 */
export async function loadStickerPacks() {
  const response = await fetch('/stickers/packs.json');
  if (!response.ok) throw new Error(t('stickers.failed'));
  const packs = await response.json();
  return packs.map((pack) => ({
    ...pack,
    stickers: pack.stickers.map((s) => ({ ...s, pack: pack.id, url: `/stickers/${pack.id}/${s.name}.svg` })),
  }));
}

/** The name of a pack in the page's language. */
export function packLabel(pack) {
  const key = `stickers.pack.${pack.id}`;
  return has(key) ? t(key) : pack.name;
}

/** The label of the sticker at `url` (/stickers/<pack>/<name>.svg) in the page's language, else `fallback`. */
export function stickerLabel(url, fallback = '') {
  const match = /^\/stickers\/([\w-]+)\/([\w-]+)\.svg$/.exec(url ?? '');
  const key = match ? `stickers.${match[1]}.${match[2]}` : null;
  return key && has(key) ? t(key) : fallback;
}
