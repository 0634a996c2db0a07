// "Readable": every piece of visible text on the screen has the contrast WCAG 2 AA asks of it
// against what is behind it (4.5:1, or 3:1 for large text), computed in the page from the colours
// the browser resolved. Decorative text (aria-hidden, such as avatar initials) is left out.

import assert from 'node:assert/strict';

/** The texts on `page` whose contrast is too low: `[{text, ratio, need, color, background}]`. */
export async function contrastProblems(page) {
  return page.evaluate(() => {
    const parse = (value) => {
      const m = /rgba?\(([^)]+)\)/.exec(value);
      if (!m) return null;
      const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return { r, g, b, a };
    };
    const over = (top, bottom) => ({
      r: top.r * top.a + bottom.r * (1 - top.a),
      g: top.g * top.a + bottom.g * (1 - top.a),
      b: top.b * top.a + bottom.b * (1 - top.a),
      a: 1,
    });
    const luminance = ({ r, g, b }) => {
      const lin = (c) => {
        const s = c / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    const ratio = (a, b) => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
      return (hi + 0.05) / (lo + 0.05);
    };
    /** The colour behind `el`: its and its ancestors' backgrounds blended down to the page. */
    const backdrop = (el) => {
      const layers = [];
      for (let node = el; node; node = node.parentElement) {
        const style = getComputedStyle(node);
        const colour = parse(style.backgroundColor);
        if (colour && colour.a > 0) {
          layers.push(colour);
          if (colour.a >= 1) break;
        }
        // A modal dialog covers the page: nothing under it counts.
        if (node.matches('dialog[open]')) break;
      }
      let result = { r: 255, g: 255, b: 255, a: 1 };
      if (layers.length && layers[layers.length - 1].a >= 1) result = layers.pop();
      while (layers.length) result = over(layers.pop(), result);
      return result;
    };
    const problems = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!el || seen.has(el) || !node.textContent.trim()) continue;
      seen.add(el);
      if (el.closest('[aria-hidden="true"], option, script, style, [hidden]')) continue;
      if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
      const rect = el.getBoundingClientRect();
      if (!rect.width || !rect.height) continue;
      const style = getComputedStyle(el);
      const color = parse(style.color);
      if (!color) continue;
      const background = backdrop(el);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      const need = large ? 3 : 4.5;
      const value = ratio(color.a < 1 ? over(color, background) : color, background);
      if (value < need) {
        problems.push({ text: node.textContent.trim().slice(0, 40), ratio: Math.round(value * 100) / 100, need, color: style.color, background: `rgb(${Math.round(background.r)}, ${Math.round(background.g)}, ${Math.round(background.b)})`, where: el.className || el.tagName });
      }
    }
    return problems;
  });
}

/** Fails with the list of low-contrast texts on the screen `name`, if any. */
export async function assertReadable(page, name) {
  const problems = await contrastProblems(page);
  assert.deepEqual(problems, [], `${name}: text below WCAG AA contrast:\n${problems.map((p) => JSON.stringify(p)).join('\n')}`);
}
