"""The wheel is the product: built from the repository and installed outside any checkout, it is
one import name (`semclust`) that carries its templates, grids and demo data and runs the method.

The wheel is built in a temporary copy (the checkout gets no build/ or *.egg-info) and installed
with --no-deps into a fresh virtualenv that sees the project venv's dependencies through a .pth
line (not its editable install of semclust: path lines in a .pth are not processed as site dirs).
Every command runs from a folder that holds a user's own `pipeline/` package, which must not
matter.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from support.app_study import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
#: checkout folder -> where the wheel puts it
INSTALLED_AS = {"semclust": "semclust", "pipeline": "semclust/pipeline", "annotate": "semclust/annotate",
                "evaluation": "semclust/evaluation", "templates": "semclust/templates",
                "grids": "semclust/grids", "data": "semclust/data"}


def _checkout_files() -> list[str]:
    """Tracked and untracked-but-not-ignored files: what a fresh clone plus this change holds."""
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                         capture_output=True, check=True).stdout.decode()
    return [f for f in out.split("\0") if f and (REPO / f).is_file()]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("src")
    for name in _checkout_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, copy / name)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(dist), str(copy)], check=True, capture_output=True, timeout=300)
    (found,) = dist.glob("semclust-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtualenv with the wheel installed and the project's dependencies visible."""
    root = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    python = root / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "project-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    return root


@pytest.fixture(scope="module")
def user_folder(tmp_path_factory) -> Path:
    """A researcher's working folder outside the checkout, with a `pipeline/` package of their own."""
    folder = tmp_path_factory.mktemp("notebooks")
    (folder / "pipeline").mkdir()
    (folder / "pipeline" / "__init__.py").write_text("WHOSE = 'the user'\n")
    return folder


def run(venv: Path, cwd: Path, *args, timeout=600) -> subprocess.CompletedProcess:
    """`python -m semclust ARGS` in the venv (cwd first on sys.path, as in a notebook)."""
    env = {**os.environ, "PYTHONPATH": ""}
    return subprocess.run([str(venv / "bin" / "python"), "-m", "semclust", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=timeout)


def test_wheel_installs_one_import_name_with_every_module_and_resource(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {n.split("/")[0] for n in names} == {"semclust", wheel.name.split("-py3")[0] + ".dist-info"}
    expected = {f"{INSTALLED_AS[top]}/{rest}" for top, _, rest in
                (name.partition("/") for name in _checkout_files()) if top in INSTALLED_AS}
    missing = sorted(expected - names)
    assert not missing, f"files left out of the wheel (list them in pyproject.toml): {missing[:10]}"


def test_the_users_own_pipeline_package_does_not_shadow_semclust(venv, user_folder, tmp_path):
    python = str(venv / "bin" / "python")
    elsewhere = subprocess.run([python, "-c", "import pipeline"], cwd=tmp_path, capture_output=True, text=True)
    assert elsewhere.returncode != 0 and "No module named 'pipeline'" in elsewhere.stderr
    probe = ("import pipeline, semclust.study, semclust.evaluation.agreement, semclust; "
             "print(pipeline.WHOSE, semclust.__file__)")
    result = subprocess.run([python, "-c", probe], cwd=user_folder, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("the user ") and str(venv) in result.stdout


@pytest.fixture(scope="module")
def demo_study(venv, user_folder) -> Path:
    study = user_folder / "study"
    result = run(venv, user_folder, "demo", "--no-serve", "--study", study)
    assert result.returncode == 0, result.stderr[-3000:]
    return study


def test_installed_demo_runs_the_method_and_writes_the_report(demo_study):
    assert (demo_study / "reports" / "index.html").is_file()
    assert len(list((demo_study / "clusterings").iterdir())) == 62  # text and CNN grids, raw KMeans, classify text


def test_installed_report_labelstudio_export_and_paper_grid_work(venv, user_folder, demo_study, tmp_path):
    report = run(venv, user_folder, "report", "--study", demo_study)
    assert report.returncode == 0, report.stderr[-3000:]
    export = run(venv, user_folder, "labelstudio", "export", "--study", demo_study, "--task", "pairs",
                 "--out", tmp_path / "ls")
    assert export.returncode == 0, export.stderr
    assert "<Choices" in (tmp_path / "ls" / "config.xml").read_text()
    grid = run(venv, user_folder, "cluster", "--study", demo_study, "--grid", "paper")
    assert grid.returncode == 0, grid.stderr[-3000:]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:  # 401 for the sign-in page is an answer
        return exc.code, exc.read().decode()


def test_installed_app_serves_its_login_page_and_static_files(venv, user_folder, demo_study, tmp_path):
    port, log = free_port(), tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(venv / "bin" / "semclust"), "serve", "--study", str(demo_study),
                                 "--port", str(port)], cwd=user_folder, stdout=out, stderr=subprocess.STDOUT)
    try:
        home, deadline = None, time.monotonic() + 60
        while home is None and proc.poll() is None and time.monotonic() < deadline:
            try:
                home = _get(base + "/")
            except urllib.error.URLError:  # not listening yet
                time.sleep(0.3)
        css = _get(base + "/static/app.css") if home else None
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert home is not None, f"the app did not answer: {log.read_text()[-2000:]}"
    assert home[0] == 401 and "personal login link" in home[1], home
    assert css[0] == 200 and "{" in css[1]
