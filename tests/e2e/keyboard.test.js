// Drafts that survive a reload, and the page from the keyboard alone: the conversation list (one
// tab stop, arrow keys, Enter), visible focus, the tabs, the composer, the emoji and sticker
// pickers and the settings panel.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { bubbleWith, chatWithContact, cspViolations, launch, openChat, shot, userPage } from './harness.js';

let browser;
let alice;
const run = Date.now().toString(36);

before(async () => {
  browser = await launch();
  alice = await userPage(browser, 1);
});

after(async () => {
  await browser?.close();
  assert.deepEqual(cspViolations, []);
});

/** What has the focus: its test id, conversation, role and whether it shows a focus ring. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return {
      testid: el.dataset.testid ?? el.closest('[data-testid]')?.dataset.testid ?? null,
      conv: el.dataset.conv ?? null,
      title: el.dataset.title ?? null,
      ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    };
  });
}

test('drafts survive a reload, one per conversation', async () => {
  const composer = alice.getByTestId('composer');
  await chatWithContact(alice, 'Bob');
  await composer.fill(`draft for bob ${run}`);
  await openChat(alice, 'Demo');
  await composer.fill(`draft for demo ${run}`);
  await openChat(alice, 'Bob');
  assert.equal(await composer.inputValue(), `draft for bob ${run}`);
  const demoRow = alice.getByTestId('conversation').filter({ hasText: 'Demo' });
  assert.equal(await demoRow.getByTestId('conv-draft').innerText(), `Draft: draft for demo ${run}`, 'the list shows the draft');

  await alice.reload();
  await alice.getByTestId('chat-name').filter({ hasText: 'Bob' }).waitFor();
  assert.equal(await composer.inputValue(), `draft for bob ${run}`, 'the open conversation gets its draft back');
  await openChat(alice, 'Demo');
  assert.equal(await composer.inputValue(), `draft for demo ${run}`);
  await alice.keyboard.press('Enter');
  await bubbleWith(alice, `draft for demo ${run}`).waitFor();
  assert.equal(await composer.inputValue(), '', 'a sent draft is gone');
  await shot(alice, 'drafts-after-reload');
});

test('the conversation list, the tabs and the composer work from the keyboard with a visible focus', async () => {
  // Tab reaches the list: one tab stop for all its rows.
  await alice.locator('body').click({ position: { x: 700, y: 20 } });
  await alice.getByTestId('settings-button').focus();
  let stops = [];
  for (let i = 0; i < 6 && (await focused(alice)).testid !== 'conversation'; i += 1) {
    await alice.keyboard.press('Tab');
    stops.push((await focused(alice)).testid);
  }
  const first = await focused(alice);
  assert.equal(first.testid, 'conversation', `Tab reaches the list (went through ${stops.join(', ')})`);
  assert.ok(first.ring, 'the focused row shows a focus ring');
  await shot(alice, 'keyboard-focus-on-list');

  // Arrows move through the rows, Enter opens one and puts the focus in the composer.
  const titles = await alice.getByTestId('conversation').evaluateAll((rows) => rows.map((r) => r.dataset.title));
  await alice.keyboard.press('Home');
  assert.equal((await focused(alice)).title, titles[0]);
  await alice.keyboard.press('ArrowDown');
  assert.equal((await focused(alice)).title, titles[1]);
  await alice.keyboard.press('End');
  assert.equal((await focused(alice)).title, titles[titles.length - 1]);
  await alice.keyboard.press('ArrowUp');
  const target = await focused(alice);
  assert.equal(target.title, titles[titles.length - 2]);
  await alice.keyboard.press('Enter');
  await alice.getByTestId('chat-name').filter({ hasText: target.title }).waitFor();
  assert.equal((await focused(alice)).testid, 'composer');
  await alice.keyboard.type(`typed ${run}`);
  await alice.keyboard.press('Enter');
  await bubbleWith(alice, `typed ${run}`).waitFor();
  // Escape in the composer goes back to the conversation's row.
  await alice.keyboard.press('Escape');
  assert.deepEqual(await focused(alice).then(({ testid, title }) => ({ testid, title })), { testid: 'conversation', title: target.title });

  // The tabs: Left/Right move and show the panel.
  await alice.getByTestId('tab-chats').focus();
  await alice.keyboard.press('ArrowRight');
  assert.equal((await focused(alice)).testid, 'tab-people');
  assert.ok(await alice.getByTestId('contacts').isVisible());
  await alice.keyboard.press('ArrowRight');
  assert.ok(await alice.getByTestId('group-list').isVisible());
  await alice.keyboard.press('Home');
  assert.equal(await alice.getByTestId('tab-chats').getAttribute('aria-selected'), 'true');
  assert.ok(await alice.getByTestId('conversation-list').isVisible());
});

test('the emoji and sticker pickers and the settings panel work from the keyboard', async () => {
  await openChat(alice, 'Bob');
  const composer = alice.getByTestId('composer');
  await composer.fill('');
  // Emoji: Enter opens the picker with the focus in it, arrows move, Enter inserts, Escape closes.
  await alice.getByTestId('emoji-button').focus();
  await alice.keyboard.press('Enter');
  await alice.getByTestId('emoji-picker').waitFor();
  assert.equal((await focused(alice)).testid, 'emoji');
  await alice.keyboard.press('ArrowRight');
  await alice.keyboard.press('ArrowDown');
  const chosen = await alice.evaluate(() => document.activeElement.dataset.emoji);
  const emoji = await alice.getByTestId('emoji').evaluateAll((els) => els.map((e) => e.dataset.emoji));
  assert.equal(chosen, emoji[9], 'right once and down one row of eight');
  await alice.keyboard.press('Enter');
  assert.equal((await focused(alice)).testid, 'emoji', 'the focus stays in the picker to pick more');
  await shot(alice, 'keyboard-emoji-picker');
  await alice.keyboard.press('Escape');
  await alice.getByTestId('emoji-picker').waitFor({ state: 'hidden' });
  assert.equal((await focused(alice)).testid, 'composer');
  assert.equal(await composer.inputValue(), chosen);
  await composer.fill('');

  // Stickers: the same, and Enter sends.
  const before = await alice.locator('[data-testid=message][data-media="6"]').count();
  await alice.getByTestId('sticker-button').focus();
  await alice.keyboard.press('Enter');
  await alice.getByTestId('sticker-item').first().waitFor();
  assert.equal((await focused(alice)).testid, 'sticker-item');
  await alice.keyboard.press('ArrowRight');
  await alice.keyboard.press('Enter');
  await alice.getByTestId('sticker-picker').waitFor({ state: 'hidden' });
  await alice.waitForFunction((n) => document.querySelectorAll('[data-testid=message][data-media="6"]').length > n, before);
  assert.equal(await alice.locator('[data-testid=message][data-media="6"] img').last().getAttribute('src'), '/stickers/kitty/love.svg');
  assert.equal((await focused(alice)).testid, 'composer');

  // Settings: Enter opens with the focus on the chosen theme, arrows change it, Escape closes.
  await alice.getByTestId('settings-button').focus();
  await alice.keyboard.press('Enter');
  await alice.getByTestId('settings').waitFor();
  assert.equal((await focused(alice)).testid, 'theme-system');
  await alice.keyboard.press('ArrowRight');
  assert.equal(await alice.evaluate(() => document.documentElement.dataset.theme), 'light');
  await alice.keyboard.press('ArrowRight');
  assert.equal(await alice.evaluate(() => document.documentElement.dataset.theme), 'dark');
  await shot(alice, 'keyboard-settings');
  await alice.keyboard.press('Escape');
  await alice.getByTestId('settings').waitFor({ state: 'hidden' });
  assert.equal((await focused(alice)).testid, 'settings-button');
  assert.equal(await alice.getByTestId('settings-button').getAttribute('aria-expanded'), 'false');
});
