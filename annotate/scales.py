"""The rating scale and the two similarity dimensions, worded once.

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

#: The value of the ``round`` column for ratings made independently (before consensus).
INDEPENDENT_ROUND = "independent"


def scale_text(score: int) -> str:
    """The label shown for ``score``, e.g. ``scale_text(1) == "1 - loosely related"``.

    >>> scale_text(2)
    '2 - closely related'
    """
    if score not in SCALE:
        raise ValueError(f"score {score!r} is not on the scale {sorted(SCALE)}")
    return f"{score} - {SCALE[score]['label']}"
