// The full-size image viewer: a modal <dialog> (the rest of the page is inert) with zoom (buttons,
// + - 0 keys, double click), a download button, and the focus kept inside (Tab wraps around).
// Escape, the close button or a click beside the image closes it, and the focus goes back to the
// thumbnail that opened it.

import { t } from './i18n.js';
import { toast } from './ui.js';

const $ = (id) => document.getElementById(id);
const ZOOMS = [1, 1.5, 2, 3, 4];
const FOCUSABLE = 'button:not([disabled]), [tabindex="0"]';

export class ImageViewer {
  constructor() {
    this.dialog = $('image-viewer');
    this.stage = $('viewer-stage');
    this.img = $('overlay-image');
    this.level = 0;
    $('viewer-close').addEventListener('click', () => this.close());
    $('viewer-zoom-in').addEventListener('click', () => this.zoom(this.level + 1));
    $('viewer-zoom-out').addEventListener('click', () => this.zoom(this.level - 1));
    $('viewer-zoom-reset').addEventListener('click', () => this.zoom(0));
    $('viewer-download').addEventListener('click', () => this.download());
    // A click beside the image (on the stage) closes; on the image it zooms in and out.
    this.stage.addEventListener('click', (e) => {
      if (e.target === this.img) this.zoom(this.level ? 0 : 2);
      else this.close();
    });
    this.dialog.addEventListener('keydown', (e) => this.onKey(e));
    this.dialog.addEventListener('close', () => this.closed());
    this.img.addEventListener('load', () => {
      this.dialog.classList.remove('loading');
      if (this.level) this.zoom(this.level);
    });
    this.img.addEventListener('error', () => this.dialog.classList.add('broken'));
  }

  get isOpen() {
    return this.dialog.open;
  }

  /**
   * Shows `full`, with `thumb` in its place until the full image has loaded. `name` names the
   * downloaded file; `from` gets the focus back on close.
   */
  open(full, thumb, { name = 'natter-photo', from = document.activeElement } = {}) {
    this.returnTo = from;
    this.name = name;
    this.full = full;
    this.dialog.classList.add('loading');
    this.dialog.classList.remove('broken');
    this.img.src = thumb || full || '';
    this.img.alt = t('viewer.label');
    this.zoom(0);
    if (!this.dialog.open) this.dialog.showModal();
    $('viewer-close').focus();
    const loader = new Image();
    loader.onload = () => {
      if (this.dialog.open && this.full === full) this.img.src = full;
      this.img.dataset.loaded = 'true';
    };
    loader.onerror = () => {
      this.dialog.classList.add('broken');
      toast(t('viewer.broken'));
    };
    this.img.dataset.loaded = 'false';
    this.img.dataset.src = full;
    loader.src = full;
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  closed() {
    this.img.removeAttribute('src');
    this.full = null;
    const back = this.returnTo;
    this.returnTo = null;
    if (back?.isConnected) back.focus();
  }

  /** Zoom step `level` (0 fits the screen); the point at the centre of the view stays there. */
  zoom(level) {
    this.level = Math.max(0, Math.min(ZOOMS.length - 1, level));
    const scale = ZOOMS[this.level];
    const zoomed = this.level > 0;
    const { stage, img } = this;
    const centre = [(stage.scrollLeft + stage.clientWidth / 2) / (stage.scrollWidth || 1), (stage.scrollTop + stage.clientHeight / 2) / (stage.scrollHeight || 1)];
    this.dialog.classList.toggle('zoomed', zoomed);
    if (zoomed && img.naturalWidth) {
      // The fitted size times the zoom step, so 100% is "fits the screen" at every size.
      const fit = Math.min(1, (stage.clientWidth - 16) / img.naturalWidth, (stage.clientHeight - 16) / img.naturalHeight);
      img.style.width = `${Math.round(img.naturalWidth * fit * scale)}px`;
      img.style.height = 'auto';
      stage.tabIndex = 0;
      stage.scrollLeft = centre[0] * stage.scrollWidth - stage.clientWidth / 2;
      stage.scrollTop = centre[1] * stage.scrollHeight - stage.clientHeight / 2;
    } else {
      img.style.width = '';
      img.style.height = '';
      stage.tabIndex = -1;
    }
    this.img.dataset.zoom = String(scale);
    $('viewer-zoom-level').textContent = `${Math.round(scale * 100)}%`;
    $('viewer-zoom-out').disabled = this.level === 0;
    $('viewer-zoom-in').disabled = this.level === ZOOMS.length - 1;
  }

  onKey(e) {
    if (e.key === '+' || e.key === '=') this.zoom(this.level + 1);
    else if (e.key === '-' || e.key === '_') this.zoom(this.level - 1);
    else if (e.key === '0') this.zoom(0);
    else if (e.key === 'Tab') this.wrapFocus(e);
    else if (e.key === 'Escape') {
      e.stopPropagation(); // the dialog closes itself ('cancel'); nothing else should react
      return;
    } else return;
    if (e.key !== 'Tab') e.preventDefault();
  }

  /** Tab from the last control goes to the first, Shift+Tab from the first to the last. */
  wrapFocus(e) {
    const items = [...this.dialog.querySelectorAll(FOCUSABLE)].filter((el) => el.offsetParent !== null);
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    const inside = this.dialog.contains(document.activeElement);
    if (e.shiftKey && (document.activeElement === first || !inside)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (document.activeElement === last || !inside)) {
      e.preventDefault();
      first.focus();
    }
  }

  /** Saves the full image under a readable name (a cross-origin link cannot name the file). */
  async download() {
    const url = this.full;
    if (!url) return;
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(String(response.status));
      const blob = await response.blob();
      const ext = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/gif': 'gif', 'image/webp': 'webp' }[blob.type] ?? 'jpg';
      const href = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = href;
      a.download = `${this.name}.${ext}`;
      this.dialog.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(href), 10000);
    } catch {
      toast(t('viewer.downloadFailed'));
    }
  }
}
