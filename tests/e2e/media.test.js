// The image viewer is a modal dialog (focus kept inside, zoom, download, Escape closes and gives
// the focus back), and a voice message seeks on its waveform (click and keys) and plays at 1×,
// 1.5× and 2×.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createCanvas } from './png.js';
import { chatWithContact, cspViolations, launch, shot, userPage } from './harness.js';

let browser;
let alice;
let carol;

before(async () => {
  browser = await launch();
  [alice, carol] = await Promise.all([userPage(browser, 1), userPage(browser, 3, { acceptDownloads: true })]);
  await chatWithContact(alice, 'Carol');
  await chatWithContact(carol, 'Alice');
});

after(async () => {
  await browser?.close();
  assert.deepEqual(cspViolations, []);
});

/** The test id of the focused element (or of its closest ancestor that has one). */
const focusedId = (page) => page.evaluate(() => document.activeElement?.closest('[data-testid]')?.dataset.testid ?? null);

/** Width and height of a PNG or JPEG file. */
function dimensions(bytes) {
  if (bytes.subarray(1, 4).toString() === 'PNG') return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
  for (let i = 2; i < bytes.length;) {
    const marker = bytes[i + 1];
    if (marker >= 0xc0 && marker <= 0xc3) return [bytes.readUInt16BE(i + 7), bytes.readUInt16BE(i + 5)];
    i += 2 + bytes.readUInt16BE(i + 2);
  }
  return null;
}

test('the image viewer is a dialog with zoom and download that keeps the focus and closes on Escape', async () => {
  const photos = carol.locator('[data-testid=message][data-media="4"] .image-open');
  const before = await photos.count();
  await alice.getByTestId('image-input').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: createCanvas(900, 600) });
  const thumb = photos.nth(before);
  await thumb.locator('img').waitFor();
  await carol.waitForFunction((img) => img.complete && img.naturalWidth > 0, await thumb.locator('img').elementHandle());
  await thumb.focus();
  await carol.keyboard.press('Enter');
  const dialog = carol.getByTestId('image-viewer');
  await dialog.waitFor();
  assert.equal(await dialog.evaluate((d) => d.matches('dialog:modal')), true, 'a modal dialog: the page behind is inert');
  const full = carol.getByTestId('image-full');
  await carol.waitForFunction((img) => img.complete && img.naturalWidth === 900, await full.elementHandle());

  // The focus stays inside, whichever way Tab goes.
  for (const key of ['Tab', 'Tab', 'Tab', 'Tab', 'Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
    await carol.keyboard.press(key);
    assert.equal(await dialog.evaluate((d) => d.contains(document.activeElement)), true, `the focus is in the viewer after ${key}`);
  }

  // Zoom: keys and buttons; the picture grows beyond the screen and can be scrolled.
  const width = () => full.evaluate((img) => img.getBoundingClientRect().width);
  const fitted = await width();
  await carol.keyboard.press('+');
  assert.equal(await carol.getByTestId('viewer-zoom-level').innerText(), '150%');
  assert.ok(Math.abs((await width()) - fitted * 1.5) < 2, 'zoomed to 150%');
  await carol.getByTestId('viewer-zoom-in').click();
  await carol.getByTestId('viewer-zoom-in').click();
  assert.equal(await carol.getByTestId('viewer-zoom-level').innerText(), '300%');
  assert.ok(await carol.getByTestId('viewer-stage').evaluate((s) => s.scrollWidth > s.clientWidth), 'the zoomed picture scrolls');
  await shot(carol, 'viewer-zoomed');
  await carol.keyboard.press('0');
  assert.equal(await carol.getByTestId('viewer-zoom-level').innerText(), '100%');
  assert.ok(Math.abs((await width()) - fitted) < 2);

  // Download: the full picture, under a readable name.
  const [download] = await Promise.all([carol.waitForEvent('download'), carol.getByTestId('viewer-download').click()]);
  assert.match(download.suggestedFilename(), /^natter-\d+\.(png|jpg)$/);
  assert.deepEqual(dimensions(readFileSync(await download.path())), [900, 600]);

  // Escape closes it and the focus goes back to the thumbnail.
  await carol.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await thumb.evaluate((el) => el === document.activeElement), true, 'the focus is back on the photo');
});

test('a voice message seeks on its waveform by click and keys and plays at 1×, 1.5× and 2×', async () => {
  await alice.getByTestId('voice-record').click();
  await alice.waitForFunction(() => Number(document.querySelector('[data-testid=voice-timer]').dataset.ms) >= 2500);
  const clips = carol.locator('[data-testid=message][data-media="3"]');
  const before = await clips.count();
  await alice.getByTestId('voice-send').click();
  const clip = clips.nth(before);
  await clip.getByTestId('voice-play').waitFor();
  const total = Number(await clip.getByTestId('voice-duration').getAttribute('data-ms')) / 1000;
  assert.ok(total >= 2, `a clip of ${total} s`);
  const audio = await clip.getByTestId('voice-audio').elementHandle();
  const wave = clip.getByTestId('voice-wave');
  const at = () => audio.evaluate((a) => a.currentTime);

  // A click at three quarters of the waveform seeks there, before it ever played.
  const box = await wave.boundingBox();
  await carol.mouse.click(box.x + box.width * 0.75, box.y + box.height / 2);
  await carol.waitForFunction((a) => a.readyState > 0 && !a.seeking && a.currentTime > 0, audio);
  assert.ok(Math.abs((await at()) - total * 0.75) < 0.25, `at ${await at()} of ${total} s`);
  assert.equal(await wave.getAttribute('aria-valuenow'), String(Math.round(total * 0.75)));

  // The waveform is a slider: Home, arrows, End.
  await wave.focus();
  await carol.keyboard.press('Home');
  await carol.waitForFunction((a) => !a.seeking && a.currentTime === 0, audio);
  await carol.keyboard.press('ArrowRight');
  await carol.waitForFunction((a) => !a.seeking && Math.abs(a.currentTime - 1) < 0.01, audio);
  await carol.keyboard.press('ArrowLeft');
  await carol.waitForFunction((a) => !a.seeking && a.currentTime === 0, audio);

  // Speed: 1× → 1.5× → 2×, and it plays at that speed.
  const speed = clip.getByTestId('voice-speed');
  assert.equal(await speed.innerText(), '1×');
  await speed.click();
  assert.equal(await speed.innerText(), '1.5×');
  assert.equal(await audio.evaluate((a) => a.playbackRate), 1.5);
  await speed.click();
  assert.equal(await speed.innerText(), '2×');
  await clip.getByTestId('voice-play').click();
  await carol.waitForFunction((a) => !a.paused && a.currentTime > 0.3, audio);
  assert.equal(await audio.evaluate((a) => a.playbackRate), 2, 'playing at 2×');
  await shot(carol, 'voice-playing-2x');
  await clip.getByTestId('voice-play').click();
  await speed.click();
  assert.equal(await speed.innerText(), '1×');
  assert.equal(await audio.evaluate((a) => a.playbackRate), 1);
});
