// Message text is text: http(s) URLs become links that open in a new tab without opener or
// referrer, the light formatting people type is rendered (in Chinese too, which has no spaces
// around words), and hostile text (HTML, javascript: links) reaches the screen as the characters
// it is, with nothing run.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HUB, bubbleWith, chatWithContact, cspViolations, launch, sendText, shot, userPage } from './harness.js';

let browser;
let alice;
let bob;
const run = Date.now().toString(36);

before(async () => {
  browser = await launch();
  [alice, bob] = await Promise.all([userPage(browser, 1), userPage(browser, 2)]);
  for (const page of [alice, bob]) {
    page.on('dialog', (dialog) => {
      dialog.dismiss();
      assert.fail(`a dialog opened: ${dialog.message()}`);
    });
  }
});

after(async () => {
  await browser?.close();
  assert.deepEqual(cspViolations, []);
});

const HOSTILE = [
  `links ${run}: <img src=x onerror="window.pwned='img'"> <script>window.pwned='script'</script>`,
  "javascript:window.pwned='js' [click](javascript:window.pwned='md') <a href=\"javascript:window.pwned='a'\">a</a>",
  'data:text/html,<b>x</b> ftp://files.example.org xhttps://not.a.link mailto:someone@example.org',
  `see https://example.com/wiki/Foo_(bar)?q=1&r=<b>, HTTPS://EXAMPLE.ORG. and ${HUB}/healthz?from=link`,
  '*bold* _italic_ `code <b>` snake_case_name 2*3*4',
  '看这个https://example.net/zh吧，中文*粗体*中文',
  "```\n<script>window.pwned='block'</script> *not bold*\n```",
].join('\n');

test('hostile text stays text and only http(s) URLs become links', async () => {
  await chatWithContact(alice, 'Bob');
  await chatWithContact(bob, 'Alice');
  await sendText(alice, HOSTILE);
  for (const page of [bob, alice]) {
    const bubble = bubbleWith(page, `links ${run}`);
    await bubble.waitFor();
    const text = bubble.getByTestId('message-text');
    assert.equal(await text.locator('img, script, iframe, object').count(), 0, 'no element from the text');
    const links = await text.locator('a').evaluateAll((as) => as.map((a) => ({ href: a.href, text: a.textContent, target: a.target, rel: a.rel })));
    assert.deepEqual(links, [
      { href: 'https://example.com/wiki/Foo_(bar)?q=1&r=', text: 'https://example.com/wiki/Foo_(bar)?q=1&r=', target: '_blank', rel: 'noopener noreferrer' },
      { href: 'https://example.org/', text: 'HTTPS://EXAMPLE.ORG', target: '_blank', rel: 'noopener noreferrer' },
      { href: `${HUB}/healthz?from=link`, text: `${HUB}/healthz?from=link`, target: '_blank', rel: 'noopener noreferrer' },
      { href: 'https://example.net/zh', text: 'https://example.net/zh', target: '_blank', rel: 'noopener noreferrer' },
    ]);
    const shown = await text.innerText();
    for (const part of ['<img src=x onerror="window.pwned=\'img\'">', "javascript:window.pwned='js'", '[click](javascript:', 'data:text/html,<b>x</b>', 'snake_case_name 2*3*4']) {
      assert.ok(shown.includes(part), `shown as typed: ${part}`);
    }
    assert.deepEqual(await text.locator('strong').allInnerTexts(), ['bold', '粗体'], 'Chinese has no spaces around the markers');
    assert.deepEqual(await text.locator('em').allInnerTexts(), ['italic']);
    assert.deepEqual(await text.locator(':scope > code').allInnerTexts(), ['code <b>']);
    assert.equal(await text.locator('pre code').innerText(), "<script>window.pwned='block'</script> *not bold*");
    assert.equal(await page.evaluate(() => window.pwned), undefined, 'nothing ran');
  }
  await shot(bob, 'bob-sees-hostile-text-as-text');

  // A link opens a new tab that cannot reach back to the chat, and learns nothing of where it came from.
  const [tab] = await Promise.all([bob.context().waitForEvent('page'), bubbleWith(bob, `links ${run}`).getByRole('link', { name: /healthz/ }).click()]);
  await tab.waitForLoadState();
  assert.deepEqual(await tab.evaluate(() => [window.opener, document.referrer]), [null, '']);
  await tab.close();
});
