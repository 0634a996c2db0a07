// Shared set-up of the browser tests: Debian's Chromium through playwright-core, one context per
// user, screenshots of every step in .artifacts/e2e/. Every page runs under a strict
// Content-Security-Policy (the server's, or this one when the server sends none), and every
// violation is recorded, so a test file can check that the page needs no inline script or style.

import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { chromium } from 'playwright-core';

export const HUB = process.env.HUB_URL ?? 'http://127.0.0.1:8088';
const ARTIFACTS = new URL('../../.artifacts/e2e/', import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const BASE_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/** A 3-second spoken-like tone for the fake microphone (Chromium reads a WAV file). */
function fakeMicrophone() {
  const wav = join(mkdtempSync(join(tmpdir(), 'natter-mic-')), 'mic.wav');
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=300:duration=30', '-ac', '1', '-ar', '48000', wav]);
  return wav;
}

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      ...BASE_ARGS, '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${fakeMicrophone()}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/**
 * A Chromium whose first context keeps real page visibility: Playwright pretends every page it
 * drives is focused and visible, except in the default context of a browser it connected to with
 * `noDefaults`. A page there becomes hidden (document.visibilityState) when another tab of its
 * window comes to the front, as in a real browser. Returns `{browser, context, close}`.
 */
export async function launchWithTabs() {
  const chrome = spawn(CHROMIUM, [...BASE_ARGS, '--headless', '--remote-debugging-port=0', '--autoplay-policy=no-user-gesture-required',
    `--user-data-dir=${mkdtempSync(join(tmpdir(), 'natter-tabs-'))}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const endpoint = await new Promise((resolve, reject) => {
    let seen = '';
    chrome.stderr.on('data', (chunk) => {
      seen += chunk;
      const match = /DevTools listening on (ws:\S+)/.exec(seen);
      if (match) resolve(match[1]);
    });
    chrome.on('exit', (code) => reject(new Error(`chromium exited (${code}): ${seen}`)));
  });
  const browser = await chromium.connectOverCDP(endpoint, { noDefaults: true });
  const context = browser.contexts()[0];
  await context.grantPermissions(INJECTED_CSP ? ['notifications', 'local-network-access'] : ['notifications'], { origin: new URL(HUB).origin });
  await guard(context);
  return {
    browser,
    context,
    close: async () => {
      await browser.close().catch(() => {});
      chrome.kill();
    },
  };
}

// ---------- Content-Security-Policy ----------

/** What the page must live with: no inline script or style, no eval, nothing framing it. */
function strictPolicy() {
  const { protocol, hostname } = new URL(HUB);
  const local = `${protocol}//${hostname}:*`;
  return [
    "default-src 'self'", "script-src 'self'", "style-src 'self'", `img-src 'self' blob: data: ${local}`,
    `media-src 'self' blob: ${local}`, `connect-src 'self' ${local}`, "manifest-src 'self'", "font-src 'self'",
    "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
  ].join('; ');
}

/** Every CSP violation any page reported (Chromium logs each as "Refused to ..."). */
export const cspViolations = [];

/** Whether the hub sends a policy of its own; when it does not, the tests add theirs. */
const serverPolicy = await fetch(`${HUB}/chat.html`, { method: 'HEAD' }).then(async (r) => {
  await r.arrayBuffer(); // a body left unread keeps the connection, and this process, alive
  return r.headers.get('content-security-policy');
}, () => null);
export const INJECTED_CSP = !serverPolicy;

/** Puts the strict policy on the page's HTML when the server sends none, and records violations. */
async function guard(context) {
  if (INJECTED_CSP) {
    await context.route((url) => url.origin === new URL(HUB).origin && (url.pathname === '/' || url.pathname.endsWith('.html')), async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': strictPolicy() } });
    });
  }
  const watch = (page) => page.on('console', (msg) => {
    if (/Refused to|Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
  });
  context.pages().forEach(watch);
  context.on('page', watch);
}

/**
 * A context of its own (its own storage) with the page's guard: `options` are Playwright's
 * (viewport, locale, colorScheme, permissions...). A page the guard fulfilled counts as coming from
 * outside the local network, so it needs Chromium's local-network-access permission to reach the
 * hub on 127.0.0.1. (Chromium denies every permission not granted, Notification's too.)
 */
export async function newContext(browser, { permissions = [], ...options } = {}) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 }, ...options, permissions: INJECTED_CSP ? [...permissions, 'local-network-access'] : permissions,
  });
  await guard(context);
  return context;
}

/** A signed-in page in its own browser context, as demo user `id`. */
export async function userPage(browser, id, { viewport = { width: 1280, height: 800 }, permissions = ['microphone'], ...options } = {}) {
  const context = await newContext(browser, { viewport, permissions, ...options });
  return demoPage(context, id);
}

/** Signs demo user `id` in on a new page of `context`. */
export async function demoPage(context, id) {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`page error (user ${id}): ${e.message}`));
  await page.goto(`${HUB}/chat.html?id=${id}`);
  await page.getByTestId('conversation').first().waitFor();
  return page;
}

/** A page of a new user registered through the sign-in form. */
export async function registeredPage(browser, username, options = {}) {
  const context = await newContext(browser, options);
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

/** The sign-in screen in a context without a session. */
export async function signInPage(browser, options = {}) {
  const context = await newContext(browser, options);
  const page = await context.newPage();
  await page.goto(`${HUB}/chat.html`);
  await page.getByTestId('signin-form').waitFor();
  return page;
}

let step = 0;
/** Saves a screenshot of `page` as the next numbered artifact (prefixed by the test file). */
export async function shot(page, name) {
  step += 1;
  const file = process.argv[1]?.split('/').pop()?.replace(/\.test\.js$/, '') ?? 'e2e';
  await page.screenshot({ path: join(ARTIFACTS, `${file}-${String(step).padStart(2, '0')}-${name}.png`) });
}

/** Waits until the open conversation `name` shows, with its latest history loaded. */
async function opened(page, name) {
  await page.getByTestId('chat-name').filter({ hasText: name }).waitFor();
  await page.locator('[data-testid=timeline][data-loaded=true]').waitFor({ state: 'attached' });
}

/** Opens the conversation whose list entry shows `name`. */
export async function openChat(page, name) {
  await page.getByTestId('conversation').filter({ hasText: name }).first().click();
  await opened(page, name);
}

/** Opens (creating if needed) the direct conversation with a contact. */
export async function chatWithContact(page, name) {
  await page.getByTestId('tab-people').click();
  await page.getByTestId('contact').filter({ hasText: name }).click();
  await opened(page, name);
}

export async function sendText(page, text) {
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('send').click();
}

/** The message bubble whose text includes `text`, once it is there. */
export function bubbleWith(page, text) {
  return page.getByTestId('message').filter({ hasText: text });
}

/** The demo user's token, read from the page's session (for API calls a test makes itself). */
export async function tokenOf(page) {
  return page.evaluate(() => JSON.parse(sessionStorage.getItem('natter.session') ?? localStorage.getItem('natter.session')).token);
}
