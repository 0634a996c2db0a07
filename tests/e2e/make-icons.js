// Renders the page's PNG icons from its SVGs in Chromium, once; the PNGs are committed in web/icons/
// (the manifest and iOS need bitmaps). Run again after changing web/favicon.svg or
// web/icons/icon-maskable.svg:  node tests/e2e/make-icons.js

import { readFileSync, writeFileSync } from 'node:fs';
import { launch } from './harness.js';

const WEB = new URL('../../web/', import.meta.url).pathname;
const ICONS = [
  ['favicon.svg', 'icons/icon-192.png', 192],
  ['favicon.svg', 'icons/icon-512.png', 512],
  ['icons/icon-maskable.svg', 'icons/icon-maskable-192.png', 192],
  ['icons/icon-maskable.svg', 'icons/icon-maskable-512.png', 512],
  ['icons/icon-maskable.svg', 'icons/apple-touch-icon.png', 180],
];

const browser = await launch();
const page = await browser.newPage();
for (const [svg, png, size] of ICONS) {
  const markup = readFileSync(WEB + svg, 'utf8').replace('<svg ', `<svg width="${size}" height="${size}" `);
  await page.setViewportSize({ width: size, height: size });
  await page.setContent(`<style>html,body{margin:0;background:transparent}svg{display:block}</style>${markup}`);
  writeFileSync(WEB + png, await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } }));
  console.log(`${png} (${size}×${size})`);
}
await browser.close();
