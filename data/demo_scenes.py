"""Scene painters for the synthetic demo images, one family per theme.

Each painter takes ``(rng, size)`` and returns ``(image, features)``: an RGB
Pillow image and a dict that names what was drawn (``variant``, ``caption``,
``slogan``, ...). The description writer (``demo_texts.py``) reads the features so
that each paragraph talks about what is actually in its image.

Some variants are deliberate look-alikes across themes (an orange sunset sky
and a wildfire sky; a chart on a conference screen and a standalone chart;
white debris on dark water and ice floes; a SAVE THE ARCTIC placard and an
arctic scene).
"""
from __future__ import annotations

import math
import random

from PIL import Image, ImageDraw

from . import demo_draw as dd

SKIN = [(241, 204, 170), (224, 172, 130), (190, 134, 96), (141, 94, 62), (96, 64, 44)]
SHIRTS = [(200, 60, 60), (60, 110, 190), (60, 150, 90), (230, 180, 50), (120, 80, 160), (50, 50, 60)]
SLOGANS = ["THERE IS NO PLANET B", "CLIMATE JUSTICE NOW", "ACT NOW", "SYSTEM CHANGE NOT CLIMATE CHANGE",
           "THE SEAS ARE RISING AND SO ARE WE", "LISTEN TO THE SCIENCE", "OUR HOUSE IS ON FIRE",
           "STOP FOSSIL FUELS", "FUTURE NOT FOSSILS", "NO NATURE NO FUTURE", "WE WANT TO LIVE"]
CAPTIONS = {
    "renewable_energy": ["Powered by the wind", "Clean energy is here", "100% renewable by 2035",
                         "#SolarPower", "The future is bright"],
    "protest": ["Thousands march for the climate", "#FridaysForFuture", "We are the future", "Climate strike today"],
    "ocean_plastic": ["Is this our ocean?", "#BeatPlasticPollution", "Refuse single-use plastic",
                      "Found on our beach this morning"],
    "wildfire": ["Another summer, another fire", "The sky turned orange today", "#Wildfire", "Evacuate now"],
    "arctic": ["Going, going, gone?", "Arctic ice at a record low", "#SaveTheArctic", "Home of the polar bear"],
    "conference": ["Live from the climate summit", "Leaders gather to talk climate", "Day 2 of the summit",
                   "Opening plenary"],
    "nature": ["Breathe.", "Sunday hike", "Golden hour", "#NoFilter", "Take me back"],
}
SUNSET_SKY = [(70, 40, 110), (230, 95, 60), (255, 180, 80)]


def _maybe_caption(rng: random.Random, img: Image.Image, theme: str, feats: dict, p: float = 0.3) -> None:
    """With probability ``p`` overlay a theme caption and record it in ``feats``."""
    if rng.random() < p:
        feats["caption"] = rng.choice(CAPTIONS[theme])
        dd.caption(img, feats["caption"], rng.choice(["top", "bottom"]))


def _sky_and_land(rng, size, sky, land, horizon):
    """A gradient sky with a rolling land strip below ``horizon`` (fraction of height)."""
    w, h = size
    img = dd.gradient(size, [dd.jitter(rng, c) for c in sky])
    draw = ImageDraw.Draw(img)
    line = dd.ridge(rng, w, h * horizon, h * 0.04)
    dd.fill_below(draw, line, h, dd.jitter(rng, land))
    return img, draw, line


# --- renewable energy -------------------------------------------------------
def renewable_turbines(rng, size, sunset=False):
    w, h = size
    sky = SUNSET_SKY if sunset else [(90, 150, 220), (190, 220, 245)]
    img, draw, _ = _sky_and_land(rng, size, sky, (40, 60, 50) if sunset else (90, 160, 80), rng.uniform(0.7, 0.8))
    if sunset:
        dd.sun(draw, rng.uniform(0.2, 0.8) * w, h * 0.62, h * 0.08, (255, 215, 120))
    else:
        for _ in range(rng.randint(1, 3)):
            dd.cloud(draw, rng, rng.uniform(0, w), rng.uniform(0.1, 0.35) * h, h * 0.06, (250, 250, 252))
    n = rng.randint(2, 6)
    for k in range(n):
        th = h * rng.uniform(0.35, 0.6)
        color = (30, 25, 35) if sunset else (245, 245, 245)
        dd.turbine(draw, (k + rng.uniform(0.3, 0.7)) * w / n, h * rng.uniform(0.74, 0.82), th,
                   rng.uniform(0, 120), color)
    return img, {"variant": "turbines_sunset" if sunset else "turbines", "count": n}


def renewable_solar(rng, size):
    w, h = size
    img, draw, _ = _sky_and_land(rng, size, [(100, 160, 230), (200, 225, 245)], (120, 170, 90), 0.45)
    dd.sun(draw, rng.uniform(0.6, 0.9) * w, h * 0.12, h * 0.06, (255, 240, 150))
    rows, cols = rng.randint(3, 5), rng.randint(4, 7)
    pw = w / (cols + 1)
    for r in range(rows):
        y = h * 0.5 + r * h * 0.5 / rows
        for c in range(cols):
            dd.solar_panel(draw, pw * 0.5 + c * pw, y, pw * 0.85, h * 0.5 / rows * 0.7, pw * 0.2)
    return img, {"variant": "solar_field"}


def renewable_roof(rng, size):
    w, h = size
    img, draw, _ = _sky_and_land(rng, size, [(110, 170, 235), (210, 230, 250)], (100, 150, 80), 0.85)
    x0, x1, top = w * rng.uniform(0.1, 0.25), w * rng.uniform(0.75, 0.9), h * 0.3
    wall = dd.jitter(rng, (230, 220, 200))
    draw.rectangle([x0, h * 0.55, x1, h * 0.88], fill=wall)
    draw.polygon([(x0 - 15, h * 0.56), ((x0 + x1) / 2, top), (x1 + 15, h * 0.56)], fill=(150, 70, 50))
    for k in range(3):
        px = x0 + (x1 - x0) * (0.12 + k * 0.14)
        dd.solar_panel(draw, px, h * 0.42, (x1 - x0) * 0.12, h * 0.1, 6)
    draw.rectangle([x0 + (x1 - x0) * 0.45, h * 0.7, x0 + (x1 - x0) * 0.55, h * 0.88], fill=(90, 60, 40))
    return img, {"variant": "solar_roof"}


def renewable_offshore(rng, size):
    w, h = size
    img = dd.gradient(size, [dd.jitter(rng, (120, 170, 220)), (200, 225, 240), (40, 90, 140), (20, 60, 100)])
    draw = ImageDraw.Draw(img)
    n = rng.randint(4, 9)
    for k in range(n):
        dist = rng.uniform(0.3, 1.0)
        dd.turbine(draw, rng.uniform(0.05, 0.95) * w, h * 0.45, h * 0.35 * dist, rng.uniform(0, 120), (240, 240, 240))
    for y in range(int(h * 0.55), h, 14):
        draw.line([(0, y), (w, y + rng.randint(-4, 4))], fill=(70, 120, 170))
    return img, {"variant": "offshore", "count": n}


# --- protest ------------------------------------------------------------------
def _placard(draw, rng, x, top, pw, ph, slogan, board=(250, 250, 240), ink=(20, 20, 20)):
    draw.rectangle([x - 3, top + ph, x + 3, top + ph * 2.2], fill=(150, 110, 70))
    draw.rectangle([x - pw / 2, top, x + pw / 2, top + ph], fill=board, outline=(60, 60, 60))
    dd.text_block(draw, (x - pw / 2 + 5, top + 4, x + pw / 2 - 5, top + ph - 4), slogan, ink, max_size=26)


def protest_crowd(rng, size, slogan=None, board=None, variant="crowd_placards"):
    w, h = size
    img = dd.gradient(size, [dd.jitter(rng, (170, 180, 195)), (215, 215, 210)])
    draw = ImageDraw.Draw(img)
    for k in range(rng.randint(2, 4)):
        bx = rng.uniform(0, w)
        draw.rectangle([bx, h * rng.uniform(0.05, 0.3), bx + w * 0.2, h * 0.6], fill=dd.jitter(rng, (150, 140, 130)))
    draw.rectangle([0, h * 0.6, w, h], fill=(110, 110, 115))
    slogans = [slogan] if slogan else rng.sample(SLOGANS, rng.randint(1, 3))
    for k, s in enumerate(slogans):
        pw = w * rng.uniform(0.22, 0.32)
        x = (k + 0.5) * w / len(slogans) + rng.uniform(-10, 10)
        _placard(draw, rng, x, h * rng.uniform(0.12, 0.25), pw, pw * 0.6, s,
                 board or dd.jitter(rng, (250, 245, 225)), (20, 20, 20))
        if board:
            draw.ellipse([x - pw * 0.15, h * 0.42, x + pw * 0.15, h * 0.49], fill=(250, 250, 250))
    for row in range(2):
        for k in range(rng.randint(6, 10)):
            dd.person(draw, rng.uniform(0, w), h * (0.92 + 0.1 * row), h * 0.45,
                      rng.choice(SHIRTS), rng.choice(SKIN))
    return img, {"variant": variant, "slogans": slogans}


def protest_arctic(rng, size):
    return protest_crowd(rng, size, "SAVE THE ARCTIC", (200, 230, 250), "placard_arctic")


def protest_single(rng, size):
    w, h = size
    img = dd.gradient(size, [dd.jitter(rng, (120, 140, 160)), dd.jitter(rng, (90, 90, 95))])
    draw = ImageDraw.Draw(img)
    slogan = rng.choice(SLOGANS)
    board = dd.jitter(rng, rng.choice([(245, 235, 200), (250, 250, 250), (200, 230, 190)]))
    draw.rectangle([w * 0.12, h * 0.1, w * 0.88, h * 0.7], fill=board, outline=(40, 40, 40), width=3)
    dd.text_block(draw, (w * 0.16, h * 0.13, w * 0.84, h * 0.67), slogan,
                  rng.choice([(20, 20, 20), (170, 30, 30), (20, 90, 40)]), max_size=44)
    for side in (0.2, 0.8):
        draw.ellipse([w * side - 22, h * 0.68, w * side + 22, h * 0.8], fill=rng.choice(SKIN))
    draw.rectangle([0, h * 0.82, w, h], fill=rng.choice(SHIRTS))
    return img, {"variant": "single_placard", "slogans": [slogan]}


def protest_flares(rng, size):
    img, feats = protest_crowd(rng, size, variant="flares")
    w, h = img.size
    shapes = [("ellipse", [x - 60, h * 0.05 + y, x + 60, h * 0.5 + y])
              for x, y in ((rng.uniform(0, w), rng.uniform(0, 40)) for _ in range(4))]
    return dd.overlay(img, shapes, (240, 110, 40, 150), blur=12), feats


# --- ocean plastic ----------------------------------------------------------------
def _bottle(draw, rng, x, y, s):
    color = rng.choice([(180, 220, 235), (90, 170, 90), (230, 230, 235), (60, 120, 200)])
    ang = rng.uniform(0, 180)
    draw.polygon(dd.rot_rect(x, y, s, s * 0.35, ang), fill=color, outline=(60, 80, 90))
    cap = (x + 0.55 * s * math.cos(math.radians(ang)), y + 0.55 * s * math.sin(math.radians(ang)))
    draw.polygon(dd.rot_rect(*cap, s * 0.15, s * 0.18, ang), fill=rng.choice([(220, 40, 40), (30, 90, 200)]))


def ocean_floating(rng, size):
    w, h = size
    img = dd.gradient(size, [dd.jitter(rng, (150, 195, 225)), (70, 140, 180), (20, 70, 110)])
    draw = ImageDraw.Draw(img)
    for y in range(int(h * 0.3), h, 16):
        x = rng.uniform(-40, w)
        draw.arc([x, y, x + rng.uniform(30, 90), y + 10], 0, 180, fill=(180, 215, 235))
    n = rng.randint(6, 14)
    for _ in range(n):
        _bottle(draw, rng, rng.uniform(0, w), rng.uniform(0.35, 0.95) * h, rng.uniform(18, 40))
    bags = [("polygon", dd.blob(rng, rng.uniform(0, w), rng.uniform(0.4, 0.9) * h, rng.uniform(15, 30)))
            for _ in range(rng.randint(2, 5))]
    return dd.overlay(img, bags, (245, 245, 245, 140)), {"variant": "floating_bottles", "count": n}


def ocean_beach(rng, size):
    w, h = size
    img = dd.gradient(size, [(150, 200, 235), (200, 225, 240)])
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, h * 0.35, w, h * 0.5], fill=dd.jitter(rng, (60, 130, 180)))
    shore = dd.ridge(rng, w, h * 0.5, h * 0.02)
    dd.fill_below(draw, shore, h, dd.jitter(rng, (225, 205, 160)))
    for _ in range(rng.randint(8, 16)):
        x, y = rng.uniform(0, w), rng.uniform(0.55, 0.97) * h
        if rng.random() < 0.6:
            _bottle(draw, rng, x, y, rng.uniform(15, 32))
        else:
            draw.polygon(dd.blob(rng, x, y, rng.uniform(8, 18)), fill=dd.jitter(rng, rng.choice(SHIRTS), 30))
    return img, {"variant": "beach_litter"}


def ocean_underwater(rng, size):
    w, h = size
    img = dd.gradient(size, [(40, 130, 170), (15, 60, 100), (5, 30, 60)])
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randint(3, 6)):
        x, y, s = rng.uniform(0, w), rng.uniform(0.3, 0.9) * h, rng.uniform(12, 24)
        c = rng.choice([(250, 160, 40), (240, 220, 60), (120, 200, 220)])
        draw.ellipse([x - s, y - s * 0.45, x + s, y + s * 0.45], fill=c)
        draw.polygon([(x + s * 0.8, y), (x + s * 1.5, y - s * 0.5), (x + s * 1.5, y + s * 0.5)], fill=c)
    for _ in range(rng.randint(3, 7)):
        _bottle(draw, rng, rng.uniform(0, w), rng.uniform(0.1, 0.9) * h, rng.uniform(18, 34))
    bags = [("polygon", dd.blob(rng, rng.uniform(0, w), rng.uniform(0.1, 0.8) * h, rng.uniform(25, 45), rough=0.5))
            for _ in range(rng.randint(2, 4))]
    return dd.overlay(img, bags, (235, 240, 245, 110), blur=1.5), {"variant": "underwater"}


def ocean_white_debris(rng, size):
    """Look-alike of arctic ice floes: pale fragments on dark water, but they are plastic."""
    w, h = size
    img = dd.gradient(size, [(170, 190, 205), (40, 70, 100), (15, 35, 60)])
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randint(10, 18)):
        x, y = rng.uniform(0, w), rng.uniform(0.35, 0.98) * h
        draw.polygon(dd.blob(rng, x, y, rng.uniform(6, 20)), fill=dd.jitter(rng, (235, 238, 240), 10))
    for _ in range(rng.randint(2, 4)):
        _bottle(draw, rng, rng.uniform(0, w), rng.uniform(0.4, 0.95) * h, rng.uniform(15, 25))
    return img, {"variant": "white_debris"}
