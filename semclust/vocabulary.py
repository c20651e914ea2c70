"""The words every stage shares, defined once: scale, dimensions, rounds, noise, keywords.

The pipeline writes clusterings with a noise label, the annotation app asks
coders the questions below, and the evaluation reads the answers back; each
takes its vocabulary from here (templates get it through the render context).
Statistics functions take ``scale`` and ``dimensions`` as parameters whose
defaults come from here, so ratings collected elsewhere (another scale, other
dimensions) can be analysed as well.

Coders rate each image pair twice on the same three-point scale: once for
*denotative* similarity (the same or similar visual elements) and once for
*connotative* similarity (the same social meaning). The wording follows the
reference study: "(1) unrelated, (2) loosely related, (3) closely related",
stored as 0, 1, 2. Our annotation app and the Label Studio configs both read
the text from here, so every coder sees the same question wherever they work.

A coder who cannot judge a pair (image does not load, unreadable content)
answers "cannot judge"; that answer is stored as an empty score.
"""
from __future__ import annotations

#: The three points of the scale: stored score -> short label and definition.
SCALE: dict[int, dict[str, str]] = {
    0: {"label": "unrelated",
        "definition": "The two images share nothing on this dimension."},
    1: {"label": "loosely related",
        "definition": "The two images share something on this dimension, but only partly or vaguely."},
    2: {"label": "closely related",
        "definition": "The two images are the same or nearly the same on this dimension."},
}

#: The two dimensions every pair is rated on, in the order they are asked.
DIMENSIONS: dict[str, dict[str, str]] = {
    "denotative": {
        "label": "Denotative similarity",
        "question": "How similar is what the two images literally show?",
        "definition": ("Denotative similarity is the extent to which the two images represent the "
                       "same or similar visual elements: objects, people, places, text, shapes and "
                       "colours, as they can be identified in the image itself."),
    },
    "connotative": {
        "label": "Connotative similarity",
        "question": "How similar is what the two images mean?",
        "definition": ("Connotative similarity is the extent to which the two images refer to the "
                       "same social meaning: the conceptual, ideological or cultural message people "
                       "connect with them, whatever they literally show."),
    },
}

#: The answer for a pair the coder cannot rate; stored as an empty score.
CANNOT_JUDGE = {"label": "cannot judge",
                "definition": "The images do not load or cannot be understood well enough to rate."}

#: The stored scores of the scale, in order: ``(0, 1, 2)``.
SCALE_POINTS: tuple[int, ...] = tuple(SCALE)

#: The names of the dimensions, in the order they are asked: ``("denotative", "connotative")``.
DIMENSION_NAMES: tuple[str, ...] = tuple(DIMENSIONS)

#: The value of the ``round`` column for ratings made independently (before consensus).
INDEPENDENT_ROUND = "independent"
#: The value of the ``round`` column for the score agreed in a consensus session.
CONSENSUS_ROUND = "consensus"
#: Every valid value of the ``round`` column.
ROUNDS: tuple[str, ...] = (INDEPENDENT_ROUND, CONSENSUS_ROUND)

#: The cluster label of images a clustering leaves unassigned (HDBSCAN's convention).
NOISE = -1

#: How many TF-IDF keywords describe a cluster (the reference study's tables show 7).
DEFAULT_N_KEYWORDS = 7


def scale_text(score: int) -> str:
    """The label shown for ``score``, e.g. ``scale_text(1) == "1 - loosely related"``.

    >>> scale_text(2)
    '2 - closely related'
    """
    if score not in SCALE:
        raise ValueError(f"score {score!r} is not on the scale {sorted(SCALE)}")
    return f"{score} - {SCALE[score]['label']}"

#: Names of simulated raters (``semclust simulate``) start with this; no person may be named so.
SIMULATED_PREFIX = "sim-"
