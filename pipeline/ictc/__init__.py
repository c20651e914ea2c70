"""IC|TC: image clustering conditioned on a text criterion, with a language model.

After IC|TC (Kwon et al., 2024, "Image Clustering Conditioned on Text
Criteria"), in four steps over a study's descriptions:

1. ``semclust describe`` with a prompt about the criterion (any describer);
2a. :mod:`.labels`: each description -> one short label for the criterion;
2b. :mod:`.names`: the label counts -> exactly K cluster names;
3. :mod:`.assign`: each description -> one of the K names (exact, normalised,
   then close-string match; anything else is -1, never a random cluster).

:mod:`.run` wires the steps, the answer caches (:func:`semclust.pipeline.chat.ask_cached`)
and the files under ``criteria/<run>/`` and ``clusterings/<run>/``. The
prompts are text files in ``prompts/`` that a researcher may override
(:mod:`.prompting`).
"""
