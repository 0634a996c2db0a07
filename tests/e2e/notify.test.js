// Notifications while the page is open but another conversation is shown, or the tab is hidden
// behind another: a system notification (Chromium with the permission granted), a short sound,
// the unread count in the title and on the favicon; clicking the notification opens the
// conversation. Nothing asks for the permission on load: the page offers it after a message sent.
//
// Alice's page lives in a browser where tabs really hide one another (launchWithTabs). Her
// Notification is wrapped to keep each one the page creates, so the test can read it and click it
// (a system notification has no DOM to click); the notifications themselves are Chromium's own.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { bubbleWith, chatWithContact, cspViolations, demoPage, launchWithTabs, openChat, sendText, shot } from './harness.js';

let tabs;
let alice;
let bob;
let bobPlain;
const run = Date.now().toString(36);

before(async () => {
  tabs = await launchWithTabs();
  await tabs.context.addInitScript(() => {
    const Real = window.Notification;
    window.shownNotifications = [];
    window.Notification = class extends Real {
      constructor(title, options) {
        super(title, options);
        this.record = { title, body: options?.body, tag: options?.tag, closed: false };
        window.shownNotifications.push(this);
      }

      close() {
        this.record.closed = true;
        super.close();
      }
    };
  });
  alice = await demoPage(tabs.context, 1);
  // Bob's browser has not been asked about notifications (no permission granted or denied).
  const bobContext = await tabs.browser.newContext({ viewport: { width: 1280, height: 800 } });
  await bobContext.addInitScript(() => {
    window.permissionRequests = 0;
    const ask = Notification.requestPermission.bind(Notification);
    Notification.requestPermission = (...args) => {
      window.permissionRequests += 1;
      return ask(...args);
    };
  });
  bobPlain = bobContext;
  bob = await demoPage(bobContext, 2);
  await alice.evaluate(() => {
    window.plays = 0;
    document.getElementById('notify-audio').addEventListener('playing', () => {
      window.plays += 1;
    });
  });
});

after(async () => {
  await bobPlain?.close();
  await tabs?.close();
  assert.deepEqual(cspViolations, []);
});

const records = (page) => page.evaluate(() => window.shownNotifications.map((n) => n.record));
/** The title for `n` unread messages (other tests may have left some unread). */
const titleFor = (n) => (n ? `(${n}) natter` : 'natter');
const unread = async (page) => Number(/^\((\d+)\)/.exec(await page.title())?.[1] ?? 0);
let unreadBefore = 0;
const favicon = (page) => page.evaluate(() => ({ href: document.getElementById('favicon').href, count: document.getElementById('favicon').dataset.count }));

test('a message for another conversation notifies, rings, counts, and the notification opens it', async () => {
  assert.equal(await alice.evaluate(() => Notification.permission), 'granted');
  // Whatever Bob sent before is read first: from here on, his conversation counts only this test's messages.
  await chatWithContact(alice, 'Bob');
  await alice.waitForFunction(() => !document.querySelector('[data-testid=conversation].active [data-testid=unread-badge]'));
  await chatWithContact(alice, 'Carol');
  await chatWithContact(bob, 'Alice');
  unreadBefore = await unread(alice);
  await sendText(bob, `ping ${run}`);
  await alice.waitForFunction(() => window.shownNotifications.length === 1);
  const [shown] = await records(alice);
  assert.equal(shown.title, 'Bob');
  assert.equal(shown.body, `ping ${run}`);
  assert.match(shown.tag, /^natter-conv-\d+$/);
  await alice.waitForFunction(() => window.plays === 1);
  await alice.waitForFunction((title) => document.title === title, titleFor(unreadBefore + 1));
  await alice.waitForFunction((n) => document.getElementById('favicon').href.startsWith('blob:') && document.getElementById('favicon').dataset.count === n, String(unreadBefore + 1));
  await shot(alice, 'unread-in-title-and-favicon');

  await alice.evaluate(() => window.shownNotifications[0].dispatchEvent(new Event('click')));
  await alice.getByTestId('chat-name').filter({ hasText: 'Bob' }).waitFor();
  await bubbleWith(alice, `ping ${run}`).waitFor();
  await alice.waitForFunction((title) => document.title === title, titleFor(unreadBefore));
  assert.equal((await favicon(alice)).count, String(unreadBefore), 'the favicon counts down again');
  if (!unreadBefore) assert.ok((await favicon(alice)).href.endsWith('/favicon.svg'), 'the plain favicon again');
  assert.equal((await records(alice))[0].closed, true);
});

test('a message for the open conversation notifies when the tab is hidden, and not when it is seen', async () => {
  await sendText(bob, `in view ${run}`);
  await bubbleWith(alice, `in view ${run}`).waitFor();
  assert.equal((await records(alice)).length, 1, 'no notification for what is on screen');

  // A hidden page runs no animation frames: these waits poll on a timer instead.
  const hidden = { polling: 100 };
  const other = await tabs.context.newPage();
  await alice.waitForFunction(() => document.visibilityState === 'hidden', null, hidden);
  await sendText(bob, `while hidden ${run}`);
  await alice.waitForFunction(() => window.shownNotifications.length === 2, null, hidden);
  assert.equal((await records(alice))[1].body, `while hidden ${run}`);
  await alice.waitForFunction((title) => document.title === title && window.plays === 2, titleFor(unreadBefore + 1), hidden);
  await bubbleWith(bob, `while hidden ${run}`).locator('[data-state=sent]').waitFor();

  await alice.bringToFront();
  await alice.waitForFunction((title) => document.visibilityState === 'visible' && document.title === title, titleFor(unreadBefore));
  assert.equal((await records(alice))[1].closed, true, 'seen: its notification goes away');
  await bubbleWith(bob, `while hidden ${run}`).locator('[data-state=read]').waitFor();
  await other.close();
});

test('permission is asked only when the user says yes after sending, never on load', async () => {
  assert.equal(await bob.evaluate(() => Notification.permission), 'default');
  const ask = bob.getByTestId('notify-ask');
  await ask.waitFor();
  assert.equal(await bob.evaluate(() => window.permissionRequests), 0, 'offered in the page, not asked yet');
  await openChat(bob, 'Alice');
  await shot(bob, 'notification-offer');
  await bob.getByTestId('notify-ask-yes').click();
  await bob.waitForFunction(() => window.permissionRequests === 1);
  await ask.waitFor({ state: 'hidden' });
  assert.ok(await bob.evaluate(() => localStorage.getItem('natter.notify.asked')), 'the answer is remembered');
  await bob.reload();
  await bob.getByTestId('conversation').first().waitFor();
  await sendText(bob, `again ${run}`);
  await bubbleWith(bob, `again ${run}`).waitFor();
  assert.equal(await ask.isHidden(), true, 'offered once');
  assert.equal(await bob.evaluate(() => window.permissionRequests), 0, 'nothing asks on load');
});
