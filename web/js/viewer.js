// The full-size image overlay: opens on a thumbnail click; any click on it, or Escape, closes it.

const $ = (id) => document.getElementById(id);

export class ImageViewer {
  constructor() {
    this.overlay = $('image-overlay');
    this.img = $('overlay-image');
    this.overlay.addEventListener('click', () => this.close());
    $('overlay-close').addEventListener('click', () => this.close());
    document.addEventListener('keydown', (e) => e.key === 'Escape' && this.close());
    this.img.addEventListener('load', () => this.overlay.classList.remove('loading'));
    this.img.addEventListener('error', () => this.overlay.classList.add('broken'));
  }

  /** Shows `full`, with `thumb` in its place until the full image has loaded. */
  open(full, thumb) {
    this.overlay.classList.add('loading');
    this.overlay.classList.remove('broken');
    this.img.src = thumb || '';
    this.overlay.hidden = false;
    const loader = new Image();
    loader.onload = () => {
      if (!this.overlay.hidden) this.img.src = full;
      this.img.dataset.loaded = 'true';
    };
    loader.onerror = () => this.overlay.classList.add('broken');
    this.img.dataset.loaded = 'false';
    this.img.dataset.src = full;
    loader.src = full;
  }

  close() {
    this.overlay.hidden = true;
    this.img.removeAttribute('src');
  }
}
