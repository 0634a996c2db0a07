// Message text to DOM nodes: http(s) URLs become links (new tab, no opener, no referrer), and the
// light formatting people type (*bold*, _italic_, `code`, ``` code blocks ```) is rendered. Only
// text nodes and a fixed set of elements are created; no HTML is ever parsed, so text stays text.

const FENCE = '```';
/** CJK text has no spaces between words: its characters bound links and emphasis like spaces do. */
const CJK = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}\\u3000-\\u303f\\uff00-\\uffef';
/**
 * A URL candidate: scheme, then anything up to white space, a character URLs do not carry, or CJK
 * text ("看这个https://example.com吧" links only the URL).
 */
const URL_AT = new RegExp(`https?:\\/\\/[^\\s<>"'\`${CJK}]+`, 'iuy');
const TRAILING = /[.,;:!?*_~'"»”’\]}>]/u;
/** A letter or digit that makes a marker part of a word (snake_case, 2*3): not CJK. */
const WORD = new RegExp(`(?![${CJK}])[\\p{L}\\p{N}]`, 'u');

/** The nodes of `text`: code blocks first, each other stretch as inline text. */
export function richText(text) {
  const nodes = [];
  let rest = String(text ?? '');
  for (;;) {
    const open = rest.indexOf(FENCE);
    const close = open < 0 ? -1 : rest.indexOf(FENCE, open + FENCE.length);
    if (close < 0) break;
    if (open > 0) nodes.push(...inline(rest.slice(0, open)));
    nodes.push(codeBlock(rest.slice(open + FENCE.length, close)));
    rest = rest.slice(close + FENCE.length).replace(/^\n/, '');
  }
  if (rest) nodes.push(...inline(rest));
  return nodes;
}

function codeBlock(body) {
  const pre = document.createElement('pre');
  const code = document.createElement('code');
  // ```js\n...``` : a first line without spaces is a language name, not code.
  const lines = body.replace(/\n$/, '');
  code.textContent = /^[\w+-]*\n/.test(lines) ? lines.slice(lines.indexOf('\n') + 1) : lines;
  pre.append(code);
  return pre;
}

/** Inline text: `code`, links, *bold* and _italic_ (which may hold links and each other). */
function inline(text) {
  const nodes = [];
  let buffer = '';
  const flush = () => {
    if (buffer) nodes.push(document.createTextNode(buffer));
    buffer = '';
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '`') {
      const end = text.indexOf('`', i + 1);
      if (end > i + 1 && !text.slice(i + 1, end).includes('\n')) {
        flush();
        nodes.push(element('code', text.slice(i + 1, end)));
        i = end + 1;
        continue;
      }
    }
    const link = linkAt(text, i);
    if (link) {
      flush();
      nodes.push(anchor(link));
      i += link.length;
      continue;
    }
    if ((ch === '*' || ch === '_') && opens(text, i)) {
      const end = closing(text, i, ch);
      if (end > 0) {
        flush();
        const el = document.createElement(ch === '*' ? 'strong' : 'em');
        el.append(...inline(text.slice(i + 1, end)));
        nodes.push(el);
        i = end + 1;
        continue;
      }
    }
    buffer += ch;
    i += 1;
  }
  flush();
  return nodes;
}

function element(tag, text) {
  const el = document.createElement(tag);
  el.textContent = text;
  return el;
}

/** The http(s) URL starting at `i` (not inside a word), without trailing punctuation; or null. */
function linkAt(text, i) {
  if (text[i] !== 'h' && text[i] !== 'H') return null;
  if (i > 0 && (WORD.test(text[i - 1]) || text[i - 1] === '/')) return null;
  URL_AT.lastIndex = i;
  const match = URL_AT.exec(text);
  if (!match) return null;
  let candidate = match[0];
  // Trailing punctuation ends the sentence, not the URL; a ")" stays when it closes a "(" of the
  // URL itself (Wikipedia's "Foo_(bar)").
  for (;;) {
    const last = candidate.at(-1);
    const unbalanced = last === ')' && count(candidate, '(') < count(candidate, ')');
    if (!unbalanced && !TRAILING.test(last)) break;
    candidate = candidate.slice(0, -1);
  }
  const url = safeUrl(candidate);
  return url ? { text: candidate, href: url, length: candidate.length } : null;
}

function count(text, ch) {
  return text.split(ch).length - 1;
}

/** The URL as the browser parses it, only when its scheme is http or https. */
export function safeUrl(text) {
  try {
    const url = new URL(text);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) return null;
    return url.href;
  } catch {
    return null;
  }
}

function anchor(link) {
  const a = document.createElement('a');
  a.href = link.href;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  a.textContent = link.text;
  return a;
}

/** A marker opens emphasis at the start, after space or punctuation, and before a non-space. */
function opens(text, i) {
  const before = text[i - 1];
  const after = text[i + 1];
  if (!after || /\s/.test(after) || after === text[i]) return false;
  return before === undefined || !WORD.test(before);
}

/** The index of the marker closing the one at `i` on the same line, or -1. */
function closing(text, i, marker) {
  for (let j = i + 2; j < text.length; j += 1) {
    const ch = text[j];
    if (ch === '\n') return -1;
    if (ch === '`') {
      const end = text.indexOf('`', j + 1);
      if (end > j) j = end;
      continue;
    }
    const link = linkAt(text, j);
    if (link) {
      j += link.length - 1;
      continue;
    }
    if (ch !== marker) continue;
    const before = text[j - 1];
    const after = text[j + 1];
    if (/\s/.test(before)) continue;
    if (after !== undefined && WORD.test(after)) continue;
    return j;
  }
  return -1;
}
