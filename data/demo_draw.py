"""Drawing primitives for the synthetic demo images (Pillow only, plus numpy).

Every function draws onto a Pillow image in place or returns a new one; all
randomness comes from the ``random.Random`` passed in, so the demo set is
reproducible. Used by ``demo_scenes.py``.
"""
from __future__ import annotations

import math
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

Color = tuple[int, int, int]


def font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's bundled TrueType font at ``size`` px (no system fonts needed)."""
    return ImageFont.load_default(size=size)


def jitter(rng: random.Random, color: Color, amount: int = 18) -> Color:
    """``color`` with each channel moved by up to ``amount`` (clipped to 0-255)."""
    return tuple(max(0, min(255, c + rng.randint(-amount, amount))) for c in color)


def gradient(size: tuple[int, int], stops: list[Color]) -> Image.Image:
    """Vertical gradient through ``stops`` (top to bottom), RGB."""
    w, h = size
    t = np.linspace(0.0, 1.0, h)[:, None]
    pos = np.linspace(0.0, 1.0, len(stops))
    cols = np.array(stops, dtype=float)
    rows = np.stack([np.interp(t[:, 0], pos, cols[:, k]) for k in range(3)], axis=1)
    arr = np.repeat(rows[:, None, :], w, axis=1).round().astype(np.uint8)
    return Image.fromarray(arr, "RGB")


def rot_rect(cx: float, cy: float, w: float, h: float, angle: float) -> list[tuple[float, float]]:
    """Corners of a ``w`` x ``h`` rectangle centred at (cx, cy), turned by ``angle`` degrees."""
    a = math.radians(angle)
    ca, sa = math.cos(a), math.sin(a)
    pts = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
    return [(cx + x * ca - y * sa, cy + x * sa + y * ca) for x, y in pts]


def blob(rng: random.Random, cx: float, cy: float, r: float, n: int = 9, rough: float = 0.35):
    """An irregular closed polygon around (cx, cy) with mean radius ``r``."""
    pts = []
    for i in range(n):
        a = 2 * math.pi * i / n + rng.uniform(-0.2, 0.2)
        rr = r * rng.uniform(1 - rough, 1 + rough)
        pts.append((cx + rr * math.cos(a), cy + 0.6 * rr * math.sin(a)))
    return pts


def ridge(rng: random.Random, w: int, base: float, amp: float, step: int = 20) -> list[tuple[float, float]]:
    """Points of a rolling horizon line across width ``w`` around height ``base``."""
    phase, freq = rng.uniform(0, 6.28), rng.uniform(0.008, 0.02)
    return [(x, base + amp * math.sin(freq * x + phase) + rng.uniform(-amp / 4, amp / 4))
            for x in range(0, w + step, step)]


def fill_below(draw: ImageDraw.ImageDraw, line, h: int, color: Color) -> None:
    """Fill the area below a horizon ``line`` down to the bottom edge ``h``."""
    draw.polygon([(line[0][0], h)] + list(line) + [(line[-1][0], h)], fill=color)


def sun(draw: ImageDraw.ImageDraw, x: float, y: float, r: float, color: Color) -> None:
    """A sun disc with a soft halo ring."""
    halo = tuple(min(255, c + 30) for c in color)
    draw.ellipse([x - r * 1.4, y - r * 1.4, x + r * 1.4, y + r * 1.4], fill=halo)
    draw.ellipse([x - r, y - r, x + r, y + r], fill=color)


def cloud(draw: ImageDraw.ImageDraw, rng: random.Random, x: float, y: float, s: float, color: Color) -> None:
    """A cloud made of overlapping ellipses, width about ``3 * s``."""
    for _ in range(5):
        dx, dy, r = rng.uniform(-s, s), rng.uniform(-s / 3, s / 4), rng.uniform(s * 0.5, s * 0.9)
        draw.ellipse([x + dx - r, y + dy - r * 0.7, x + dx + r, y + dy + r * 0.7], fill=color)


def conifer(draw: ImageDraw.ImageDraw, x: float, base: float, h: float, color: Color) -> None:
    """A layered fir tree standing on ``base``."""
    draw.rectangle([x - h * 0.04, base - h * 0.15, x + h * 0.04, base], fill=(70, 45, 30))
    for k in range(3):
        top = base - h + k * h * 0.22
        half = h * (0.18 + 0.08 * k)
        draw.polygon([(x, top), (x - half, top + h * 0.45), (x + half, top + h * 0.45)], fill=color)


def turbine(draw: ImageDraw.ImageDraw, x: float, base: float, h: float, angle: float, color: Color) -> None:
    """A three-bladed wind turbine: tower from ``base`` up ``h`` px, blades at ``angle``."""
    hub = (x, base - h)
    draw.polygon([(x - h * 0.03, base), (x + h * 0.03, base), (x + h * 0.012, hub[1]), (x - h * 0.012, hub[1])],
                 fill=color)
    blade = h * 0.55
    for k in range(3):
        a = math.radians(angle + 120 * k)
        tip = (hub[0] + blade * math.cos(a), hub[1] + blade * math.sin(a))
        side = (hub[0] + h * 0.05 * math.cos(a + 1.2), hub[1] + h * 0.05 * math.sin(a + 1.2))
        draw.polygon([hub, side, tip], fill=color)
    draw.ellipse([hub[0] - h * 0.03, hub[1] - h * 0.03, hub[0] + h * 0.03, hub[1] + h * 0.03], fill=color)


def solar_panel(draw: ImageDraw.ImageDraw, x: float, y: float, w: float, h: float, skew: float) -> None:
    """A tilted photovoltaic panel (parallelogram with a cell grid)."""
    pts = [(x + skew, y), (x + w + skew, y), (x + w, y + h), (x, y + h)]
    draw.polygon(pts, fill=(25, 45, 95), outline=(190, 200, 215))
    for k in range(1, 4):
        t = k / 4
        draw.line([(x + skew + w * t, y), (x + w * t, y + h)], fill=(110, 130, 170))
    draw.line([(x + skew / 2, y + h / 2), (x + w + skew / 2, y + h / 2)], fill=(110, 130, 170))


def person(draw: ImageDraw.ImageDraw, x: float, base: float, h: float, shirt: Color, skin: Color) -> None:
    """A simple standing figure (head and torso) whose feet are at ``base``."""
    r = h * 0.12
    draw.rounded_rectangle([x - h * 0.17, base - h * 0.72, x + h * 0.17, base], radius=int(h * 0.08), fill=shirt)
    draw.ellipse([x - r, base - h * 0.72 - 2 * r, x + r, base - h * 0.72], fill=skin)


def wrap(text: str, fnt: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy word wrap of ``text`` to lines no wider than ``width`` px."""
    lines, cur = [], ""
    for word in text.split():
        trial = f"{cur} {word}".strip()
        if cur and fnt.getlength(trial) > width:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    return lines + [cur] if cur else lines


def text_block(draw: ImageDraw.ImageDraw, box, text: str, color: Color, max_size: int = 30,
               stroke: Color | None = None) -> None:
    """Write ``text`` wrapped and centred in ``box`` (x0, y0, x1, y1), shrinking it to fit."""
    x0, y0, x1, y1 = box
    for size in range(max_size, 7, -2):
        fnt = font(size)
        lines = wrap(text, fnt, x1 - x0)
        line_h = size * 1.15
        if line_h * len(lines) <= y1 - y0 and all(fnt.getlength(s) <= x1 - x0 for s in lines):
            break
    top = y0 + (y1 - y0 - line_h * len(lines)) / 2
    sw = max(1, size // 12) if stroke else 0
    for k, line in enumerate(lines):
        lx = x0 + (x1 - x0 - fnt.getlength(line)) / 2
        draw.text((lx, top + k * line_h), line, font=fnt, fill=color, stroke_width=sw, stroke_fill=stroke)


def caption(img: Image.Image, text: str, where: str = "bottom") -> None:
    """Overlay a social-media style caption (white text with a dark outline)."""
    w, h = img.size
    draw = ImageDraw.Draw(img)
    band = (8, h - h * 0.2, w - 8, h - 6) if where == "bottom" else (8, 6, w - 8, h * 0.2)
    text_block(draw, band, text, (255, 255, 255), max_size=max(14, w // 16), stroke=(20, 20, 20))


def overlay(img: Image.Image, shapes, color: tuple[int, int, int, int], blur: float = 0.0) -> Image.Image:
    """Draw translucent ``shapes`` (list of ("ellipse"|"polygon", coords)) onto ``img``."""
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    for kind, coords in shapes:
        getattr(d, kind)(coords, fill=color)
    if blur:
        layer = layer.filter(ImageFilter.GaussianBlur(blur))
    return Image.alpha_composite(img.convert("RGBA"), layer).convert("RGB")
