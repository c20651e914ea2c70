"""`semclust search`: an Optuna (TPE) search over reductions and clusterers, resumable, with a
held-out half of the rated pairs to measure the winner's curse (see docs/search.md).

The orchestrator holds no algorithm: :mod:`.space` reads the space,
:mod:`.objectives` scores a labelling, :mod:`.trials` runs one trial and seeds the
sampler, :mod:`.results` writes and reads the outputs. Everything lives in
``searches/<id>/``::

    search.yaml        the configuration (a resumed search must match it) and versions
    journal.log        Optuna's journal file storage: every trial, finished or not
    trials.csv         one row per finished trial: parameters, objective, n_same, n_diff,
                       noise, n_clusters, feasible, reason
    best.json          the selected trial, its held-out score with a bootstrap CI, the optimism
    reductions/        each reduction computed so far (<reduction id>.npy and .json)
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from semclust.evaluation.inputs import read_ratings, study_pairs
from semclust.evaluation.quality import MIN_PAIRS, rated_pairs
from semclust.pipeline.grid import Job
from semclust.search import results
from semclust.search.materialize import materialize, parse_materialize
from semclust.search.objectives import (
    default_holdout,
    pair_ratings,
    parse_objective,
    proxy_sample,
    quality_objective,
    split_holdout,
)
from semclust.search.space import load_space, suggest
from semclust.search.trials import ReductionCache, TrialEvaluator, make_sampler, tell_constraints
from semclust.study import (
    Study,
    UserError,
    atomic_write_csv,
    atomic_write_json,
    atomic_write_text,
    check_id,
    now_iso,
    toolkit_version,
)
from semclust.yamlfile import load_yaml

N_BOOTSTRAP = 1000
FINAL_WORD = ("a held-out score still comes from pairs drawn without regard to the chosen "
              "clustering; the final word is new pairs stratified on it: semclust sample pairs "
              "--study STUDY --n 250 --stratify {cid} --same-fraction 0.5, rated, then "
              "semclust quality --study STUDY --clustering {cid}")


@dataclass(frozen=True)
class SearchOptions:
    """What `semclust search` was asked (see :func:`run_search`)."""

    embedding: str
    objective: str
    n_trials: int
    seed: int | None = None
    space: str | Path | None = None
    max_noise: float = 0.5
    holdout: str | None = None
    materialize: str | None = None
    search_id: str | None = None
    min_pairs: int = MIN_PAIRS
    n_jobs: int | None = None


@dataclass
class SearchResult:
    """What a run did: the search id and folder, all finished trials, best.json, and the
    seconds per trial run now (``trial, reduce, cluster, score``)."""

    search_id: str
    folder: Path
    trials: pd.DataFrame
    best: dict
    new_trials: int
    seconds: pd.DataFrame
    materialized: list = field(default_factory=list)


@dataclass
class _Halves:
    """The rated pairs split for the search: ``search`` scores trials, ``holdout`` the winner."""

    spec: str | None
    dimension: str | None
    search: object = None
    holdout: dict = field(default_factory=dict)
    digest: str | None = None
    counts: dict = field(default_factory=dict)


def _check_options(options: SearchOptions) -> None:
    if options.n_trials < 1:
        raise UserError(f"--trials must be at least 1, got {options.n_trials}")
    if not 0 <= options.max_noise <= 1:
        raise UserError(f"--max-noise must lie in [0, 1], got {options.max_noise}")
    if options.seed is not None and options.seed < 0:
        raise UserError(f"--seed must be a non-negative integer, got {options.seed}")
    if options.search_id is not None:
        check_id("search", options.search_id)


def _halves(study: Study, objective, options: SearchOptions, image_ids, seed: int) -> _Halves:
    """Read and split the rated pairs (None halves when a proxy search has no ratings)."""
    have = study.ratings_csv.is_file() and study.pairs_csv.is_file()
    if not have:
        if objective.needs_ratings:
            raise UserError(f"--objective {objective.name} needs rated pairs: the study has no "
                            "exports/ratings.csv or samples/pairs.csv (run `semclust sample pairs`, "
                            "rate, `semclust export`)")
        if options.holdout:
            raise UserError("--holdout: the study has no rated pairs to hold out")
        return _Halves(None, None)
    rated = rated_pairs(read_ratings(study.ratings_csv), study_pairs(study))
    dimensions = rated.attrs["dimensions"]
    dimension = objective.dimension or dimensions[0]
    if dimension not in dimensions:
        raise UserError(f"--objective {objective.name}: the ratings have no {dimension!r} "
                        f"dimension (they have: {', '.join(dimensions)})")
    spec = options.holdout or default_holdout(rated)
    search_ids, held_ids = split_holdout(rated, spec, seed)
    search = rated[rated["pair_id"].isin(search_ids)]
    held = rated[rated["pair_id"].isin(held_ids)]
    columns = [c for c in ("pair_id", "dimension", "rating", "image_a", "image_b", "phase", "weight")
               if c in rated]
    digest = hashlib.sha256(rated[columns].to_csv(index=False).encode()).hexdigest()
    return _Halves(spec, dimension, pair_ratings(search, dimension, image_ids),
                   {d: pair_ratings(held, d, image_ids) for d in dimensions}, digest,
                   {"search_pairs": len(search_ids), "holdout_pairs": len(held_ids)})


def _config(study: Study, options: SearchOptions, space, halves: _Halves, seed: int, shape) -> dict:
    """What defines a search: a resumed one must match it exactly."""
    digest = hashlib.sha256(study.embedding_path(options.embedding).read_bytes()).hexdigest()
    return {"embedding": {"id": options.embedding, "sha256": digest, "n_images": int(shape[0]),
                          "dim": int(shape[1])},
            "objective": options.objective, "seed": seed, "max_noise": float(options.max_noise),
            "min_pairs": int(options.min_pairs), "holdout": halves.spec,
            "ratings": None if halves.digest is None else {"sha256": halves.digest, **halves.counts},
            "space": space.as_dict()}


def _default_id(config: dict) -> str:
    text = yaml.safe_dump(config, sort_keys=True)
    slug = config["objective"].replace(":", "-")
    return f"{config['embedding']['id']}--{slug}--{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def _open_folder(study: Study, search_id: str, config: dict, options: SearchOptions,
                 space) -> Path:
    """Create ``searches/<id>/`` or check that the existing one is the same search."""
    folder = results.search_dir(study, search_id)
    path = folder / "search.yaml"
    created = now_iso()
    if path.is_file():
        old = load_yaml(path, "search file") or {}
        if old.get("config") != config:
            differ = sorted(k for k in set(config) | set(old.get("config") or {})
                            if config.get(k) != (old.get("config") or {}).get(k))
            raise UserError(f"search {search_id!r} exists with other settings (differ: "
                            f"{', '.join(differ)}); choose another --id or delete {folder}")
        created = old.get("created_at", created)
    document = {"search_id": search_id, "created_at": created, "updated_at": now_iso(),
                "n_trials": int(options.n_trials), "space_file": str(space.source),
                "toolkit_version": toolkit_version(),
                "versions": {"optuna": metadata.version("optuna")}, "config": config}
    atomic_write_text(path, yaml.safe_dump(document, sort_keys=False))
    return folder


@contextlib.contextmanager
def _quiet_optuna():
    """Optuna's INFO lines (one per trial) off while the search runs, restored after."""
    import optuna

    previous = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(previous)


def _open_study(folder: Path):
    """The Optuna study in ``journal.log``; trials a killed run left running are marked failed."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend
    from optuna.trial import TrialState

    storage = JournalStorage(JournalFileBackend(str(folder / "journal.log")))
    study = optuna.create_study(study_name="search", storage=storage, direction="maximize",
                                load_if_exists=True)
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING)):
        study.tell(trial.number, state=TrialState.FAIL)
    return study


def _finished(study, space) -> dict:
    """Trial number -> ``(reduction, clusterer, record)`` of every finished trial of the journal
    (its parameters replayed through the space, so the steps are exactly those evaluated)."""
    from optuna.trial import FixedTrial, TrialState

    out = {}
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        out[t.number] = (*suggest(FixedTrial(t.params, t.number), space), t.user_attrs["record"])
    return out


def _rows(finished: dict) -> list[dict]:
    return [results.trial_row(n, r, c, record) for n, (r, c, record) in finished.items()]


def _one_trial(study, space, evaluator: TrialEvaluator, embedding: str, memo: dict) -> dict:
    """Ask, evaluate and tell one trial; returns its seconds. A failure marks the trial failed."""
    from optuna.trial import TrialState

    trial = study.ask()
    try:
        reduction, clusterer = suggest(trial, space)
        cid = Job(embedding, reduction, clusterer, False).clustering_id
        seconds = {"reduce": 0.0, "cluster": 0.0, "score": 0.0}
        if cid not in memo:  # a repeated setting gives the same labels: score it once
            labels, seconds = evaluator.labels(reduction, clusterer)
            start = time.perf_counter()
            memo[cid] = {**evaluator.record(labels), "clustering_id": cid}
            seconds["score"] = time.perf_counter() - start
        record = memo[cid]
    except BaseException:
        study.tell(trial, state=TrialState.FAIL)
        raise
    trial.set_user_attr("record", record)
    trial.set_user_attr("seconds", seconds)
    tell_constraints(trial, evaluator.constraints(record))
    value = record["objective"]
    study.tell(trial, evaluator.objective.floor if value is None else value)
    return {"trial": trial.number, **seconds}


def _optimize(folder: Path, space, evaluator: TrialEvaluator, options: SearchOptions, seed: int,
              progress: bool) -> tuple[dict, list[dict]]:
    """Run trials until ``n_trials`` have finished; trials.csv is rewritten after each.

    Returns :func:`_finished` of the journal and the seconds of the trials run now.
    """
    from optuna.trial import TrialState
    from tqdm import tqdm

    with _quiet_optuna():
        study = _open_study(folder)
        done = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
        timings, memo = [], {}
        bar = tqdm(total=options.n_trials, initial=min(done, options.n_trials), unit="trial",
                   desc=f"search {options.objective}", file=sys.stderr, disable=not progress)
        with bar:
            while done < options.n_trials:
                study.sampler = make_sampler(seed, done)
                timings.append(_one_trial(study, space, evaluator, options.embedding, memo))
                done += 1
                bar.update(1)
                _write_trials(folder, _rows(_finished(study, space)), space)
        return _finished(study, space), timings


def _write_trials(folder: Path, rows: list[dict], space) -> pd.DataFrame:
    frame = results.trials_frame(rows, space)
    atomic_write_csv(folder / "trials.csv", frame)
    return frame


def _best(trials: pd.DataFrame, steps: dict, evaluator: TrialEvaluator, halves: _Halves,
          options: SearchOptions, seed: int, search_id: str) -> tuple[dict, dict]:
    """best.json, and the held-out scores of the selected trials by clustering id."""
    chosen = results.select(trials, parse_materialize(options.materialize) or 1)
    holdouts = {}
    for row in chosen.itertuples(index=False):
        if halves.holdout:
            labels = evaluator.labels(*steps[row.trial][:2])[0]
            scores = {d: quality_objective(labels, p, N_BOOTSTRAP, N_BOOTSTRAP, seed,
                                           options.min_pairs) for d, p in halves.holdout.items()}
            holdouts[row.clustering_id] = results.holdout_entry(scores, halves.dimension)
    best = {"search_id": search_id, "objective": options.objective,
            "n_trials": len(trials), "n_feasible": int(trials["feasible"].astype(bool).sum()),
            "selected_on": _selected_on(halves, evaluator), "best": None, "holdout": None, "optimism": None}
    if chosen.empty:
        best["note"] = "no feasible trial: nothing selected (see trials.csv, column reason)"
        return best, holdouts
    top = {k: results.to_json(v) for k, v in chosen.iloc[0].to_dict().items()}
    best["best"] = top
    cid = top["clustering_id"]
    if holdouts:
        best["holdout"] = {"pairs": halves.spec, "n_pairs": halves.counts["holdout_pairs"],
                           "scores": holdouts[cid]}
        if evaluator.objective.needs_ratings:
            best["optimism"] = results.optimism(top["objective"], holdouts[cid], halves.dimension)
        else:
            best["optimism_note"] = "a proxy objective has no search-half quality to compare"
    else:
        best["holdout_note"] = "no rated pairs: nothing was held out"
    best["validation"] = FINAL_WORD.format(cid=cid)
    return best, holdouts


def _selected_on(halves: _Halves, evaluator: TrialEvaluator) -> str:
    if not evaluator.objective.needs_ratings:
        return (f"{evaluator.objective.name} in the original embedding space "
                f"({len(evaluator.sample.index)}-point subsample); no rated pair was used")
    return (f"the search half: rated pairs except the held-out ones ({halves.spec}), "
            f"{halves.counts['search_pairs']} pairs")


def run_search(study: Study, options: SearchOptions, echo=None, progress: bool = True) -> SearchResult:
    """Search ``options.space`` for the clustering of one embedding that maximises the objective.

    Runs trials until ``options.n_trials`` have finished (counting those of an
    earlier run of the same search), selects the best feasible trial on the
    search half, scores it on the held-out half (bootstrap CI, optimism) and
    writes ``searches/<id>/`` (see the module docstring); with
    ``options.materialize`` also ``clusterings/<id>/`` folders.

    Raises UserError for bad options, a bad space file, a missing embedding or
    ratings, or an existing search of the same id with other settings.
    """
    echo = echo or (lambda msg: print(msg, file=sys.stderr))
    _check_options(options)
    objective = parse_objective(options.objective)
    parse_materialize(options.materialize)
    space = load_space(options.space)
    X, ids, _ = study.read_embeddings(options.embedding)
    space.check_data(*X.shape)
    seed = study.seed if options.seed is None else int(options.seed)
    halves = _halves(study, objective, options, ids, seed)
    config = _config(study, options, space, halves, seed, X.shape)
    search_id = options.search_id or _default_id(config)
    folder = _open_folder(study, search_id, config, options, space)
    sample = None if objective.needs_ratings else proxy_sample(X, space.subsample, seed, space.metric)
    n_jobs = options.n_jobs or os.cpu_count() or 1
    cache = ReductionCache(X, space.reductions, seed, folder / "reductions", echo)
    evaluator = TrialEvaluator(X, cache, objective, halves.search, sample, options.max_noise,
                               options.min_pairs, seed, n_jobs)
    finished, timings = _optimize(folder, space, evaluator, options, seed, progress)
    trials = _write_trials(folder, _rows(finished), space)
    best, holdouts = _best(trials, finished, evaluator, halves, options, seed, search_id)
    atomic_write_json(folder / "best.json", best)
    written = []
    if options.materialize:
        chosen = results.select(trials, parse_materialize(options.materialize))
        written = materialize(study, chosen, finished, evaluator, ids, space, options.embedding,
                              seed, search_id, holdouts, echo)
    return SearchResult(search_id, folder, trials, best, len(timings),
                        pd.DataFrame(timings, columns=["trial", "reduce", "cluster", "score"]),
                        written)
