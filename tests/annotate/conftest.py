"""Fixtures of the annotation tests: the rating app on a small study, and the Label Studio bridge's study.

The studies are built by :mod:`support.app_study` and :mod:`support.labelstudio_server`;
the app-client helpers (``open_phase``, ``rate``, ``db_rows`` ...) are imported from
:mod:`support.app_study` by the tests that use them.
"""
from __future__ import annotations

import shutil

import pytest

from semclust.study import Study
from support import app_study, labelstudio_server
from support.app_study import AppStudy, blinded, csrf_from, sign_in


# --- the rating app ---------------------------------------------------------------------
@pytest.fixture(scope="session")
def app_study_template(tmp_path_factory) -> AppStudy:
    """The app study, built once per session (8 images, 6 pairs, sets, 5 people); copied by ``env``."""
    return app_study.make_study(tmp_path_factory.mktemp("app-study"))


@pytest.fixture(scope="session")
def jinja_cache(tmp_path_factory):
    import jinja2

    return jinja2.FileSystemBytecodeCache(str(tmp_path_factory.mktemp("jinja")))


@pytest.fixture
def env(tmp_path, app_study_template) -> AppStudy:
    """A fresh copy of a study with people, pairs and sets (nothing opened yet)."""
    root = tmp_path / "study"
    shutil.copytree(app_study_template.study.root, root)
    return AppStudy(study=Study.open(root), tokens=dict(app_study_template.tokens),
                    pairs=app_study_template.pairs, sets=app_study_template.sets)


@pytest.fixture
def app(env, jinja_cache):
    from semclust.annotate.app import create_app

    app = create_app({"STUDY": env.study.root, "TESTING": True})
    app.jinja_env.bytecode_cache = jinja_cache  # compile each template once per test session
    return app


@pytest.fixture
def login(app, env):
    """``login(name)`` -> a test client logged in as that person, with ``.csrf`` set and
    ``.item(kind, *ref)`` giving the item ids this person is shown (:func:`support.app_study.blinded`)."""
    def do(name: str):
        client = app.test_client()
        response = sign_in(client, env.tokens[name])
        assert response.status_code == 302, response.status_code
        page = client.get("/", follow_redirects=True)
        client.csrf = csrf_from(page.get_data(as_text=True))
        client.person, client.item = name, blinded(app, name)
        return client
    return do


@pytest.fixture
def admin(login):
    return login("ada")


# --- the Label Studio bridge --------------------------------------------------------------
@pytest.fixture
def ls_study(tmp_path) -> Study:
    """The bridge's study: 12 PNGs in 3 clusters (one noise image), 16 pairs, 2 sets per cluster.

    Built by :func:`support.labelstudio_server.make_study`, the builder the round trip
    against a real server uses too (there under the server's document root).
    """
    return labelstudio_server.make_study(tmp_path)
