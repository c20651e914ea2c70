"""Chart and stage painters for the demo images: infographics and conferences.

Same contract as ``demo_scenes.py``: ``painter(rng, size) -> (image, features)``.
``draw_chart`` is shared: a standalone infographic and a slide on a conference
screen show the same kinds of chart, so they look alike but mean different things.
The numbers are illustrative, not real measurements.
"""
from __future__ import annotations

from PIL import Image, ImageDraw

from . import demo_draw as dd
from .demo_scenes import SHIRTS, SKIN, _maybe_caption

CHARTS = {
    "bar_temp": "Global temperature anomaly (°C)",
    "line_co2": "Atmospheric CO2 (ppm)",
    "line_sea": "Sea level rise since 1900 (mm)",
    "stripes": "Warming stripes 1880-2025",
}
SUMMIT = ["CLIMATE SUMMIT 2026", "GLOBAL CLIMATE FORUM", "NET ZERO CONFERENCE", "CLIMATE ACTION WEEK"]


def _series(rng, kind: str, n: int) -> list[float]:
    """An illustrative rising series for chart ``kind`` with ``n`` points."""
    if kind == "line_co2":
        return [315 + 100 * (k / (n - 1)) ** 1.4 + rng.uniform(-2, 2) for k in range(n)]
    if kind == "line_sea":
        return [230 * (k / (n - 1)) ** 1.3 + rng.uniform(-6, 6) for k in range(n)]
    return [-0.35 + 1.5 * (k / (n - 1)) ** 2 + rng.uniform(-0.12, 0.12) for k in range(n)]


def _anomaly_color(v: float) -> tuple[int, int, int]:
    t = max(0.0, min(1.0, (v + 0.4) / 1.6))
    return (int(40 + 200 * t), int(80 + 60 * (1 - abs(2 * t - 1))), int(200 - 170 * t))


def draw_chart(draw: ImageDraw.ImageDraw, rng, box, kind: str, ink=(30, 30, 30)) -> None:
    """Draw chart ``kind`` (a key of CHARTS) with title and axes inside ``box``."""
    x0, y0, x1, y1 = box
    tsize = max(9, int((x1 - x0) / 22))
    dd.text_block(draw, (x0, y0, x1, y0 + tsize * 1.6), CHARTS[kind], ink, max_size=tsize)
    px0, py0, px1, py1 = x0 + tsize * 2, y0 + tsize * 2, x1 - 6, y1 - tsize * 1.4
    n = rng.randint(12, 30) if kind != "stripes" else 40
    vals = _series(rng, kind, n)
    if kind == "stripes":
        sw = (x1 - x0) / n
        for k, v in enumerate(vals):
            draw.rectangle([x0 + k * sw, py0, x0 + (k + 1) * sw, y1], fill=_anomaly_color(v))
        return
    lo, hi = min(vals + [0.0 if kind != "line_co2" else 300]), max(vals)
    ys = [py1 - (v - lo) / (hi - lo) * (py1 - py0) for v in vals]
    step = (px1 - px0) / n
    if kind == "bar_temp":
        zero = py1 - (0 - lo) / (hi - lo) * (py1 - py0)
        for k, (v, y) in enumerate(zip(vals, ys)):
            draw.rectangle([px0 + k * step + 1, min(y, zero), px0 + (k + 1) * step - 1, max(y, zero)],
                           fill=_anomaly_color(v))
    else:
        pts = [(px0 + (k + 0.5) * step, y) for k, y in enumerate(ys)]
        draw.line(pts, fill=(200, 50, 40) if kind == "line_co2" else (30, 100, 200), width=3)
    draw.line([(px0, py0), (px0, py1), (px1, py1)], fill=ink, width=1)
    small = dd.font(max(8, tsize - 3))
    draw.text((px0, py1 + 2), "1880" if kind == "bar_temp" else "1960", font=small, fill=ink)
    draw.text((px1 - small.getlength("2025"), py1 + 2), "2025", font=small, fill=ink)


# --- infographics ------------------------------------------------------------------
def infographic(rng, size, kind=None):
    w, h = size
    kind = kind or rng.choice(list(CHARTS))
    bg = dd.jitter(rng, rng.choice([(250, 250, 245), (245, 240, 230), (235, 240, 245)]), 6)
    img = Image.new("RGB", size, bg)
    draw = ImageDraw.Draw(img)
    draw_chart(draw, rng, (w * 0.05, h * 0.04, w * 0.95, h * 0.88), kind)
    foot = dd.font(max(8, w // 40))
    draw.text((w * 0.05, h * 0.92), "Illustrative data", font=foot, fill=(110, 110, 110))
    feats = {"variant": kind}
    if rng.random() < 0.25:
        feats["caption"] = rng.choice(["The planet is warming", "This is not normal", "Look at the trend"])
        dd.text_block(draw, (w * 0.1, h * 0.1, w * 0.9, h * 0.3), feats["caption"], (180, 30, 30), max_size=w // 14)
    return img, feats


# --- conferences ----------------------------------------------------------------------
def _audience(draw, rng, w, h, top, rows=3, color=(25, 25, 35)):
    for r in range(rows):
        y = top + r * h * 0.07
        for k in range(int(w / 26) + 2):
            x = k * 26 + rng.uniform(-6, 6) + (13 if r % 2 else 0)
            s = 11 + 2 * r
            draw.ellipse([x - s, y, x + s, y + 2 * s], fill=dd.jitter(rng, color, 10))
            draw.rectangle([x - s * 1.4, y + 1.8 * s, x + s * 1.4, h], fill=dd.jitter(rng, color, 10))


def _podium(draw, rng, x, base, s):
    dd.person(draw, x, base - s * 0.5, s * 0.9, rng.choice(SHIRTS[4:] + [(40, 40, 70)]), rng.choice(SKIN))
    draw.polygon([(x - s * 0.4, base - s * 0.8), (x + s * 0.4, base - s * 0.8), (x + s * 0.32, base),
                  (x - s * 0.32, base)], fill=(120, 80, 50))
    draw.ellipse([x - s * 0.12, base - s * 0.6, x + s * 0.12, base - s * 0.36], fill=(60, 150, 90))
    draw.line([(x, base - s * 0.8), (x + s * 0.05, base - s * 1.05)], fill=(20, 20, 20), width=2)


def _flag(draw, rng, x, base, s):
    draw.line([(x, base), (x, base - s)], fill=(200, 200, 200), width=2)
    colors = rng.sample([(200, 30, 40), (250, 250, 250), (30, 60, 160), (30, 140, 70), (250, 200, 30)], 3)
    for k, c in enumerate(colors):
        draw.rectangle([x + 2, base - s + k * s * 0.12, x + s * 0.5, base - s + (k + 1) * s * 0.12], fill=c)


def conference_podium(rng, size):
    w, h = size
    img = dd.gradient(size, [dd.jitter(rng, (30, 60, 110)), (20, 30, 60)])
    draw = ImageDraw.Draw(img)
    title = rng.choice(SUMMIT)
    dd.text_block(draw, (w * 0.1, h * 0.05, w * 0.9, h * 0.2), title, (240, 240, 250), max_size=w // 14)
    for k in range(rng.randint(2, 5)):
        _flag(draw, rng, w * (0.6 + 0.08 * k), h * 0.72, h * 0.4)
    _podium(draw, rng, w * rng.uniform(0.3, 0.45), h * 0.78, h * 0.35)
    _audience(draw, rng, w, h, h * 0.8, rows=2)
    img_feats = {"variant": "podium_speaker", "title": title}
    _maybe_caption(rng, img, "conference", img_feats, 0.25)
    return img, img_feats


def conference_slide(rng, size):
    """Look-alike of an infographic: the same chart, but projected in a hall."""
    w, h = size
    img = dd.gradient(size, [(25, 25, 35), (45, 40, 50)])
    draw = ImageDraw.Draw(img)
    box = (w * 0.18, h * 0.06, w * 0.9, h * 0.58)
    draw.rectangle(box, fill=(245, 245, 245))
    kind = rng.choice(list(CHARTS))
    draw_chart(draw, rng, (box[0] + 6, box[1] + 4, box[2] - 6, box[3] - 4), kind)
    _podium(draw, rng, w * 0.1, h * 0.8, h * 0.32)
    _audience(draw, rng, w, h, h * 0.7, rows=3)
    return img, {"variant": "slide_chart", "chart": kind}


def conference_panel(rng, size):
    w, h = size
    img = dd.gradient(size, [dd.jitter(rng, (60, 110, 90)), (30, 60, 50)])
    draw = ImageDraw.Draw(img)
    title = rng.choice(SUMMIT)
    dd.text_block(draw, (w * 0.1, h * 0.04, w * 0.9, h * 0.18), title, (250, 250, 250), max_size=w // 15)
    n = rng.randint(3, 5)
    for k in range(n):
        dd.person(draw, (k + 0.5) * w / n, h * 0.6, h * 0.35, rng.choice(SHIRTS), rng.choice(SKIN))
    draw.rectangle([0, h * 0.55, w, h * 0.72], fill=(240, 240, 235))
    for k in range(n):
        draw.rectangle([(k + 0.3) * w / n, h * 0.48, (k + 0.7) * w / n, h * 0.55], fill=(250, 250, 250))
    _audience(draw, rng, w, h, h * 0.8, rows=2)
    return img, {"variant": "panel", "count": n, "title": title}


def conference_plenary(rng, size):
    w, h = size
    img = dd.gradient(size, [(180, 175, 170), (120, 115, 110)])
    draw = ImageDraw.Draw(img)
    n = rng.randint(6, 12)
    for k in range(n):
        _flag(draw, rng, (k + 0.3) * w / n, h * 0.45, h * 0.3)
    draw.rectangle([w * 0.2, h * 0.47, w * 0.8, h * 0.55], fill=(90, 60, 40))
    for r in range(3):
        for k in range(int(w / 30)):
            x, y = k * 30 + 15, h * (0.65 + r * 0.1)
            draw.ellipse([x - 8, y - 8, x + 8, y + 8], fill=rng.choice(SKIN))
            draw.rectangle([x - 12, y + 8, x + 12, y + 26], fill=rng.choice(SHIRTS[4:] + [(40, 40, 70)]))
            draw.rectangle([x - 14, y + 20, x + 14, y + 24], fill=(200, 190, 170))
    return img, {"variant": "plenary_flags", "count": n}
