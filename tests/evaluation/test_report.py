"""The study report: numbers, figures and galleries on one self-contained page (issues 5, 14).

Tables, figure formats, the simulated banner and the methods text: test_report_publish.py;
the interactive map: test_report_map.py.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from semclust.evaluation.quality import quality_grid
from semclust.evaluation.report import build_report, grid_rows, grid_table
from semclust.evaluation.simulate import simulate_matches, simulate_ratings
from semclust.study import Study

THEMES = ["wind", "fire", "ice", "sea"]


def build_study(root: Path, n_per_theme: int = 25, seed: int = 0) -> tuple[Study, pd.Series]:
    """A study with 4 themes, two clusterings (one good, one random), pairs, ratings, sets, matches."""
    rng = np.random.default_rng(seed)
    images_dir = root / "images"
    images_dir.mkdir(parents=True)
    rows, themes = [], {}
    for t, theme in enumerate(THEMES):
        for k in range(n_per_theme):
            image_id = f"{t}{k:03d}abcdef0123"
            path = f"{theme}_{k}.jpg"
            Image.new("RGB", (40, 30), (60 * t, 4 * k, 100)).save(images_dir / path)
            rows.append({"image_id": image_id, "path": path, "sha256": image_id * 4, "width": 40,
                         "height": 30, "status": "ok", "error": ""})
            themes[image_id] = theme
    study = Study.create(root / "study", images_dir, name="report-test", seed=seed)
    study.write_images(pd.DataFrame(rows))
    theme = pd.Series(themes)
    ids = theme.index.to_numpy()
    study.write_embeddings("text", rng.normal(size=(len(ids), 4)), list(ids),
                           {"source": "descriptions:demo", "model": "test-model", "dim": 4})
    study.write_embeddings("pixels", rng.normal(size=(len(ids), 4)), list(ids),
                           {"source": "images", "model": "tiny-cnn", "dim": 4})
    good = [THEMES.index(theme[i]) for i in ids]
    labelings = {"text--good": ("text", good), "text--random": ("text", list(rng.integers(0, 4, len(ids)))),
                 "pixels--half": ("pixels", [g if k % 2 else (g + 1) % 4 for k, g in enumerate(good)])}
    for cid, (embedding, labels) in labelings.items():
        labels = pd.DataFrame({"image_id": ids, "cluster": labels})
        keywords = pd.DataFrame([{"cluster": c, "rank": r + 1, "term": f"{THEMES[c]}{r}", "score": 1.0}
                                 for c in range(4) for r in range(3)])
        params = {"embedding": {"id": embedding, "dim": 4},
                  "reduction": {"method": "pca", "n_components": 2, "title": "PCA", "label": "PCA 2-d"},
                  "clusterer": {"method": "hdbscan", "min_cluster_size": 10, "title": "HDBSCAN"}, "seed": seed}
        study.write_clustering(cid, labels, params, keywords, {"n_clusters": 4})
    pairs = [rng.choice(ids, 2, replace=False) for _ in range(240)]
    pairs = pd.DataFrame({"pair_id": [f"p{k:04d}" for k in range(240)], "image_a": [p[0] for p in pairs],
                          "image_b": [p[1] for p in pairs], "phase": ["1"] * 120 + ["2"] * 120})
    pairs.to_csv(study.pairs_csv, index=False)
    simulate_ratings(pairs, theme, noise=0.1, seed=seed).to_csv(study.ratings_csv, index=False)
    sets = pd.DataFrame([{"set_id": f"s{c}{j}", "cluster": c,
                          "image_ids": ";".join(ids[np.array(good) == c][3 * j: 3 * j + 3])}
                         for c in range(4) for j in range(3)])
    study.sets_dir.mkdir(parents=True, exist_ok=True)
    sets.to_csv(study.sets_csv("text--good"), index=False)
    labels = study.read_labels("text--good")
    simulate_matches(sets, labels, theme, noise=0.0, seed=seed).to_csv(study.matches_csv, index=False)
    return study, theme


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return build_study(tmp_path_factory.mktemp("report"))[0]


@pytest.fixture(scope="module")
def report_path(study):
    return build_report(study, bootstrap=50)


def test_report_grid_table_is_sorted_by_connotative_score(study):
    table = grid_table(grid_rows(study, quality_grid(study, seed=1, n_permutations=50, n_bootstrap=50)))
    assert [r["clustering"] for r in table] == ["text--good", "pixels--half", "text--random"]
    assert table[0]["connotative"] > table[1]["connotative"] > 0.3 > abs(table[2]["connotative"])
    assert [r["embedding_kind"] for r in table] == ["VLM text", "image", "VLM text"]


def test_report_writes_page_figures_and_thumbnails(study, report_path):
    html = report_path.read_text()
    for section in ("Inter-coder agreement", "Cluster quality across the grid",
                    "the matching test", "Clusters of text--good", "Methods"):
        assert section in html
    for png in ("agreement.png", "quality_boxplots.png", "precision_recall.png", "confusion.png"):
        assert (report_path.parent / png).stat().st_size > 1000
        assert f'src="{png}"' in html
    # every image has a thumbnail (the map shows them all); galleries show the 8 most typical
    assert len(list((report_path.parent / "thumbs").glob("*.jpg"))) == 4 * 25
    assert len(list((report_path.parent / "large").glob("*.jpg"))) == 4 * 8
    assert "accuracy <b>1.00</b>" in html  # noiseless evaluators on pure clusters


def test_report_methods_paragraph_states_models_parameters_and_versions(report_path):
    html = report_path.read_text()
    methods = html.split('class="methods">')[1]
    for fact in ("test-model", "min cluster size 10", "PCA 2-d", "seed 0", "240 random image pairs",
                 "2 phases", "3 clusterings were compared",
                 "scikit-learn", "krippendorff", "3 evaluators"):
        assert fact in methods, fact


def test_report_cli_prints_path_and_unknown_clustering_exits_2(run_cli, study, tmp_path):
    result = run_cli("report", "--study", study.root, "--bootstrap", "20", "--out", tmp_path / "r")
    assert result.exit_code == 0, result.stderr
    assert str(tmp_path / "r" / "index.html") in result.stdout
    result = run_cli("report", "--study", study.root, "--clustering", "nope", "--out", tmp_path / "r2")
    assert result.exit_code == 2 and "no clustering 'nope'" in result.stderr


@pytest.mark.browser
def test_report_figures_render_in_headless_chromium(chromium, report_path, test_output_dir):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(report_path.as_uri())
        page.wait_for_load_state("load")
        sizes = page.eval_on_selector_all(
            "img[src]", "els => els.map(e => [e.getAttribute('src'), e.complete, e.naturalWidth])")
        page.screenshot(path=str(test_output_dir / "report.png"), full_page=True)
        first = page.locator(".thumbs button").first
        first.scroll_into_view_if_needed()
        first.click()  # the larger view, with the description
        viewer = page.locator("dialog#viewer")
        viewer.wait_for(state="visible")
        large = viewer.locator("img").evaluate("img => [img.getAttribute('src'), img.complete]")
        page.screenshot(path=str(test_output_dir / "report-large-view.png"))
        browser.close()
    assert large[0].startswith("large/") and large[1]
    figures = [s for s in sizes if s[0].endswith(".png")]
    assert len(figures) == 5 and len(sizes) > 5  # figures and gallery thumbnails
    broken = [s for s in sizes if not s[1] or s[2] == 0]
    assert not broken, f"images that did not render: {broken}"


def test_report_compares_method_families_and_shows_what_evaluate_wrote(tmp_path, run_cli):
    study, theme = build_study(tmp_path)
    study.write_truth("themes", pd.DataFrame({"image_id": theme.index, "label": theme.values}))
    assert 'id="truth-themes"' not in build_report(study, bootstrap=0).read_text()  # never reads truth/
    assert run_cli("evaluate", "--study", study.root, "--truth", "themes").exit_code == 0
    path = build_report(study, bootstrap=0)
    html = path.read_text()
    assert (path.parent / "quality_by_family.png").is_file()
    assert "text: demo [demo] · HDBSCAN" in html and "image: tiny-cnn · HDBSCAN" in html
    truth = html[html.index('id="truth-themes"'):]
    assert truth.index("text--good") < truth.index("pixels--half")  # best accuracy first
    good_row = truth[truth.index("text--good"):].split("</tr>")[0]
    assert "100.0%" in good_row and "4 (4)" in good_row and "1.00" in good_row


def test_method_family_names_the_describer_and_the_way_groups_were_made(tmp_path):
    from semclust.evaluation.families import method_name

    assert method_name({"clusterer": {"method": "hdbscan", "title": "HDBSCAN"}, "reduction": {"method": "umap"}}) \
        == "HDBSCAN"
    assert method_name({"clusterer": {"method": "kmeans", "title": "KMeans"}, "reduction": {"method": "none"}}) == \
        "KMeans on the raw embedding"
    assert method_name({"clusterer": {"method": "kmeans"}}) == "kmeans"  # a file from elsewhere, no title
    assert method_name({"classifier": {"method": "text"}}) == "classify (text)"


def test_two_describers_make_two_method_families(tmp_path):
    """The reference study's Figure 7: GPT-4 and LLaVA descriptions under the same settings."""
    import json

    from semclust.evaluation.families import method_family

    study, theme = build_study(tmp_path)
    ids = list(theme.index)
    for describer, model in (("gpt4", "gpt-4o"), ("llava", "llava-1.5-7b")):
        study.descriptions_dir.mkdir(exist_ok=True)
        study.description_path(describer).write_text(
            json.dumps({"image_id": ids[0], "model": model, "prompt": "p", "text": "t"}) + "\n")
        study.write_embeddings(describer, np.zeros((len(ids), 2)), ids, {"source": f"descriptions:{describer}"})
        study.write_clustering(f"{describer}--x", pd.DataFrame({"image_id": ids, "cluster": 0}),
                               {"embedding": {"id": describer}, "clusterer": {"method": "hdbscan", "title": "HDBSCAN"}},
                               pd.DataFrame(columns=["cluster", "rank", "term", "score"]), {})
    assert method_family(study, "gpt4--x") == "text: gpt-4o [gpt4] · HDBSCAN"
    assert method_family(study, "llava--x") == "text: llava-1.5-7b [llava] · HDBSCAN"


def test_report_shows_a_search_beside_the_grid(tmp_path, run_cli):
    study, _ = build_study(tmp_path)
    space = tmp_path / "space.yaml"
    space.write_text("reductions: [{method: none}]\nclusterers: [{method: kmeans, k: {low: 2, high: 6}}]\n")
    result = run_cli("search", "--study", study.root, "--embedding", "text", "--space", space,
                     "--objective", "quality:connotative", "--trials", 4, "--seed", 1, "--id", "s1")
    assert result.exit_code == 0, result.stderr
    html = build_report(study, bootstrap=0).read_text()
    section = html[html.index('id="search-s1"'):]
    assert "search-s1.png" in section and "4 trials" in section
