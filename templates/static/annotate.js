// semclust annotation: shared client code for the pair-rating and matching pages.
// A Stepper walks a queue of items: it shows item i with images decoded ahead of
// time, submits an answer as JSON (CSRF header) and moves on only after the server
// acknowledged the committed answer. Pages supply render/collect functions.
"use strict";

const csrfToken = () => document.querySelector('meta[name="csrf-token"]').content;

async function postJSON(url, body) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
    body: JSON.stringify(body),
  });
  let data = {};
  try { data = await response.json(); } catch (e) { /* not JSON */ }
  if (!response.ok || !data.ok) {
    throw new Error(data.error || `the server answered ${response.status}; your answer was not saved`);
  }
  return data;
}

// Decoded images by URL, so the next item appears without waiting for the network or decoder.
class Preloader {
  constructor(limit = 24) { this.cache = new Map(); this.limit = limit; }
  get(url) {
    let entry = this.cache.get(url);
    if (!entry) {
      const img = new Image();
      img.decoding = "async";
      img.src = url;
      entry = {img, ready: img.decode().then(() => img, () => img)};  // a broken image still shows
      this.cache.set(url, entry);
      while (this.cache.size > this.limit) this.cache.delete(this.cache.keys().next().value);
    }
    return entry;
  }
  async images(urls) { return Promise.all(urls.map((u) => this.get(u).ready)); }
  warm(urls) { urls.forEach((u) => this.get(u)); }
}

class Stepper {
  // opts: state {items, start}, urls(item) -> [url], render(item, imgs, index), done(), onError(msg)
  constructor(opts) {
    Object.assign(this, opts);
    this.items = opts.state.items;
    this.index = opts.state.start;
    this.preloader = new Preloader();
    this.busy = false;
    this.timings = [];
    window.semclustTiming = this.timings;
  }
  answered() { return this.items.filter((it) => it.answer !== null && it.answer !== undefined).length; }
  firstOpen() {
    const i = this.items.findIndex((it) => it.answer === null || it.answer === undefined);
    return i < 0 ? this.items.length : i;
  }
  progress() {
    const n = this.items.length, k = this.answered();
    document.getElementById("progress-bar").style.width = n ? `${(100 * k) / n}%` : "0";
    document.getElementById("progress-text").textContent = !n ? "nothing open yet" :
      this.index < n ? `item ${this.index + 1} of ${n} · ${k} answered` : `${k} of ${n} answered`;
  }
  async show(index, t0) {
    this.index = Math.max(0, Math.min(index, this.items.length));
    const shown = this.index;
    this.progress();
    if (this.index >= this.items.length) {
      this.done();
    } else {
      const item = this.items[this.index];
      const imgs = await this.preloader.images(this.urls(item));
      if (shown !== this.index) return;  // the person moved on meanwhile
      this.render(item, imgs, this.index);
    }
    for (const next of this.items.slice(this.index + 1, this.index + 3)) this.preloader.warm(this.urls(next));
    requestAnimationFrame(() => {
      if (t0 !== undefined) this.timings.push(performance.now() - t0);
      document.body.dataset.shown = String(shown);
    });
  }
  // Submit `answer` for the current item (skip the request if unchanged), then show the next one.
  async submit(answer, payload) {
    if (this.busy || this.index >= this.items.length) return;
    const t0 = performance.now();
    const item = this.items[this.index];
    if (JSON.stringify(item.answer) !== JSON.stringify(answer)) {
      this.busy = true;
      try {
        await postJSON(this.answerUrl, payload);
        item.answer = answer;
      } catch (err) {
        this.onError(err.message);
        return;
      } finally {
        this.busy = false;
      }
    }
    await this.show(this.index + 1, t0);
  }
  back() { if (this.index > 0) this.show(this.index - 1); }
  forward() { if (this.index < this.firstOpen()) this.show(this.index + 1); }
}

// Enlarge: an overlay that fits the image to the window (small images are scaled up too),
// zooms (wheel, + / -, click) and pans (drag, arrow keys); 0 fits again, Esc closes.
const lightbox = {
  scale: 1, fit: 1, x: 0, y: 0,
  els() { return [document.getElementById("lightbox"), document.getElementById("lightbox-img")]; },
  open(src) {
    const [box, img] = this.els();
    box.hidden = false;
    img.onload = () => this.reset();
    img.src = src;
    if (img.complete && img.naturalWidth) this.reset();
  },
  reset() {
    const [, img] = this.els();
    const w = img.naturalWidth || 1, h = img.naturalHeight || 1;
    this.fit = Math.min((window.innerWidth * 0.96) / w, (window.innerHeight * 0.92) / h);
    this.scale = this.fit; this.x = 0; this.y = 0; this.apply();
  },
  apply() {
    const [box, img] = this.els();
    img.style.width = `${img.naturalWidth * this.scale}px`;
    img.style.height = `${img.naturalHeight * this.scale}px`;
    img.style.transform = `translate(${this.x}px, ${this.y}px)`;
    box.dataset.zoom = (this.scale / this.fit).toFixed(2);
  },
  zoom(factor) { this.scale = Math.max(this.fit / 2, Math.min(this.scale * factor, this.fit * 16)); this.apply(); },
  pan(dx, dy) { this.x += dx; this.y += dy; this.apply(); },
  close() { this.els()[0].hidden = true; },
  isOpen() { return !this.els()[0].hidden; },
  // a key pressed while open: true if it was used
  key(key) {
    const step = 80;
    if (key === "escape" || key === "z" || key === "x") this.close();
    else if (key === "+" || key === "=") this.zoom(1.25);
    else if (key === "-" || key === "_") this.zoom(0.8);
    else if (key === "0") this.reset();
    else if (key === "arrowleft") this.pan(step, 0);
    else if (key === "arrowright") this.pan(-step, 0);
    else if (key === "arrowup") this.pan(0, step);
    else if (key === "arrowdown") this.pan(0, -step);
    else return false;
    return true;
  },
  init() {
    const [box, img] = this.els();
    let drag = null, moved = false;
    box.addEventListener("click", (e) => { if (e.target === box) lightbox.close(); });
    img.addEventListener("click", () => {
      if (moved) return;
      if (lightbox.scale > lightbox.fit * 1.01) lightbox.reset(); else lightbox.zoom(2);
    });
    img.addEventListener("dragstart", (e) => e.preventDefault());
    img.addEventListener("mousedown", (e) => { drag = [e.clientX, e.clientY]; moved = false; });
    window.addEventListener("mousemove", (e) => {
      if (!drag) return;
      const dx = e.clientX - drag[0], dy = e.clientY - drag[1];
      if (Math.abs(dx) + Math.abs(dy) > 3) moved = true;
      drag = [e.clientX, e.clientY]; lightbox.pan(dx, dy);
    });
    window.addEventListener("mouseup", () => { drag = null; });
    box.addEventListener("wheel", (e) => { e.preventDefault(); lightbox.zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15); },
                         {passive: false});
    window.addEventListener("resize", () => { if (lightbox.isOpen()) lightbox.reset(); });
  },
};

function isTyping(event) {
  const t = event.target;
  return t && (t.tagName === "TEXTAREA" || (t.tagName === "INPUT" && t.type === "text"));
}
