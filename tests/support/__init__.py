"""Helpers shared by the tests and the benchmarks; none of these modules is a test module.

``pyproject.toml`` puts ``tests/`` on pytest's ``pythonpath``, so tests import
them as ``from support.chat_server import ChatServer``. Fixtures live in the
``conftest.py`` files, never here: these modules hold plain builders and servers.

* :mod:`support.ci` - :func:`~support.ci.require`: skip locally, fail in CI, when a tool is missing
* :mod:`support.image_study` - a study of a few real PNG files (describe tests)
* :mod:`support.app_study` - a study with pairs, sets and people, and app-client helpers
* :mod:`support.labelstudio_server` - a real Label Studio server and the bridge tests' study
* :mod:`support.chat_server` - a real OpenAI-compatible chat-completions server
* :mod:`support.tiny_models` - tiny random-weight LLaVA models built from a config
"""
