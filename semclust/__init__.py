"""semclust: cluster social-media images by meaning and validate the clusters with people.

The toolkit is one import name with three stages, each usable alone:

- :mod:`semclust.pipeline`   ingest -> describe -> embed -> reduce -> cluster -> keywords
- :mod:`semclust.annotate`   sample pairs and sets; the rating app; the Label Studio bridge
- :mod:`semclust.evaluation` agreement, quality (s_s - s_d), interpretability, report

Importing this package is cheap: it imports none of the stages. The command line lives in
:mod:`semclust.cli`; shipped files (templates, grids, demo data) are found through
:mod:`semclust.resources`.
"""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("semclust")
except PackageNotFoundError:  # pragma: no cover - running from an uninstalled checkout
    __version__ = "0+unknown"
