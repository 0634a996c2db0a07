// The chat page end to end: several users in Debian's Chromium against the real stack.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCanvas } from './png.js';
import { HUB, bubbleWith, chatWithContact, cspViolations, launch, openChat, registeredPage, sendText, shot, userPage } from './harness.js';

let browser;
let alice;
let bob;
let carol;
const run = Date.now().toString(36);

before(async () => {
  browser = await launch();
  alice = await userPage(browser, 1);
  bob = await userPage(browser, 2);
  carol = await userPage(browser, 3);
});

after(async () => {
  await browser?.close();
  assert.deepEqual(cspViolations, [], 'the page runs under script-src/style-src \'self\'');
});

test('text and emoji reach the other side, and the read mark comes back', async () => {
  await chatWithContact(alice, 'Bob');
  await alice.getByTestId('emoji-button').click();
  await alice.getByTestId('emoji').first().click();
  const emoji = await alice.getByTestId('composer').inputValue();
  await sendText(alice, `hello bob ${run} ${emoji}`);
  const mine = bubbleWith(alice, `hello bob ${run}`);
  await mine.locator('[data-state=sent], [data-state=read]').waitFor();
  await shot(alice, 'alice-sent-text');

  await openChat(bob, 'Alice');
  const received = bubbleWith(bob, `hello bob ${run}`);
  await received.waitFor();
  assert.match(await received.innerText(), new RegExp(emoji));
  await shot(bob, 'bob-received-text');
  await mine.locator('[data-state=read]').waitFor();
  await shot(alice, 'alice-sees-read');
});

test('a sticker is sent as a sticker, not as text', async () => {
  await alice.getByTestId('sticker-button').click();
  await alice.getByTestId('sticker-item').first().click();
  const sticker = bob.locator('[data-testid=message][data-media="6"] img[data-testid=sticker]').last();
  await sticker.waitFor();
  assert.match(await sticker.getAttribute('src'), /^\/stickers\//);
  await bob.waitForFunction((img) => img.complete && img.naturalWidth > 0, await sticker.elementHandle());
  await shot(bob, 'bob-received-sticker');
});

test('an image shows as a thumbnail on the other side and opens full size', async () => {
  await alice.getByTestId('image-input').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: createCanvas(900, 600) });
  const thumb = bob.locator('[data-testid=message][data-media="4"] img[data-testid=image-thumb]').last();
  await thumb.waitFor();
  await bob.waitForFunction((img) => img.complete && img.naturalWidth > 0, await thumb.elementHandle());
  const size = await thumb.evaluate((img) => [img.naturalWidth, img.naturalHeight]);
  assert.deepEqual(size, [320, 213], 'the thumbnail, not the original');
  await shot(bob, 'bob-received-image');
  await thumb.click();
  const full = bob.getByTestId('image-viewer').locator('img');
  await bob.waitForFunction((img) => img.complete && img.naturalWidth === 900, await full.elementHandle());
  await shot(bob, 'bob-opened-image');
  await bob.getByTestId('image-overlay-close').click();
  await bob.getByTestId('image-viewer').waitFor({ state: 'hidden' });
});

test('a voice clip recorded through the microphone plays on the other side', async () => {
  await alice.getByTestId('voice-record').click();
  await alice.getByTestId('voice-timer').filter({ hasText: '0:02' }).waitFor();
  await shot(alice, 'alice-recording');
  const clips = bob.locator('[data-testid=message][data-media="3"]');
  const before = await clips.count();
  await alice.getByTestId('voice-send').click();
  const clip = clips.nth(before);
  await clip.waitFor();
  const ms = Number(await clip.getByTestId('voice-duration').getAttribute('data-ms'));
  assert.ok(ms >= 1000, `duration ${ms} ms is at least a second`);
  await shot(bob, 'bob-received-voice');
  await clip.getByTestId('voice-play').click();
  await bob.waitForFunction((audio) => audio.currentTime > 0.2, await clip.getByTestId('voice-audio').elementHandle());
  await clip.getByTestId('voice-play').click();
});

test('a group message reaches every member and no one else', async () => {
  const outsider = await registeredPage(browser, `dave_${run}`);
  await openChat(alice, 'Demo');
  await sendText(alice, `hi group ${run}`);
  for (const member of [bob, carol]) {
    await openChat(member, 'Demo');
    await bubbleWith(member, `hi group ${run}`).waitFor();
    assert.match(await bubbleWith(member, `hi group ${run}`).innerText(), /Alice/, 'the sender is named');
  }
  await shot(carol, 'carol-sees-group-message');
  await outsider.getByTestId('tab-groups').click();
  await outsider.getByTestId('group-search').fill('Demo');
  await outsider.getByTestId('group-result').first().waitFor();
  assert.equal(await outsider.getByTestId('message').count(), 0, 'a non-member sees nothing');
  assert.equal(await outsider.getByTestId('conversation').count(), 0);
  await shot(outsider, 'outsider-sees-nothing');
  await outsider.context().close();
});

test('a reload keeps the session and the history', async () => {
  await bob.reload();
  await openChat(bob, 'Alice');
  await bubbleWith(bob, `hello bob ${run}`).waitFor();
  await shot(bob, 'bob-after-reload');
});

test('a message sent while offline arrives once after the network returns', async () => {
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');
  await alice.context().setOffline(true);
  await alice.getByTestId('offline-banner').waitFor();
  await sendText(alice, `sent offline ${run}`);
  await alice.locator('[data-state=sending]').last().waitFor();
  await shot(alice, 'alice-offline');
  await alice.context().setOffline(false);
  await alice.getByTestId('offline-banner').waitFor({ state: 'hidden' });
  await bubbleWith(bob, `sent offline ${run}`).waitFor();
  await bubbleWith(alice, `sent offline ${run}`).locator('[data-state=sent], [data-state=read]').waitFor();
  await shot(bob, 'bob-received-offline-message');
  // Exactly once on both sides, even after the hub replays history on reconnect.
  await bob.reload();
  await openChat(bob, 'Alice');
  await bubbleWith(bob, `sent offline ${run}`).waitFor();
  assert.equal(await bubbleWith(bob, `sent offline ${run}`).count(), 1);
  assert.equal(await bubbleWith(alice, `sent offline ${run}`).count(), 1);
});

test('the page works on a phone-sized screen', async () => {
  const phone = await userPage(browser, 3, { viewport: { width: 390, height: 844 } });
  await shot(phone, 'phone-list');
  await openChat(phone, 'Demo');
  await bubbleWith(phone, `hi group ${run}`).waitFor();
  assert.equal(await phone.getByTestId('conversation-list').isVisible(), false, 'the list gives way to the chat');
  await shot(phone, 'phone-chat');
  await phone.context().close();
  assert.ok(HUB);
});
