// Shared set-up of the browser tests: Debian's Chromium through playwright-core, one context per
// user, screenshots of every step in .artifacts/e2e/.

import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

export const HUB = process.env.HUB_URL ?? 'http://127.0.0.1:8088';
const ARTIFACTS = new URL('../../.artifacts/e2e/', import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });

/** A 3-second spoken-like tone for the fake microphone (Chromium reads a WAV file). */
function fakeMicrophone() {
  const wav = join(mkdtempSync(join(tmpdir(), 'natter-mic-')), 'mic.wav');
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=300:duration=30', '-ac', '1', '-ar', '48000', wav]);
  return wav;
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${fakeMicrophone()}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/** A signed-in page in its own browser context (its own storage), as demo user `id`. */
export async function userPage(browser, id, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport, permissions: ['microphone'] });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`page error (user ${id}): ${e.message}`));
  await page.goto(`${HUB}/chat.html?id=${id}`);
  await page.getByTestId('conversation').first().waitFor();
  return page;
}

/** A page of a new user registered through the sign-in form. */
export async function registeredPage(browser, username) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${HUB}/chat.html`);
  await page.getByTestId('register-toggle').click();
  await page.getByTestId('signin-username').fill(username);
  await page.getByTestId('signin-nickname').fill(username);
  await page.getByTestId('signin-password').fill('correct horse battery');
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('tab-chats').waitFor();
  return page;
}

let step = 0;
/** Saves a screenshot of `page` as the next numbered artifact. */
export async function shot(page, name) {
  step += 1;
  await page.screenshot({ path: join(ARTIFACTS, `${String(step).padStart(2, '0')}-${name}.png`) });
}

/** Opens the conversation whose list entry shows `name`. */
export async function openChat(page, name) {
  await page.getByTestId('conversation').filter({ hasText: name }).first().click();
  await page.getByTestId('chat-name').filter({ hasText: name }).waitFor();
}

/** Opens (creating if needed) the direct conversation with a contact. */
export async function chatWithContact(page, name) {
  await page.getByTestId('tab-people').click();
  await page.getByTestId('contact').filter({ hasText: name }).click();
  await page.getByTestId('chat-name').filter({ hasText: name }).waitFor();
}

export async function sendText(page, text) {
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('send').click();
}

/** The message bubble whose text includes `text`, once it is there. */
export function bubbleWith(page, text) {
  return page.getByTestId('message').filter({ hasText: text });
}
