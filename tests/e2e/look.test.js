// How the page looks and speaks: both themes (following the system, and the remembered switch)
// with every main screen readable, Simplified Chinese from the browser's language (strings, Intl
// dates, error codes), and the web app manifest that makes it installable.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertReadable } from './audit.js';
import { HUB, bubbleWith, chatWithContact, cspViolations, launch, launchWithTabs, openChat, registeredPage, sendText, shot, signInPage, tokenOf, userPage } from './harness.js';
import en from '../../web/js/i18n/en.js';

let browser;
const run = Date.now().toString(36);

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
  assert.deepEqual(cspViolations, [], 'the page runs under script-src/style-src \'self\'');
});

/** The background colour of the body, as [r, g, b]. */
async function bodyColour(page) {
  return page.evaluate(() => getComputedStyle(document.body).backgroundColor.match(/\d+/g).slice(0, 3).map(Number));
}
const isDark = ([r, g, b]) => r + g + b < 150;

/** Walks the main screens of a signed-in page, checking contrast and taking a screenshot of each. */
async function mainScreens(page, theme) {
  await chatWithContact(page, 'Bob');
  await assertReadable(page, `${theme} chat`);
  await shot(page, `${theme}-chat`);
  await page.getByTestId('emoji-button').click();
  await assertReadable(page, `${theme} emoji picker`);
  await shot(page, `${theme}-emoji-picker`);
  await page.keyboard.press('Escape');
  await page.getByTestId('tab-people').click();
  await assertReadable(page, `${theme} contacts`);
  await shot(page, `${theme}-contacts`);
  await page.getByTestId('tab-groups').click();
  await page.getByTestId('group-item').filter({ hasText: 'Demo' }).click();
  await page.getByTestId('members-button').click();
  await page.getByTestId('member-item').first().waitFor();
  await assertReadable(page, `${theme} group members`);
  await shot(page, `${theme}-group-members`);
  await page.getByTestId('settings-button').click();
  await assertReadable(page, `${theme} settings`);
  await shot(page, `${theme}-settings`);
  await page.keyboard.press('Escape');
}

test('the theme follows the system, every main screen is readable in both, and the switch is remembered', async () => {
  const signIn = await signInPage(browser, { colorScheme: 'dark' });
  assert.equal(await signIn.evaluate(() => document.documentElement.dataset.theme), 'dark');
  assert.ok(isDark(await bodyColour(signIn)), 'a dark system gets the dark page');
  await assertReadable(signIn, 'dark sign-in');
  await shot(signIn, 'dark-sign-in');
  await signIn.getByTestId('auth-theme').selectOption('light');
  assert.ok(!isDark(await bodyColour(signIn)), 'the switch on the sign-in screen applies at once');
  await assertReadable(signIn, 'light sign-in');
  await shot(signIn, 'light-sign-in');
  await signIn.context().close();

  const alice = await userPage(browser, 1, { colorScheme: 'dark' });
  assert.ok(isDark(await bodyColour(alice)));
  await mainScreens(alice, 'dark');
  // Left on "system", the page follows the system while it is open.
  await alice.emulateMedia({ colorScheme: 'light' });
  await alice.waitForFunction(() => document.documentElement.dataset.theme === 'light');
  await alice.emulateMedia({ colorScheme: 'dark' });
  await alice.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  await alice.getByTestId('settings-button').click();
  await alice.getByTestId('theme-light').check();
  assert.ok(!isDark(await bodyColour(alice)), 'the switch applies at once');
  await alice.keyboard.press('Escape');
  await alice.reload();
  await alice.getByTestId('conversation').first().waitFor();
  assert.equal(await alice.evaluate(() => document.documentElement.dataset.theme), 'light', 'remembered over the system\'s dark');
  await mainScreens(alice, 'light');
  await alice.context().close();
});

test('the page speaks Chinese to a zh-CN browser: strings, dates through Intl, and error codes', async () => {
  // The sign-in screen: a refused password is worded by its code.
  const signIn = await signInPage(browser, { locale: 'zh-CN' });
  assert.equal(await signIn.evaluate(() => document.documentElement.lang), 'zh-CN');
  assert.equal(await signIn.getByTestId('signin-submit').innerText(), '登录');
  await signIn.getByTestId('signin-username').fill('alice');
  await signIn.getByTestId('signin-password').fill('not the password');
  await signIn.getByTestId('signin-submit').click();
  await signIn.getByTestId('signin-error').filter({ hasText: '用户名和密码不匹配。' }).waitFor();
  await shot(signIn, 'zh-sign-in-refused');
  await signIn.context().close();

  const carol = await userPage(browser, 3, { locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  await openChat(carol, 'Demo');
  await sendText(carol, `大家好 ${run}`);
  const mine = bubbleWith(carol, `大家好 ${run}`);
  await mine.locator('[data-state=sent], [data-state=read]').waitFor();
  assert.deepEqual(await carol.getByRole('tab').allInnerTexts(), ['聊天', '联系人', '群组']);
  assert.equal(await carol.getByTestId('composer').getAttribute('placeholder'), '输入消息…');
  assert.match(await mine.getByTestId('tick').getAttribute('aria-label'), /^(已发送|已读)$/);
  assert.equal(await carol.getByTestId('day-separator').last().innerText(), '今天');
  const clock = new Intl.DateTimeFormat('zh-CN', { hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Shanghai' });
  const now = Date.now();
  const shown = await mine.locator('time').innerText();
  assert.ok([now, now - 60000].map((ts) => clock.format(ts)).includes(shown), `the time ${shown} is Intl's zh-CN clock`);
  // No string of the English catalogue is left anywhere on the screen (names and messages are not in it).
  const english = new Set(Object.values(en).flatMap((v) => (typeof v === 'string' ? [v] : Object.values(v))).filter((v) => /[A-Za-z]{3}/.test(v)));
  const leftovers = await carol.evaluate((strings) => {
    const found = [];
    for (const el of document.querySelectorAll('body *')) {
      if (!el.checkVisibility()) continue;
      for (const node of el.childNodes) if (node.nodeType === 3 && strings.includes(node.textContent.trim())) found.push(node.textContent.trim());
      for (const attr of ['placeholder', 'title', 'aria-label']) if (strings.includes(el.getAttribute(attr))) found.push(el.getAttribute(attr));
    }
    return found;
  }, [...english]);
  assert.deepEqual(leftovers, [], 'every visible string is translated');
  await carol.getByTestId('members-button').click();
  await carol.getByTestId('member-item').first().waitFor();
  await shot(carol, 'zh-group');
  await carol.getByTestId('members-button').click();

  // The language switch turns the page to English at once, and back.
  await carol.getByTestId('settings-button').click();
  await carol.getByTestId('language-select').selectOption('en');
  await carol.getByRole('tab', { name: 'Chats' }).waitFor();
  assert.equal(await carol.evaluate(() => document.documentElement.lang), 'en');
  assert.equal(await carol.getByTestId('day-separator').last().innerText(), 'Today');
  await carol.getByTestId('language-select').selectOption('auto');
  await carol.getByRole('tab', { name: '聊天' }).waitFor();
  await carol.keyboard.press('Escape');
  await carol.context().close();
});

test('a refusal from the WebSocket is worded by its code in Chinese', async () => {
  // A user's group, left from another device (the API), then written to from this page: cmd 21 not_member.
  const dana = await registeredPage(browser, `dana_${run}`, { locale: 'zh-CN' });
  await dana.getByTestId('tab-groups').click();
  await dana.getByTestId('group-create-name').fill(`组 ${run}`);
  await dana.getByTestId('group-create-button').click();
  await dana.getByTestId('chat-name').filter({ hasText: `组 ${run}` }).waitFor();
  const token = await tokenOf(dana);
  const groups = await (await fetch(`${HUB}/api/v1/groups`, { headers: { authorization: `Bearer ${token}` } })).json();
  const group = groups.find((g) => g.name === `组 ${run}`);
  const left = await fetch(`${HUB}/api/v1/groups/${group.id}/leave`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  assert.equal(left.status, 204);
  await sendText(dana, '还在吗？');
  const error = dana.getByTestId('message-error');
  await error.waitFor();
  assert.match(await error.innerText(), /未发送：你已不是该群组的成员。/);
  assert.equal(await dana.getByTestId('message-retry').innerText(), '重试');
  await shot(dana, 'zh-refused-message');
  await dana.context().close();
});

test('the page is installable: a manifest with icons, which Chromium accepts', async () => {
  // Chromium never offers to install from an incognito profile, which every Playwright context
  // is; this browser has a real profile.
  const tabs = await launchWithTabs();
  const page = await tabs.context.newPage();
  await page.goto(`${HUB}/chat.html`);
  await page.getByTestId('signin-form').waitFor();
  const cdp = await tabs.context.newCDPSession(page);
  const { errors, data } = await cdp.send('Page.getAppManifest');
  assert.deepEqual(errors, [], 'the manifest parses');
  const manifest = JSON.parse(data);
  assert.equal(manifest.display, 'standalone');
  for (const icon of manifest.icons) {
    const response = await fetch(new URL(icon.src, HUB));
    assert.equal(response.status, 200, icon.src);
    const bytes = Buffer.from(await response.arrayBuffer());
    if (icon.type === 'image/png') {
      const [w, h] = [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
      assert.equal(`${w}x${h}`, icon.sizes, `${icon.src} is the size the manifest says`);
    }
  }
  assert.ok(manifest.icons.some((i) => i.sizes === '512x512' && i.purpose === 'maskable'));
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  assert.deepEqual(installabilityErrors, [], 'Chromium would offer to install it');
  await tabs.close();
});
