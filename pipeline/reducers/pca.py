"""PCA: the reference study's 5/10/20 components and 80 % of the variance. One full SVD per
embedding, sliced for every setting (:func:`semclust.pipeline.reduce.pca_basis`)."""
from __future__ import annotations

from semclust.pipeline import reduce as reducing
from semclust.pipeline.registry import Param, Reducer, components


def step_id(p: dict) -> str:
    """``pca-c10`` for a count, ``pca-v0.8`` for a variance fraction."""
    c = p["n_components"]
    return f"pca-v{c:g}" if isinstance(c, float) else f"pca-c{c}"


def check_data(p: dict, n: int, dim: int) -> str | None:
    c = p["n_components"]
    if isinstance(c, int) and c > min(n, dim):
        return f"PCA n_components must be between 1 and {min(n, dim)}, got {c}"
    return None


def prepare(X, settings: list[dict], grid_settings: list[dict], seed: int, echo) -> list:
    basis = reducing.pca_basis(X, seed)
    out = []
    for p in settings:
        Y, info = reducing.pca_reduce(X, p["n_components"], seed, basis=basis)
        if isinstance(p["n_components"], float):
            echo(f"{step_id(p)} kept {info['n_components_kept']} components "
                 f"({info['explained_variance']:.1%} of the variance)")
        out.append((Y, info))
    return out


def reduce(payload, p: dict, seed: int):
    return payload  # projected in prepare(): slicing one basis is cheap


def label(p: dict) -> str:
    """``PCA 80% variance (31 components)`` or ``PCA 10-d`` (``n_components_kept`` from the run's note)."""
    n, kept = p.get("n_components"), p.get("n_components_kept")
    if isinstance(n, float) and 0 < n < 1:
        return f"PCA {round(100 * n)}% variance" + (f" ({int(kept)} components)" if kept else "")
    return f"PCA {int(n if n is not None else kept)}-d"


REDUCER = Reducer(
    name="pca",
    params=(Param("n_components", components(allow_fraction=True),
                  doc="a count, or a variance fraction in (0, 1) such as 0.8"),),
    step_id=step_id,
    doc="PCA (scikit-learn, full SVD); the reference study's linear baseline",
    title="PCA", label=label, check_data=check_data, prepare=prepare, reduce=reduce,
)
