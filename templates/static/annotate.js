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
    document.getElementById("progress-text").textContent =
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

// Click-to-zoom: an overlay with the full image; a click on it toggles actual size.
const lightbox = {
  open(src) {
    const box = document.getElementById("lightbox"), img = document.getElementById("lightbox-img");
    img.src = src; img.classList.remove("actual"); box.hidden = false;
  },
  close() { document.getElementById("lightbox").hidden = true; },
  isOpen() { return !document.getElementById("lightbox").hidden; },
  init() {
    const box = document.getElementById("lightbox"), img = document.getElementById("lightbox-img");
    box.addEventListener("click", (e) => { if (e.target === box) lightbox.close(); });
    img.addEventListener("click", () => img.classList.toggle("actual"));
  },
};

function isTyping(event) {
  const t = event.target;
  return t && (t.tagName === "TEXTAREA" || (t.tagName === "INPUT" && t.type === "text"));
}
