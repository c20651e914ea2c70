"""The report's section on hyperparameter searches: the history plot and the held-out score.

A search (``semclust search``) selects on one half of the rated pairs; the
winner's curse makes that score optimistic, so the report shows the selected
clustering's score on the held-out half with its bootstrap CI and the optimism
(search score − held-out score). Reads only ``searches/<id>/`` through
:class:`Study`.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from semclust.evaluation import figures
from semclust.evaluation.report_tables import fmt_ci, fmt_number, write_table
from semclust.study import Study


def search_rows(best: dict) -> pd.DataFrame:
    """One row per dimension of the held-out scores of the selected clustering."""
    holdout = best.get("holdout") or {}
    rows = [{"dimension": dim, "held-out s_same - s_diff": fmt_number(s.get("score")),
             "95% CI": fmt_ci(s.get("ci95")), "same / diff pairs": f"{s.get('n_same')} / {s.get('n_diff')}"}
            for dim, s in (holdout.get("scores") or {}).items()]
    return pd.DataFrame(rows, columns=["dimension", "held-out s_same - s_diff", "95% CI", "same / diff pairs"])


def search_sections(study: Study, out_dir: Path, dpi: int | None) -> list[dict]:
    """Per search: a history figure, the selected trial, the held-out table and the optimism."""
    sections = []
    for search_id in study.list_searches():
        trials, best = study.read_search(search_id)
        trials["best_so_far"] = trials["objective"].where(trials["feasible"]).cummax()
        chosen = (best.get("best") or {}).get("trial")
        trials["selected"] = trials["trial"] == chosen if chosen is not None else False
        name = f"search-{search_id}.png"
        figures.search_history(trials, out_dir / name, best.get("objective", "objective"), dpi=dpi)
        top = best.get("best") or {}
        sections.append({
            "id": search_id, "figure": name, "objective": best.get("objective"),
            "n_trials": best.get("n_trials", len(trials)), "n_feasible": best.get("n_feasible"),
            "selected": top.get("clustering_id"), "search_score": fmt_number(top.get("objective")),
            "selected_on": best.get("selected_on"), "optimism": fmt_number(best.get("optimism")),
            "holdout": write_table(search_rows(best), out_dir / "tables", f"search-{search_id}",
                                   f"Held-out quality of the clustering search {search_id} selected")
            if best.get("holdout") else None,
            "notes": [best[k] for k in ("note", "holdout_note", "optimism_note", "validation") if best.get(k)]})
    return sections
