// The page's message catalogues, without a browser: both languages have the same keys and the same
// placeholders, every key the page uses exists, every error code of the API and the WebSocket
// (docs/protocol.md, docs/upload.md) has its sentence, and chat.html preloads every module.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import en from '../../web/js/i18n/en.js';
import zhCN from '../../web/js/i18n/zh-CN.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const read = (path) => readFileSync(ROOT + path, 'utf8');
const modules = (dir = 'web/js') => readdirSync(ROOT + dir, { withFileTypes: true })
  .flatMap((e) => (e.isDirectory() ? modules(`${dir}/${e.name}`) : e.name.endsWith('.js') ? [`${dir}/${e.name}`] : []));

/** The {placeholders} of a catalogue entry (a string, or a plural's forms). */
const placeholders = (entry) => new Set([...[].concat(typeof entry === 'object' ? Object.values(entry) : entry).join(' ').matchAll(/\{(\w+)\}/g)].map((m) => m[1]));

test('English and Chinese have the same keys, with the same placeholders', () => {
  assert.deepEqual(Object.keys(zhCN).sort(), Object.keys(en).sort());
  for (const [key, entry] of Object.entries(en)) {
    assert.deepEqual(placeholders(zhCN[key]), placeholders(entry), `placeholders of ${key}`);
    if (typeof entry === 'object') assert.ok('other' in entry && 'other' in zhCN[key], `${key} has an "other" form`);
  }
});

test('every key the page uses is in the catalogue', () => {
  const used = new Set();
  for (const file of modules().filter((f) => !f.includes('/i18n/'))) {
    for (const m of read(file).matchAll(/\bt\(\s*'([\w.]+)'/g)) used.add(m[1]);
    for (const m of read(file).matchAll(/'((?:api|frame|msg|settings|emoji|stickers|conn|auth|convs|groups|contacts|people|conv|members|composer|send|voice|viewer|notify|time|page|me|tabs)\.[\w.]+)'/g)) used.add(m[1]);
  }
  const html = read('web/chat.html');
  for (const m of html.matchAll(/data-i18n="([\w.]+)"/g)) used.add(m[1]);
  for (const m of html.matchAll(/data-i18n-attr="([^"]+)"/g)) for (const pair of m[1].split(';')) used.add(pair.split(':')[1]);
  const missing = [...used].filter((key) => !(key in en));
  assert.deepEqual(missing, [], 'keys used but not in en.js');
});

test('every documented error code has a sentence in both languages', () => {
  const section = (doc, from, to) => {
    const text = read(doc);
    return text.slice(text.indexOf(from), text.indexOf(to, text.indexOf(from)));
  };
  const frame = [...section('docs/protocol.md', '### Error codes (cmd 21)', '## HTTP API').matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
  const apiTable = read('docs/protocol.md').split('## HTTP API')[1].split('### Accounts')[0];
  const api = [...apiTable.matchAll(/^\| \d{3} \| (.+?) \|/gm)].flatMap((m) => [...m[1].matchAll(/`([a-z_]+)`/g)].map((c) => c[1]));
  const upload = [...section('docs/upload.md', '## Errors', 'Metrics').matchAll(/\d{3} ((?:`[a-z_]+`\/?)+)/g)]
    .flatMap((m) => [...m[1].matchAll(/`([a-z_]+)`/g)].map((c) => c[1]));
  assert.ok(frame.length >= 10 && api.length >= 8 && upload.length >= 5, 'the tables were found');
  for (const code of frame) for (const lang of [en, zhCN]) assert.ok(`frame.${code}` in lang, `frame.${code}`);
  for (const code of [...api, ...upload]) for (const lang of [en, zhCN]) assert.ok(`api.${code}` in lang, `api.${code}`);
});

test('chat.html preloads every module the page imports', () => {
  const preloaded = new Set([...read('web/chat.html').matchAll(/rel="modulepreload" href="\/([^"]+)"/g)].map((m) => `web/${m[1]}`));
  const expected = modules().filter((f) => !f.endsWith('/main.js') && !f.endsWith('/theme-boot.js'));
  assert.deepEqual([...preloaded].sort(), expected.sort());
});
