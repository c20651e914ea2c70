"""Synthetic ratings and matches from a ground-truth theme per image.

Lets the demo and the tests exercise agreement, quality, interpretability and
the report before any person has rated anything. The generative model is
deliberately simple and stated in full, so a reader can predict the figures:

Pair ratings. Each pair gets one latent score per dimension, shared by all coders:

* connotative: 2 if both images have the same theme; otherwise 1 with
  probability ``p_loose`` (default .2: "both about climate"), else 0;
* denotative: same theme -> 2 with probability .6, else 1; different themes ->
  1 with probability .1, else 0 (look-alikes across themes are rarer than
  shared meaning).

Each coder reports the latent score, except that with probability ``noise``
they report a score drawn uniformly from the scale instead.

The themes come from a CSV file (``theme`` and ``image_id`` or ``path`` columns;
``truth.csv`` beside the image root by default) or from a truth imported into the
study with ``semclust truth import`` (its ``label`` is the theme; unlabelled images
are left out).

Matching. A cluster's theme is the most common true theme of its images. For
a set, an evaluator picks uniformly among the clusters whose theme is the
set's majority theme (they cannot tell such clusters apart); with probability
``noise``, or when no cluster has that theme, they pick a cluster uniformly.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from semclust.study import (
    MATCH_COLUMNS,
    RATING_COLUMNS,
    Study,
    UserError,
    now_iso,
    read_csv,
)
from semclust.vocabulary import DIMENSION_NAMES, INDEPENDENT_ROUND, SCALE_POINTS, SIMULATED_PREFIX


def real_people(path: Path, column: str) -> list[str]:
    """Names in ``column`` of an export that are not simulated (sorted); [] if no file."""
    if not path.is_file():
        return []
    people = read_csv(path, [column], dtype=str)[column].dropna()
    return sorted({p for p in people if not p.startswith(SIMULATED_PREFIX)})


def read_truth(study: Study, truth_path: Path) -> pd.Series:
    """Theme per image_id from a CSV with ``theme`` and ``image_id`` or ``path`` columns."""
    truth = read_csv(truth_path, ["theme"], what="truth", dtype=str)
    if "image_id" in truth.columns:
        return truth.set_index("image_id")["theme"]
    if "path" not in truth.columns:
        raise UserError(f"truth {truth_path}: needs an image_id or a path column")
    images = study.read_images(status="ok")
    by_path = images.set_index("path")["image_id"]
    known = truth[truth["path"].isin(by_path.index)]
    return pd.Series(known["theme"].values, index=by_path.loc[known["path"]].values, name="theme")


def truth_themes(study: Study, name: str) -> pd.Series:
    """Theme per image_id from the study's imported truth ``truth/<name>.csv`` (labelled images only)."""
    from semclust.evaluation.truth import labelled_truth

    return labelled_truth(study, name).rename("theme")


def load_themes(study: Study, source: str | Path) -> pd.Series:
    """Theme per image_id from ``source``: an existing CSV file (:func:`read_truth`), else the
    name of an imported truth of the study (:func:`truth_themes`)."""
    path = Path(source)
    if path.is_file():
        return read_truth(study, path)
    if path.suffix.lower() == ".csv" or len(path.parts) > 1:
        raise UserError(f"--truth {source}: file not found (give a CSV file or the name of an "
                        f"imported truth; known: {', '.join(study.list_truths()) or 'none'})")
    return truth_themes(study, str(source))


def latent_scores(same_theme: np.ndarray, rng: np.random.Generator, p_loose: float = 0.2) -> dict:
    """Latent score per pair and dimension (see module docstring), arrays of shape (n_pairs,)."""
    u = rng.random((2, len(same_theme)))
    connotative = np.where(same_theme, 2, np.where(u[0] < p_loose, 1, 0))
    denotative = np.where(same_theme, np.where(u[1] < 0.6, 2, 1), np.where(u[1] < 0.1, 1, 0))
    return {"denotative": denotative, "connotative": connotative}


def simulate_ratings(pairs: pd.DataFrame, theme: pd.Series, n_coders: int = 2, noise: float = 0.15,
                     seed: int = 0, p_loose: float = 0.2) -> pd.DataFrame:
    """Ratings rows (``exports/ratings.csv`` columns) for every pair whose images have a theme.

    ``noise`` is each coder's probability of answering uniformly at random.
    """
    if not 0 <= noise <= 1:
        raise UserError(f"noise must lie in [0, 1], got {noise}")
    pairs = pairs[pairs["image_a"].isin(theme.index) & pairs["image_b"].isin(theme.index)]
    rng = np.random.default_rng(seed)
    same = theme.loc[pairs["image_a"]].to_numpy() == theme.loc[pairs["image_b"]].to_numpy()
    latent = latent_scores(same, rng, p_loose)
    created = now_iso()
    rows = []
    for c in range(1, n_coders + 1):
        for dim in DIMENSION_NAMES:
            flip = rng.random(len(pairs)) < noise
            scores = np.where(flip, rng.choice(SCALE_POINTS, len(pairs)), latent[dim])
            rows.append(pd.DataFrame({
                "item_id": pairs["pair_id"].to_numpy(), "coder": f"{SIMULATED_PREFIX}coder-{c}", "dimension": dim,
                "score": scores, "round": INDEPENDENT_ROUND, "phase": pairs["phase"].to_numpy(),
                "created_at": created}))
    return pd.concat(rows, ignore_index=True)[RATING_COLUMNS]


def cluster_themes(labels: pd.DataFrame, theme: pd.Series) -> pd.Series:
    """Most common true theme of each non-noise cluster (ties: alphabetical)."""
    known = labels[(labels["cluster"] >= 0) & labels["image_id"].isin(theme.index)]
    known = known.assign(theme=theme.loc[known["image_id"]].to_numpy())
    counts = known.groupby(["cluster", "theme"]).size().reset_index(name="n")
    counts = counts.sort_values(["cluster", "n", "theme"], ascending=[True, False, True])
    return counts.drop_duplicates("cluster").set_index("cluster")["theme"]


def simulate_matches(sets: pd.DataFrame, labels: pd.DataFrame, theme: pd.Series,
                     n_evaluators: int = 3, noise: float = 0.1, seed: int = 0) -> pd.DataFrame:
    """Match rows (``exports/matches.csv`` columns): one choice per set and evaluator."""
    rng = np.random.default_rng(seed + 1)
    themes = cluster_themes(labels, theme)
    clusters = np.array(sorted(themes.index))
    created = now_iso()
    rows = []
    for record in sets.to_dict("records"):
        ids = [i for i in str(record["image_ids"]).split(";") if i in theme.index]
        set_theme = pd.Series(theme.loc[ids]).mode().sort_values().iloc[0] if ids else None
        candidates = clusters[themes.loc[clusters].to_numpy() == set_theme]
        for e in range(1, n_evaluators + 1):
            pool = clusters if (len(candidates) == 0 or rng.random() < noise) else candidates
            rows.append({"set_id": record["set_id"], "evaluator": f"{SIMULATED_PREFIX}evaluator-{e}",
                         "chosen_cluster": int(rng.choice(pool)), "created_at": created})
    return pd.DataFrame(rows, columns=MATCH_COLUMNS)
