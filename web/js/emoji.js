// The emoji picker's contents (plain unicode, grouped) and the sticker packs shipped in /stickers/.

export const EMOJI_GROUPS = [
  { name: 'Smileys', emoji: '😀 😃 😄 😁 😆 😅 😂 🤣 🥲 😊 😇 🙂 😉 😌 😍 🥰 😘 😋 😛 😜 🤪 😎 🤩 🥳 😏 😒 😞 😔 😟 😕 🙁 😣 😖 😫 😩 🥺 😢 😭 😤 😠 😡 🤯 😳 🥵 🥶 😱 😨 🤗 🤔 🤭 🤫 🙄 😬 😴 🤤 😷 🤒 🤠 😈 👻 💀 🤖 💩' },
  { name: 'Gestures', emoji: '👋 🤚 ✋ 🖖 👌 🤌 🤏 ✌️ 🤞 🤟 🤘 🤙 👈 👉 👆 👇 ☝️ 👍 👎 ✊ 👊 👏 🙌 👐 🤲 🤝 🙏 💪 👀 🧠' },
  { name: 'Hearts', emoji: '❤️ 🧡 💛 💚 💙 💜 🖤 🤍 🤎 💔 ❣️ 💕 💞 💓 💗 💖 💘 💝 💯 ✨ 🔥 ⭐ 🌟 💫 🎉 🎊 🎈 🎁 🏆 ✅ ❌ ❓ ❗' },
  { name: 'Nature & food', emoji: '🐶 🐱 🐭 🐹 🐰 🦊 🐻 🐼 🐨 🐯 🦁 🐮 🐷 🐸 🐵 🐔 🐧 🐦 🦄 🐝 🦋 🌸 🌻 🌈 ☀️ 🌙 ⛄ 🍎 🍕 🍔 🍟 🌮 🍣 🍩 🍪 🎂 🍫 ☕ 🍵 🍺 🍷 🥂' },
  { name: 'Activities', emoji: '⚽ 🏀 🏈 🎾 🏐 🎱 🏓 🎮 🎲 🎯 🎸 🎹 🎧 🎤 🎬 📷 💻 📱 ⏰ 📌 ✏️ 📚 💡 🚀 ✈️ 🚗 🚲 🏠 🏖️ 🗺️' },
].map((group) => ({ ...group, emoji: group.emoji.split(' ') }));

/** The sticker packs: `[{id, name, stickers: [{name, alt, url}]}]` from /stickers/packs.json. */
export async function loadStickerPacks() {
  const response = await fetch('/stickers/packs.json');
  if (!response.ok) throw new Error('The sticker packs could not be loaded.');
  const packs = await response.json();
  return packs.map((pack) => ({
    ...pack,
    stickers: pack.stickers.map((s) => ({ ...s, pack: pack.id, url: `/stickers/${pack.id}/${s.name}.svg` })),
  }));
}
