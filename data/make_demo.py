"""Generate the bundled demo data set in ``data/demo/`` (deterministic).

Usage::

    python -m semclust.data.make_demo               # rewrites data/demo/
    python -m semclust.data.make_demo --out /tmp/x  # writes elsewhere (used by the tests)

Writes ``images/img_NNNN.{jpg,png}`` (8 climate-debate themes x 30 drawn
images, shuffled, neutral names), ``descriptions.jsonl`` (one SYNTHETIC
connotative paragraph per image, ``model`` = "synthetic-demo") and
``truth.csv`` (``path,theme``; for tests and simulations only, never for the
pipeline). Needs Pillow and numpy only. Same seed, same Pillow: same bytes.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sys
from functools import partial
from pathlib import Path

from PIL import ImageFilter

from semclust.resources import demo_dir

from . import demo_charts as ch
from . import demo_landscapes as ls
from . import demo_scenes as sc
from .demo_texts import describe

SEED = 20261122
PER_THEME = 30
MODEL = "synthetic-demo"
SIZES = [(320, 240), (360, 270), (400, 300), (448, 336), (480, 360), (360, 360), (400, 320)]
PAINTERS = {
    "renewable_energy": [sc.renewable_turbines, partial(sc.renewable_turbines, sunset=True), sc.renewable_solar,
                         sc.renewable_roof, sc.renewable_offshore],
    "protest": [sc.protest_crowd, sc.protest_single, sc.protest_arctic, sc.protest_flares],
    "ocean_plastic": [sc.ocean_floating, sc.ocean_beach, sc.ocean_underwater, sc.ocean_white_debris],
    "wildfire": [ls.wildfire_forest, ls.wildfire_night, ls.wildfire_town, ls.wildfire_aftermath],
    "arctic": [ls.arctic_floes, ls.arctic_bear, ls.arctic_iceberg, ls.arctic_aurora],
    "conference": [ch.conference_podium, ch.conference_slide, ch.conference_panel, ch.conference_plenary],
    "infographic": [partial(ch.infographic, kind=k) for k in ch.CHARTS],
    "nature": [ls.nature_mountains, ls.nature_snow, ls.nature_forest, ls.nature_sunset, ls.nature_meadow],
}
CAPTIONED = {"renewable_energy", "protest", "ocean_plastic", "wildfire", "arctic", "nature"}
FLAT = {"single_placard", "bar_temp", "line_co2", "line_sea", "stripes"}


def plan(seed: int = SEED) -> list[tuple[str, str, int]]:
    """The shuffled list of (file stem, theme, variant index), one per image."""
    jobs = [(theme, k % len(p)) for theme, p in PAINTERS.items() for k in range(PER_THEME)]
    random.Random(seed).shuffle(jobs)
    return [(f"img_{i + 1:04d}", theme, var) for i, (theme, var) in enumerate(jobs)]


def render(stem: str, theme: str, var: int, seed: int = SEED) -> tuple[str, bytes, str]:
    """Draw one image; return (file name, encoded bytes, description)."""
    rng = random.Random(f"{seed}:{stem}")
    img, feats = PAINTERS[theme][var](rng, rng.choice(SIZES))
    if theme in CAPTIONED and "caption" not in feats:
        sc._maybe_caption(rng, img, theme, feats)
    buf = io.BytesIO()
    if feats["variant"] in FLAT and rng.random() < 0.4:
        img.save(buf, "PNG", optimize=True)
        name = f"{stem}.png"
    else:
        img = img.filter(ImageFilter.GaussianBlur(0.6))
        img.save(buf, "JPEG", quality=rng.randint(60, 80))
        name = f"{stem}.jpg"
    return name, buf.getvalue(), describe(theme, feats, rng)


def write_demo(out: Path, seed: int = SEED) -> int:
    """Write images/, descriptions.jsonl and truth.csv under ``out``; return the image count."""
    images = out / "images"
    images.mkdir(parents=True, exist_ok=True)
    for old in list(images.glob("img_*.jpg")) + list(images.glob("img_*.png")):
        old.unlink()
    records, truth = [], []
    for stem, theme, var in plan(seed):
        name, data, text = render(stem, theme, var, seed)
        (images / name).write_bytes(data)
        records.append({"path": name, "text": text, "model": MODEL, "synthetic": True})
        truth.append((name, theme))
    with open(out / "descriptions.jsonl", "w", encoding="utf-8", newline="\n") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    with open(out / "truth.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["path", "theme"])
        writer.writerows(truth)
    return len(records)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=demo_dir(),
                        help="output folder (default: data/demo next to this script)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    args = parser.parse_args(argv)
    n = write_demo(args.out, args.seed)
    print(f"wrote {n} images, descriptions.jsonl and truth.csv to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
