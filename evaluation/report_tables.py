"""The report's tables: numbers formatted once, for the page, CSV and LaTeX alike.

Every table is a :class:`pandas.DataFrame` of display strings (what a paper
prints), built by a pure function from the statistics modules' results, and
written by :func:`write_table` as ``reports/tables/<name>.csv`` and ``.tex``.
One format per kind of number, used everywhere:

* scores, alpha, kappa, accuracy: 2 decimals (``0.41``); intervals ``[0.30, 0.52]``;
* shares (noise, coverage, agreement): one decimal percent (``1.2%``);
* permutation p-values: 3 decimals without the leading zero (``.012``); at the
  floor of the test, ``p = 1 / (1 + n_permutations)`` (see
  :func:`semclust.evaluation.quality.permutation_p`), or below .001, the bound
  ``< .001`` (``< .01`` or ``< .05`` for a test with fewer permutations).
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from semclust.spreadsheet import write_export_csv

P_BOUNDS = (0.001, 0.01, 0.05)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_number(value, digits: int = 2) -> str:
    """``0.41`` for 0.4158...; "" for None or NaN."""
    return "" if _missing(value) else f"{float(value):.{digits}f}"


def fmt_ci(ci, digits: int = 2) -> str:
    """``[0.30, 0.52]`` from a (low, high) pair; "" when absent."""
    if not ci or any(_missing(v) for v in ci):
        return ""
    return f"[{float(ci[0]):.{digits}f}, {float(ci[1]):.{digits}f}]"


def fmt_percent(share) -> str:
    """A share in [0, 1] as a one-decimal percent: ``0.0125`` -> ``1.2%``.

    >>> fmt_percent(0.0125), fmt_percent(1), fmt_percent(None)
    ('1.2%', '100.0%', '')
    """
    return "" if _missing(share) else f"{100 * float(share):.1f}%"


def fmt_p(p, n_permutations: int | None = None) -> str:
    """A permutation p-value as a paper prints it.

    At the floor of the test (``p <= 1 / (1 + n_permutations)``: no permuted
    score reached the observed one) the value is a bound, the smallest of .001,
    .01, .05 above the floor; otherwise 3 decimals, no leading zero.

    >>> fmt_p(1 / 1001, 1000), fmt_p(0.0123, 1000), fmt_p(0.5), fmt_p(1 / 51, 50)
    ('< .001', '.012', '.500', '< .05')
    """
    if _missing(p):
        return ""
    p = float(p)
    floor = 1 / (1 + n_permutations) if n_permutations else 0.0
    if p <= floor * (1 + 1e-9):
        bound = next((b for b in P_BOUNDS if floor < b), None)
        if bound is not None:
            return "< " + f"{bound:.3f}".lstrip("0").rstrip("0")
    if p < 0.001:
        return "< .001"
    return f"{p:.3f}".lstrip("0") if p < 1 else "1.000"


def reduction_label(reduction) -> str:
    """A reduction as a reader names it, as params.json records it (``label``: ``UMAP 5-d, 15 nn``,
    ``PCA 80% variance (31 components)``; the reduction registry makes it); else its method name.

    >>> reduction_label({"method": "umap", "n_components": 5, "label": "UMAP 5-d, 15 nn"})
    'UMAP 5-d, 15 nn'
    >>> reduction_label({"method": "umap", "n_components": 5}), reduction_label(None)
    ('umap', 'none')
    """
    if not reduction:
        return "none"
    if not isinstance(reduction, dict):
        return str(reduction)
    return str(reduction.get("label") or reduction.get("title") or reduction.get("method") or "none")


def _int(value) -> str:
    try:
        return str(int(value))
    except (TypeError, ValueError):
        return "?"


def agreement_table(rows: list[dict]) -> pd.DataFrame:
    """Agreement per phase and dimension (rows of :func:`report.agreement_rows`)."""
    return pd.DataFrame([{
        "phase": r["phase"], "dimension": r["dimension"], "items": r["n_items"],
        "coders": r["n_coders"], "Krippendorff's alpha (ordinal)": fmt_number(r["alpha"]) or "n/a",
        "95% CI": fmt_ci(r["ci"]), "agreement": fmt_percent(r["percent_agreement"]),
        "Cohen's kappa (mean)": fmt_number(r["kappa"]),
        "quadratic kappa": fmt_number(r["kappa_quadratic"])} for r in rows])


def grid_display(table: list[dict], n_permutations: int | None) -> pd.DataFrame:
    """The grid table (rows of :func:`report.grid_table`, best first) as printed."""
    return pd.DataFrame([{
        "rank": k + 1, "clustering": r["clustering"], "method family": r["family"],
        "reduction": r["reduction"],
        "min size": "" if _missing(r.get("min_cluster_size")) else _int(r["min_cluster_size"]),
        "clusters": r["n_clusters"], "noise": fmt_percent(r["noise_fraction"]),
        "connotative": fmt_number(r.get("connotative")), "95% CI": fmt_ci(r.get("ci")),
        "p": fmt_p(r.get("p_value"), n_permutations), "denotative": fmt_number(r.get("denotative")),
        "same / diff pairs": f"{_int(r['n_same'])} / {_int(r['n_diff'])}",
        "valid": "yes" if r["valid"] else "no"} for k, r in enumerate(table)])


def truth_display(rows: list[dict]) -> pd.DataFrame:
    """One truth's table (rows of :func:`report.truth_tables`)."""
    return pd.DataFrame([{
        "clustering": r["clustering"], "method family": r["family"],
        "coverage": fmt_percent(r["coverage"]), "K (true)": f"{r['k_pred']} ({r['k_true']})",
        "accuracy": fmt_number(r["accuracy"]) or "–",
        "accuracy, clustered": fmt_number(r["accuracy_clustered"]) or "–",
        "purity": fmt_number(r["purity"]) or "–", "ARI": fmt_number(r["ari"]) or "–",
        "ARI, clustered": fmt_number(r["ari_clustered"]) or "–"} for r in rows])


def clusters_display(clusters: list[dict]) -> pd.DataFrame:
    """What the clusters are: id, name (if any), size, share and keywords."""
    total = sum(c["size"] for c in clusters) or 1
    has_names = any(c.get("name") for c in clusters)
    return pd.DataFrame([{
        "cluster": "noise" if c["cluster"] < 0 else c["cluster"],
        **({"name": c.get("name") or ""} if has_names else {}),
        "images": c["size"], "share": fmt_percent(c["size"] / total),
        "keywords": ", ".join(c["keywords"][:8])} for c in clusters])


def matching_display(per_cluster: dict, names: dict[str, str]) -> pd.DataFrame:
    """Precision and recall of the matching test per cluster, labelled."""
    return pd.DataFrame([{
        "cluster": names.get(str(c), str(c)), "sets": v.get("n_sets", ""),
        "precision": fmt_number(v.get("precision")), "recall": fmt_number(v.get("recall"))}
        for c, v in sorted(per_cluster.items(), key=lambda kv: int(kv[0]))])


def _tex_escape(text: str) -> str:
    for char in "&%$#_{}":
        text = text.replace(char, "\\" + char)
    return text


def write_table(frame: pd.DataFrame, folder: Path, name: str, caption: str) -> dict:
    """Write ``folder/<name>.csv`` and ``.tex`` (booktabs via ``DataFrame.to_latex``).

    Returns ``{"name", "caption", "columns", "rows", "csv", "tex"}`` for the page.
    """
    folder.mkdir(parents=True, exist_ok=True)
    write_export_csv(folder / f"{name}.csv", frame)
    latex = frame.astype(str).to_latex(index=False, caption=_tex_escape(caption),
                                       label=f"tab:{name}", escape=True)
    latex = latex.replace("< .", "$<$ .")  # "<" in text mode is a "¡" in LaTeX's default encoding
    (folder / f"{name}.tex").write_text(latex, encoding="utf-8")
    return {"name": name, "caption": caption, "columns": list(frame.columns),
            "rows": frame.astype(str).values.tolist(),
            "csv": f"{folder.name}/{name}.csv", "tex": f"{folder.name}/{name}.tex"}
