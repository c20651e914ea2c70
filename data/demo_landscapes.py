"""Landscape painters for the demo images: wildfire, arctic and nature beauty.

Same contract as ``demo_scenes.py``: ``painter(rng, size) -> (image, features)``.
The sunset and the wildfire sky share a palette on purpose, as do snowy peaks
and icebergs.
"""
from __future__ import annotations

from PIL import ImageDraw

from . import demo_draw as dd

FIRE_SKY = [(80, 35, 30), (200, 80, 30), (250, 150, 50)]
SUNSET_SKY = [(70, 40, 110), (230, 95, 60), (255, 180, 80)]


def _flames(draw, rng, x0, x1, base, height):
    """A jagged band of layered flames between x0 and x1 standing on ``base``."""
    for color, scale in (((200, 40, 20), 1.0), ((245, 120, 30), 0.7), ((255, 215, 80), 0.4)):
        pts = [(x0, base)]
        x = x0
        while x < x1:
            pts.append((x + 6, base - height * scale * rng.uniform(0.3, 1.0)))
            x += rng.uniform(10, 22)
            pts.append((x, base - height * scale * rng.uniform(0.05, 0.3)))
        draw.polygon(pts + [(x1, base)], fill=color)


def _smoke(img, rng, n, color=(90, 80, 80, 120)):
    w, h = img.size
    shapes = [("ellipse", [x - r, y - r * 0.6, x + r, y + r * 0.6])
              for x, y, r in ((rng.uniform(0, w), rng.uniform(0, 0.5) * h, rng.uniform(40, 90)) for _ in range(n))]
    return dd.overlay(img, shapes, color, blur=10)


# --- wildfire -----------------------------------------------------------------
def wildfire_forest(rng, size):
    w, h = size
    img = dd.gradient(size, [dd.jitter(rng, c) for c in FIRE_SKY])
    img = _smoke(img, rng, rng.randint(3, 6))
    draw = ImageDraw.Draw(img)
    base = h * rng.uniform(0.8, 0.9)
    for _ in range(rng.randint(8, 16)):
        dd.conifer(draw, rng.uniform(0, w), base + rng.uniform(0, 10), h * rng.uniform(0.25, 0.5), (25, 20, 20))
    _flames(draw, rng, 0, w, h, h * rng.uniform(0.25, 0.45))
    return img, {"variant": "forest_fire"}


def wildfire_night(rng, size):
    w, h = size
    img = dd.gradient(size, [(15, 10, 25), (40, 20, 30)])
    draw = ImageDraw.Draw(img)
    line = dd.ridge(rng, w, h * 0.55, h * 0.08)
    dd.fill_below(draw, line, h, (20, 15, 15))
    for k in range(rng.randint(2, 4)):
        x0 = rng.uniform(0, w * 0.7)
        _flames(draw, rng, x0, x0 + rng.uniform(60, 160), h * rng.uniform(0.6, 0.75), h * 0.12)
    return _smoke(img, rng, 3, (120, 60, 40, 90)), {"variant": "hillside_night"}


def wildfire_town(rng, size):
    """Look-alike of a sunset: an orange sky over silhouettes, but it is smoke."""
    w, h = size
    img = dd.gradient(size, [dd.jitter(rng, c) for c in FIRE_SKY])
    draw = ImageDraw.Draw(img)
    dd.sun(draw, rng.uniform(0.2, 0.8) * w, h * rng.uniform(0.25, 0.45), h * 0.05, (230, 60, 30))
    base = h * 0.78
    for _ in range(rng.randint(3, 6)):
        x, hw, hh = rng.uniform(0, w), rng.uniform(20, 40), rng.uniform(20, 40)
        draw.rectangle([x - hw, base - hh, x + hw, base], fill=(30, 20, 20))
        draw.polygon([(x - hw - 5, base - hh), (x, base - hh - 22), (x + hw + 5, base - hh)], fill=(30, 20, 20))
    draw.rectangle([0, base, w, h], fill=(35, 25, 20))
    return _smoke(img, rng, rng.randint(4, 7), (150, 90, 60, 110)), {"variant": "orange_sky_town"}


def wildfire_aftermath(rng, size):
    w, h = size
    img = dd.gradient(size, [(150, 140, 130), (110, 100, 95)])
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, h * 0.7, w, h], fill=(45, 40, 38))
    for _ in range(rng.randint(6, 12)):
        x, th = rng.uniform(0, w), h * rng.uniform(0.3, 0.6)
        draw.line([(x, h * 0.75), (x + rng.uniform(-8, 8), h * 0.75 - th)], fill=(20, 18, 18), width=rng.randint(3, 7))
    for _ in range(rng.randint(3, 8)):
        x, y = rng.uniform(0, w), rng.uniform(0.72, 0.95) * h
        draw.ellipse([x - 5, y - 2, x + 5, y + 2], fill=(230, 90, 30))
    return img, {"variant": "burned_forest"}


# --- arctic ------------------------------------------------------------------------
def _water_and_floes(rng, size, n):
    w, h = size
    img = dd.gradient(size, [dd.jitter(rng, (200, 220, 235)), (60, 100, 140), (20, 50, 85)])
    draw = ImageDraw.Draw(img)
    for _ in range(n):
        x, y = rng.uniform(0, w), rng.uniform(0.4, 0.98) * h
        draw.polygon(dd.blob(rng, x, y, rng.uniform(15, 50), n=7, rough=0.25), fill=dd.jitter(rng, (240, 248, 252), 8))
    return img, draw


def _bear(draw, x, y, s):
    fur = (245, 240, 225)
    draw.ellipse([x - s, y - s * 0.5, x + s, y + s * 0.5], fill=fur)
    draw.ellipse([x + s * 0.7, y - s * 0.7, x + s * 1.3, y - s * 0.1], fill=fur)
    for lx in (-0.7, -0.3, 0.3, 0.7):
        draw.rectangle([x + lx * s - s * 0.12, y, x + lx * s + s * 0.12, y + s * 0.8], fill=fur)
    draw.ellipse([x + s * 1.2, y - s * 0.45, x + s * 1.3, y - s * 0.35], fill=(10, 10, 10))


def arctic_floes(rng, size):
    img, _ = _water_and_floes(rng, size, rng.randint(6, 14))
    return img, {"variant": "ice_floes"}


def arctic_bear(rng, size):
    w, h = size
    img, draw = _water_and_floes(rng, size, rng.randint(2, 5))
    fx, fy = w * rng.uniform(0.3, 0.7), h * rng.uniform(0.65, 0.75)
    draw.polygon(dd.blob(rng, fx, fy, w * 0.25, n=8, rough=0.15), fill=(242, 248, 252))
    _bear(draw, fx - w * 0.05, fy - h * 0.08, w * rng.uniform(0.07, 0.1))
    return img, {"variant": "polar_bear"}


def arctic_iceberg(rng, size):
    w, h = size
    img, draw = _water_and_floes(rng, size, rng.randint(1, 4))
    x, top = w * rng.uniform(0.3, 0.7), h * rng.uniform(0.15, 0.3)
    pts = [(x - w * 0.3, h * 0.6), (x - w * 0.12, top + 20), (x, top), (x + w * 0.1, top + 30), (x + w * 0.28, h * 0.6)]
    draw.polygon(pts, fill=(235, 245, 252))
    draw.polygon([pts[2], pts[3], pts[4], (x + w * 0.02, h * 0.6)], fill=(180, 215, 235))
    return img, {"variant": "iceberg"}


def arctic_aurora(rng, size):
    w, h = size
    img = dd.gradient(size, [(5, 10, 30), (20, 40, 70)])
    bands = [("polygon", dd.ridge(rng, w, h * rng.uniform(0.2, 0.4), h * 0.1, 30) + [(w, h * 0.05), (0, h * 0.05)])
             for _ in range(2)]
    img = dd.overlay(img, bands, (60, 230, 150, 90), blur=8)
    draw = ImageDraw.Draw(img)
    dd.fill_below(draw, dd.ridge(rng, w, h * 0.75, h * 0.03), h, (225, 235, 245))
    return img, {"variant": "aurora_ice"}


# --- nature beauty ---------------------------------------------------------------
def _peaks(draw, rng, w, h, snow, color=(90, 100, 120)):
    for _ in range(rng.randint(2, 4)):
        x, top, half = rng.uniform(0, w), h * rng.uniform(0.15, 0.4), w * rng.uniform(0.2, 0.35)
        draw.polygon([(x - half, h * 0.7), (x, top), (x + half, h * 0.7)], fill=dd.jitter(rng, color))
        cap = 0.45 if snow else 0.2
        draw.polygon([(x - half * cap, top + (h * 0.7 - top) * cap), (x, top),
                      (x + half * cap, top + (h * 0.7 - top) * cap)], fill=(250, 250, 252))


def nature_mountains(rng, size, snow=False):
    w, h = size
    img = dd.gradient(size, [dd.jitter(rng, (110, 170, 230)), (215, 230, 245)])
    draw = ImageDraw.Draw(img)
    _peaks(draw, rng, w, h, snow, (150, 160, 180) if snow else (90, 100, 120))
    dd.fill_below(draw, dd.ridge(rng, w, h * 0.72, h * 0.03), h, (235, 240, 248) if snow else dd.jitter(rng, (80, 140, 70)))
    if not snow:
        for _ in range(rng.randint(4, 10)):
            dd.conifer(draw, rng.uniform(0, w), h * rng.uniform(0.85, 0.98), h * rng.uniform(0.15, 0.3), (30, 90, 50))
    return img, {"variant": "snow_peaks" if snow else "mountains"}


def nature_snow(rng, size):
    return nature_mountains(rng, size, snow=True)


def nature_forest(rng, size):
    w, h = size
    img = dd.gradient(size, [dd.jitter(rng, (160, 200, 230)), (220, 235, 220)])
    draw = ImageDraw.Draw(img)
    for layer, color in enumerate([(90, 140, 100), (50, 110, 60), (25, 80, 40)]):
        for _ in range(rng.randint(8, 14)):
            dd.conifer(draw, rng.uniform(0, w), h * (0.6 + 0.15 * layer), h * rng.uniform(0.3, 0.5), dd.jitter(rng, color))
    return img, {"variant": "forest"}


def nature_sunset(rng, size):
    """Look-alike of a wildfire sky: orange gradient and dark silhouettes, but calm."""
    w, h = size
    img = dd.gradient(size, [dd.jitter(rng, c) for c in SUNSET_SKY])
    draw = ImageDraw.Draw(img)
    dd.sun(draw, rng.uniform(0.2, 0.8) * w, h * rng.uniform(0.45, 0.6), h * 0.07, (255, 220, 130))
    line = dd.ridge(rng, w, h * 0.68, h * 0.05)
    dd.fill_below(draw, line, h, (40, 25, 40))
    draw.rectangle([0, h * 0.82, w, h], fill=(200, 110, 80))
    for _ in range(rng.randint(0, 5)):
        dd.conifer(draw, rng.uniform(0, w), h * 0.82, h * rng.uniform(0.15, 0.3), (30, 20, 30))
    return img, {"variant": "sunset_lake"}


def nature_meadow(rng, size):
    w, h = size
    img = dd.gradient(size, [dd.jitter(rng, (120, 180, 235)), (220, 235, 250)])
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randint(1, 3)):
        dd.cloud(draw, rng, rng.uniform(0, w), h * rng.uniform(0.1, 0.3), h * 0.07, (252, 252, 252))
    dd.fill_below(draw, dd.ridge(rng, w, h * 0.6, h * 0.05), h, dd.jitter(rng, (110, 175, 80)))
    for _ in range(rng.randint(25, 60)):
        x, y = rng.uniform(0, w), rng.uniform(0.68, 0.99) * h
        draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=rng.choice(
            [(250, 240, 80), (240, 90, 120), (250, 250, 250), (160, 110, 220)]))
    return img, {"variant": "meadow"}
