"""Figures of the study report: each function takes plain data and writes one figure.

Each figure is written three times beside each other: ``<name>.png`` (at
``dpi``, default :data:`DPI`), ``<name>.svg`` and ``<name>.pdf`` (vector, for a
paper). matplotlib runs with the non-interactive Agg backend, chosen per figure
(no global state is changed on import). Every function returns the PNG path.
Cluster axes take ``labels`` (cluster id -> name or keywords) when given.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from semclust.vocabulary import DIMENSION_NAMES

DIMENSION_COLOURS = {"denotative": "#4C72B0", "connotative": "#DD8452"}
DPI = 200
FORMATS = (".png", ".svg", ".pdf")


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _save(fig, path: Path, dpi: int | None) -> Path:
    """Write ``fig`` as PNG (at ``dpi``), SVG and PDF next to ``path``; returns the PNG path."""
    path = Path(path).with_suffix(".png")
    for suffix in FORMATS:
        fig.savefig(path.with_suffix(suffix), dpi=dpi or DPI,
                    metadata={"Date": None} if suffix == ".svg" else None)
    return path


def family_boxplots(grid: pd.DataFrame, path: Path, dpi: int | None = None) -> Path:
    """Box plots of the quality score s_s - s_d per method family, one panel per dimension.

    Parameters
    ----------
    grid : DataFrame
        One row per clustering and dimension with ``dimension``, ``family`` (see
        :func:`semclust.evaluation.families.method_family`) and ``score``; only
        valid results should be passed. A family with one clustering shows as a line.
    path : Path
        Output PNG; a dashed line marks 0, the value of a random clustering.
    """
    families = sorted(grid["family"].dropna().unique()) or ["-"]
    fig = _figure(10, 1.2 + 0.45 * len(families))
    axes = fig.subplots(1, 2, sharey=True)
    for ax, dim in zip(axes, DIMENSION_NAMES):
        sub = grid[grid["dimension"] == dim]
        data = [sub[sub["family"] == f]["score"].dropna().to_numpy() for f in families]
        keep = [i for i, d in enumerate(data) if len(d)]
        if keep:
            ax.boxplot([data[i] for i in keep], positions=keep, orientation="horizontal", widths=0.6,
                       manage_ticks=False)
        ax.axvline(0, color="grey", ls="--", lw=1)
        ax.set_yticks(range(len(families)), families)
        ax.set_xlabel("s_same - s_diff")
        ax.set_title(f"{dim} quality by method")
    return _save(fig, path, dpi)


def quality_boxplots(grid: pd.DataFrame, path: Path, dpi: int | None = None) -> Path:
    """Box plots of the quality score s_s - s_d by embedding and min cluster size.

    Parameters
    ----------
    grid : DataFrame
        One row per clustering and dimension with columns ``dimension``,
        ``embedding_kind`` (e.g. "VLM text", "image"), ``min_cluster_size``
        and ``score``; only valid results should be passed.
    path : Path
        Output PNG. Two panels side by side, denotative and connotative (the
        reference study's main figure); a dashed line marks 0, the value of a
        random clustering.
    """
    fig = _figure(10, 4)
    axes = fig.subplots(1, 2, sharey=True)
    kinds = sorted(grid["embedding_kind"].dropna().unique()) or ["-"]
    sizes = sorted(grid["min_cluster_size"].dropna().unique())
    palette = ["#55A868", "#8172B2", "#C44E52", "#937860"]
    for ax, dim in zip(axes, DIMENSION_NAMES):
        sub = grid[grid["dimension"] == dim]
        width = 0.8 / max(len(kinds), 1)
        for k, kind in enumerate(kinds):
            data = [sub[(sub["embedding_kind"] == kind) & (sub["min_cluster_size"] == s)]["score"]
                    .dropna().to_numpy() for s in sizes]
            positions = np.arange(len(sizes)) + (k - (len(kinds) - 1) / 2) * width
            keep = [i for i, d in enumerate(data) if len(d)]
            if keep:
                parts = ax.boxplot([data[i] for i in keep], positions=positions[keep],
                                   widths=width * 0.9, patch_artist=True, manage_ticks=False)
                for box in parts["boxes"]:
                    box.set_facecolor(palette[k % len(palette)])
            ax.plot([], [], color=palette[k % len(palette)], lw=8, label=kind)
        ax.axhline(0, color="grey", ls="--", lw=1)
        ax.set_xticks(range(len(sizes)), [str(int(s)) for s in sizes])
        ax.set_xlabel("HDBSCAN min cluster size")
        ax.set_title(f"{dim} quality")
    axes[0].set_ylabel("s_same - s_diff")
    axes[1].legend(title="embedding", loc="best")
    return _save(fig, path, dpi)


def _label(labels: dict | None, cluster) -> str:
    text = (labels or {}).get(str(cluster), str(cluster))
    return text if len(text) <= 40 else text[:39] + "\u2026"


def precision_recall_bars(per_cluster: dict, path: Path, labels: dict | None = None,
                          dpi: int | None = None) -> Path:
    """Horizontal grouped bars of precision and recall per cluster of the matching test.

    ``labels`` maps a cluster id (str) to its axis label (name, or id and keywords).
    """
    clusters = sorted(per_cluster, key=lambda c: int(c))
    precision = [per_cluster[c]["precision"] or 0 for c in clusters]
    recall = [per_cluster[c]["recall"] or 0 for c in clusters]
    fig = _figure(8, 1.2 + 0.45 * len(clusters))
    ax = fig.subplots()
    y = np.arange(len(clusters))
    ax.barh(y - 0.2, precision, 0.4, label="precision", color="#4C72B0")
    ax.barh(y + 0.2, recall, 0.4, label="recall", color="#DD8452")
    ax.set_yticks(y, [_label(labels, c) for c in clusters])
    ax.invert_yaxis()
    ax.set_ylabel("cluster")
    ax.set_xlim(0, 1.05)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return _save(fig, path, dpi)


def confusion_heatmap(confusion: dict, path: Path, labels: dict | None = None,
                      dpi: int | None = None) -> Path:
    """Heat map of the matching confusion matrix (rows: true cluster, columns: label)."""
    clusters = [str(c) for c in confusion["clusters"]]
    names = [_label(labels, c) for c in clusters]
    counts = np.asarray(confusion["counts"], dtype=float)
    side = max(4, 0.35 * len(clusters) + 2)
    longest = max((len(n) for n in names), default=1)
    fig = _figure(side + 1 + 0.06 * longest, side + 0.06 * longest)
    ax = fig.subplots()
    image = ax.imshow(counts, cmap="Blues")
    ax.set_xticks(range(len(clusters)), names, rotation=90)
    ax.set_yticks(range(len(clusters)), names)
    ax.set_xlabel("label chosen by evaluators")
    ax.set_ylabel("cluster the set was drawn from")
    if len(clusters) <= 20:
        for (i, j), value in np.ndenumerate(counts):
            if value:
                ax.text(j, i, int(value), ha="center", va="center",
                        color="white" if value > counts.max() / 2 else "black", fontsize=8)
    fig.colorbar(image, ax=ax, shrink=0.8, label="sets")
    return _save(fig, path, dpi)


def agreement_bars(rows: Sequence[dict], path: Path, dpi: int | None = None) -> Path:
    """Krippendorff's alpha with its 95% bootstrap interval per phase and dimension.

    ``rows``: dicts with ``phase``, ``dimension``, ``alpha`` and ``ci`` ([low, high] or None).
    """
    phases = list(dict.fromkeys(r["phase"] for r in rows))
    fig = _figure(max(5, 1.4 * len(phases) + 2), 3.2)
    ax = fig.subplots()
    labelled = set()
    for d, dim in enumerate(DIMENSION_NAMES):
        for p, phase in enumerate(phases):
            row = next((r for r in rows if r["phase"] == phase and r["dimension"] == dim), None)
            if row is None or row["alpha"] is None:
                continue
            x = p + (d - 0.5) * 0.35
            ax.bar(x, row["alpha"], 0.35, color=DIMENSION_COLOURS[dim],
                   label=None if dim in labelled else dim)
            labelled.add(dim)
            if row["ci"]:
                ax.errorbar(x, row["alpha"], yerr=[[row["alpha"] - row["ci"][0]],
                                                   [row["ci"][1] - row["alpha"]]],
                            color="black", capsize=3)
    ax.set_xticks(range(len(phases)), phases)
    ax.set_xlabel("phase")
    ax.set_ylabel("Krippendorff's alpha")
    ax.axhline(0.667, color="grey", ls=":", lw=1)
    ax.set_ylim(min(0, ax.get_ylim()[0]), 1)
    if labelled:  # no alpha at all: nothing to name
        ax.legend(loc="lower right")
    return _save(fig, path, dpi)


def search_history(trials: pd.DataFrame, path: Path, objective: str, dpi: int | None = None) -> Path:
    """Optimisation history of a search: each trial's objective, the running best, the selection.

    ``trials`` has ``trial``, ``objective``, ``feasible`` (bool), ``best_so_far`` and
    ``selected`` (see ``semclust.search.results.search_history``). Feasible trials are
    filled dots, infeasible ones grey crosses (never selected); the line is the best
    feasible objective so far; a star marks the selected trial.
    """
    fig = _figure(8, 3.2)
    ax = fig.subplots()
    feasible = trials[trials["feasible"]]
    infeasible = trials[~trials["feasible"] & trials["objective"].notna()]
    ax.scatter(feasible["trial"], feasible["objective"], s=14, color="#4C72B0", label="feasible trial")
    ax.scatter(infeasible["trial"], infeasible["objective"], s=14, marker="x", color="#999999",
               label="infeasible (not selectable)")
    ax.step(trials["trial"], trials["best_so_far"], where="post", color="#DD8452", label="best so far")
    chosen = trials[trials["selected"]]
    ax.scatter(chosen["trial"], chosen["objective"], s=120, marker="*", color="#C44E52", label="selected")
    ax.set_xlabel("trial")
    ax.set_ylabel(objective)
    ax.legend(loc="best", fontsize=8)
    return _save(fig, path, dpi)
