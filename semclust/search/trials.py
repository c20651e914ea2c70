"""One trial of a search: reduce (cached), cluster, score; and the Optuna bookkeeping around it.

:class:`ReductionCache` computes each reduction of the space once per search,
through the reducers' own ``prepare``/``reduce`` (so every UMAP setting of the
space shares one kNN graph, built at the space's largest ``n_neighbors``) and
keeps it in memory and in ``searches/<id>/reductions/`` for a resumed run.
:class:`TrialEvaluator` turns a reduction and a clusterer setting into labels and
the trial's record. :func:`make_sampler` is the seeded TPE sampler of one trial.
"""
from __future__ import annotations

import json
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from semclust.pipeline.gridfile import Step
from semclust.search.objectives import (
    PROXIES,
    Objective,
    PairRatings,
    ProxySample,
    feasibility,
    noise_fraction,
    quality_objective,
    stream_seed,
)
from semclust.study import UserError, atomic_write_json, temp_file_beside
from semclust.vocabulary import NOISE

STARTUP_TRIALS = 10


class ReductionCache:
    """Reductions of one embedding, each computed once: memory, then disk, then compute.

    ``get(step)`` returns ``(Y, note, seconds)``; ``seconds`` is the time spent
    now (0 when it was in memory). On a miss, every not-yet-computed setting of
    the same method is prepared at once (one kNN graph, one SVD) and kept for later.
    """

    def __init__(self, X: np.ndarray, reductions: tuple, seed: int, folder: Path | None, echo):
        self.X, self.reductions, self.seed, self.folder, self.echo = X, reductions, seed, folder, echo
        self._done: dict[Step, tuple] = {}
        self._payload: dict[Step, object] = {}

    def get(self, step: Step) -> tuple[np.ndarray, dict, float]:
        if step in self._done:
            return (*self._done[step], 0.0)
        start = time.perf_counter()
        loaded = self._load(step)
        if loaded is None:
            if step not in self._payload:
                self._prepare(step.method)
            payload, note = self._payload.pop(step)
            Y = np.asarray(step.entry.reduce(payload, step.params, self.seed), dtype=np.float32)
            self._save(step, Y, note)
            loaded = (Y, note)
        self._done[step] = loaded
        return (*loaded, time.perf_counter() - start)

    def _prepare(self, method: str) -> None:
        pending = [s for s in self.reductions
                   if s.method == method and s not in self._done and s not in self._payload]
        every = [s.params for s in self.reductions if s.method == method]
        try:
            prepared = pending[0].entry.prepare(self.X, [s.params for s in pending], every,
                                                self.seed, self.echo)
        except ValueError as exc:  # e.g. a metric the library does not know
            raise UserError(f"reductions: {method}: {exc}") from None
        self._payload.update(zip(pending, prepared))

    def _paths(self, step: Step) -> tuple[Path, Path]:
        return self.folder / f"{step.id}.npy", self.folder / f"{step.id}.json"

    def _load(self, step: Step):
        if self.folder is None or not self._paths(step)[0].is_file():
            return None
        array, note = self._paths(step)
        return np.load(array), json.loads(note.read_text(encoding="utf-8"))

    def _save(self, step: Step, Y: np.ndarray, note: dict) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        array, note_path = self._paths(step)
        atomic_write_json(note_path, note)
        fd, tmp = temp_file_beside(array, ".npy")
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, Y)
        os.replace(tmp, array)  # the .npy last: its presence means the pair is complete


@dataclass
class TrialEvaluator:
    """Everything a trial needs: the data, the cache, the search half, the rules."""

    X: np.ndarray
    cache: ReductionCache
    objective: Objective
    search_pairs: PairRatings | None
    sample: ProxySample | None
    max_noise: float
    min_pairs: int
    seed: int
    n_jobs: int = 1

    def labels(self, reduction: Step, clusterer: Step) -> tuple[np.ndarray, dict]:
        """Labels of one setting and ``{"reduce": s, "cluster": s}`` spent on them now."""
        Y, _, reduce_s = self.cache.get(reduction)
        start = time.perf_counter()
        labels = np.asarray(clusterer.entry.fit(Y, clusterer.params, self.seed, self.n_jobs))
        return labels, {"reduce": reduce_s, "cluster": time.perf_counter() - start}

    def record(self, labels: np.ndarray) -> dict:
        """The trial's objective, pair counts, noise, clusters and feasibility."""
        noise = noise_fraction(labels)
        n_same = n_diff = None
        value = None
        if self.search_pairs is not None:
            q = quality_objective(labels, self.search_pairs, min_pairs=self.min_pairs)
            n_same, n_diff = q["n_same"], q["n_diff"]
            if self.objective.needs_ratings:
                value = q["score"]
        if not self.objective.needs_ratings:
            value = PROXIES[self.objective.kind](labels, self.sample)
        feasible, reason = feasibility(value, noise, n_same, n_diff, self.objective,
                                       self.max_noise, self.min_pairs)
        return {"objective": value, "n_same": n_same, "n_diff": n_diff, "noise": noise,
                "n_clusters": len(np.unique(labels[labels != NOISE])),
                "feasible": feasible, "reason": reason}

    def constraints(self, record: dict) -> dict:
        """Optuna constraint values (> 0: violated) that say how far a trial is from feasible."""
        out = {"noise": max(0.0, record["noise"] - self.max_noise),
               "defined": 0.0 if record["objective"] is not None else 1.0}
        if self.objective.needs_ratings:
            fewest = min(record["n_same"] or 0, record["n_diff"] or 0)
            out["pairs"] = max(0.0, (self.min_pairs - fewest) / self.min_pairs)
        return out


def trial_seed(seed: int, index: int) -> int:
    """The sampler seed of the ``index``-th finished trial (0-based) of a search seeded ``seed``."""
    return int(stream_seed(seed, f"search:trial:{index}").generate_state(1)[0])


def make_sampler(seed: int, index: int):
    """``TPESampler(seed=trial_seed(seed, index))``, multivariate with conditional groups.

    A fresh sampler per trial, seeded from the search seed and the number of
    trials already finished, makes each draw a function of the seed and the
    finished trials alone: a resumed search draws what an uninterrupted one would.
    Infeasible trials reach TPE as constraint values (see :func:`tell_constraints`).
    """
    import optuna

    kwargs = {}
    if not hasattr(optuna.trial.Trial, "set_constraint"):  # optuna 4: the constraints_func way
        kwargs["constraints_func"] = lambda t: list(t.user_attrs.get("constraints", {}).values())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(seed=trial_seed(seed, index), multivariate=True,
                                          group=True, constant_liar=False,
                                          n_startup_trials=STARTUP_TRIALS, **kwargs)


def tell_constraints(trial, constraints: dict) -> None:
    """Record constraint values on a running trial (optuna 5: set_constraint; 4: a user attr)."""
    trial.set_user_attr("constraints", constraints)
    if hasattr(trial, "set_constraint"):
        for key, value in constraints.items():
            trial.set_constraint(key, value)
