"""A report researchers can publish from (issue 14): tables, figures, methods text, simulated answers."""
from __future__ import annotations

import html as html_lib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_report import build_study

from semclust.cli import main
from semclust.evaluation.report import build_report, choose_clustering
from semclust.evaluation.report_map import typicality_order
from semclust.evaluation.report_tables import fmt_p, fmt_percent, reduction_label

TABLES = ("agreement", "grid", "matching", "clusters")
FIGURES = ("agreement", "quality_boxplots", "quality_by_family", "precision_recall", "confusion")


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    """A study whose ratings and matches come from `semclust simulate` (coders named sim-...)."""
    study, theme = build_study(tmp_path_factory.mktemp("simulated"))
    study.write_truth("themes", pd.DataFrame({"image_id": theme.index, "label": theme.values}))
    assert main(["evaluate", "--study", str(study.root), "--truth", "themes"]) == 0  # the report shows it
    return study, build_report(study, bootstrap=20)


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """The same study with the coders and evaluators renamed as people."""
    study, _ = build_study(tmp_path_factory.mktemp("real"))
    for path, column in ((study.ratings_csv, "coder"), (study.matches_csv, "evaluator")):
        frame = pd.read_csv(path, dtype=str)
        frame[column] = frame[column].str.replace("sim-", "person-", regex=False)
        frame.to_csv(path, index=False)
    return study, build_report(study, bootstrap=20)


def _text_nodes(page: str) -> str:
    """The visible text of a page: tags, scripts and styles removed, entities decoded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))


def test_report_writes_every_table_as_csv_and_latex(simulated):
    _, path = simulated
    folder = path.parent / "tables"
    for name in (*TABLES, "truth-themes"):
        csv = pd.read_csv(folder / f"{name}.csv")
        assert len(csv), name
        tex = (folder / f"{name}.tex").read_text()
        assert "\\begin{tabular}" in tex and "\\toprule" in tex, name
        assert f'href="tables/{name}.csv"' in path.read_text()
    grid = pd.read_csv(folder / "grid.csv", dtype=str)
    assert list(grid["clustering"]) == ["text--good", "pixels--half", "text--random"]
    assert set(grid["reduction"]) == {"PCA 2-d"} and set(grid["noise"]) == {"0.0%"}


def test_report_writes_each_figure_as_png_svg_and_pdf(simulated):
    _, path = simulated
    for name in FIGURES:
        for suffix, magic in ((".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")):
            assert (path.parent / f"{name}{suffix}").read_bytes().startswith(magic), name + suffix


def test_report_dpi_sets_the_png_resolution(tmp_path):
    from PIL import Image

    from semclust.evaluation.figures import agreement_bars

    rows = [{"phase": "all", "dimension": "connotative", "alpha": 0.7, "ci": [0.6, 0.8]}]
    sizes = [Image.open(agreement_bars(rows, tmp_path / f"a{dpi}.png", dpi=dpi)).width for dpi in (100, 200)]
    assert sizes[1] == pytest.approx(2 * sizes[0], abs=2)


def test_report_page_has_no_raw_dict_or_unrounded_float(simulated):
    _, path = simulated
    text = _text_nodes(path.read_text())
    assert not re.search(r"\{['\"]", text), re.search(r".{40}\{['\"].{40}", text)
    assert not re.search(r"\d\.\d{4,}", text), re.search(r".{40}\d\.\d{4,}.{20}", text)
    assert "None" not in text and "nan" not in text.split()
    methods = (path.parent / "methods.md").read_text()
    assert not re.search(r"\{['\"]|\d\.\d{4,}|\bNone\b", methods)


def test_report_p_at_the_permutation_floor_reads_below_001(simulated):
    _, path = simulated
    grid = pd.read_csv(path.parent / "tables" / "grid.csv", dtype=str, keep_default_na=False)
    assert grid.loc[0, "p"] == "< .001"
    assert "$<$ .001" in (path.parent / "tables" / "grid.tex").read_text()


def test_report_banner_appears_when_answers_are_simulated(simulated):
    _, path = simulated
    page = path.read_text()
    assert page.count('id="simulated-banner"') == 1
    banner = page.split('id="simulated-banner">')[1].split("</p>")[0]
    assert "pair ratings" in banner and "matching answers" in banner
    methods = (path.parent / "methods.md").read_text()
    assert "simulated" in methods and "pair ratings and the matching answers" in methods


def test_report_has_no_banner_when_people_answered(real):
    _, path = real
    assert "simulated-banner" not in path.read_text()
    assert "simulated" not in (path.parent / "methods.md").read_text()


def test_report_banner_names_only_the_simulated_part(tmp_path):
    study, _ = build_study(tmp_path)
    frame = pd.read_csv(study.ratings_csv, dtype=str)
    frame["coder"] = frame["coder"].str.replace("sim-", "person-", regex=False)
    frame.to_csv(study.ratings_csv, index=False)
    page = build_report(study, bootstrap=0).read_text()
    banner = page.split('id="simulated-banner">')[1].split("</p>")[0]
    assert "matching answers" in banner and "pair ratings" not in banner


def test_report_methods_md_holds_the_page_methods_text(simulated):
    _, path = simulated
    methods = (path.parent / "methods.md").read_text()
    assert methods.startswith("# Methods")
    page = html_lib.unescape(path.read_text())
    for paragraph in methods.split("\n\n")[1:]:
        assert paragraph.strip() in page


def test_report_states_how_the_shown_clustering_was_chosen(simulated, tmp_path):
    study, path = simulated
    assert "text--good, has the best connotative quality" in html_lib.unescape(path.read_text())
    page = build_report(study, clustering="pixels--half", bootstrap=0, out_dir=tmp_path).read_text()
    text = html_lib.unescape(page)
    assert "pixels--half, was chosen with --clustering; it ranks 2 of 3" in text
    assert "best valid score is text--good" in text


def test_choose_clustering_without_valid_scores_takes_the_one_with_sets(simulated):
    study, _ = simulated
    table = [{"clustering": "text--random", "valid": False}, {"clustering": "text--good", "valid": False}]
    chosen, why = choose_clustering(study, table, None)
    assert chosen == "text--good" and "matching sets" in why


def test_report_galleries_put_typical_images_first_and_show_noise_and_names(tmp_path):
    study, _ = build_study(tmp_path)
    labels = study.read_labels("text--good")
    labels.loc[:4, "cluster"] = -1
    study.write_clustering("text--noisy", labels, {"embedding": {"id": "text"}, "seed": 0,
                                                   "reduction": {"method": "none"},
                                                   "clusterer": {"method": "hdbscan"}},
                           study.read_keywords("text--good"), {"n_clusters": 4})
    pd.DataFrame({"cluster": [0, 1], "name": ["Wind power", "Wildfires"]}).to_csv(
        study.clustering_dir("text--noisy") / "names.csv", index=False)
    path = build_report(study, clustering="text--noisy", bootstrap=0)
    page = path.read_text()
    assert "Noise: images in no cluster" in page and "Cluster 0: Wind power" in page
    clusters = pd.read_csv(path.parent / "tables" / "clusters.csv", dtype=str, keep_default_na=False)
    assert list(clusters["name"][:2]) == ["Wind power", "Wildfires"] and clusters["cluster"].iloc[-1] == "noise"
    vectors, ids, _ = study.read_embeddings("text")
    members = labels[labels["cluster"] == 2]["image_id"].tolist()
    rows = [ids.index(i) for i in members]
    most_typical = members[typicality_order(vectors[rows])[0]]
    section = page.split('id="cluster-2"')[1]
    assert section.split('data-id="')[1].startswith(most_typical)
    assert "data-description=" in section and 'data-large="large/' in section


def test_report_methods_describe_a_classification_without_raw_params(tmp_path):
    study, _ = build_study(tmp_path)
    labels = study.read_labels("text--good")
    study.write_clustering("text--classify", labels, {
        "method": "classify-text", "classifier": {"method": "text", "threshold": 0.5},
        "reduction": {"method": "none"}, "clusterer": {"method": "classify-text", "threshold": 0.5},
        "embedding": {"id": "text"}, "seed": 0}, study.read_keywords("text--good"), {"n_clusters": 4})
    path = build_report(study, clustering="text--classify", bootstrap=0)
    methods = (path.parent / "methods.md").read_text()
    assert "assigned each image to one of the researcher's classes with the text classifier" in methods
    assert "{" not in methods


def test_report_describes_the_prompt_and_generation_settings(tmp_path):
    study, theme = build_study(tmp_path)
    study.descriptions_dir.mkdir(exist_ok=True)
    study.description_path("demo").write_text("".join(json.dumps({
        "image_id": i, "model": "gpt-4o", "prompt": "Describe the image.", "text": f"about {t}",
        "params": {"temperature": 0.2, "max_tokens": 300}}) + "\n" for i, t in theme.items()))
    path = build_report(study, bootstrap=0)
    methods = (path.parent / "methods.md").read_text()
    assert "described by gpt-4o with the prompt \u201cDescribe the image.\u201d " \
           "(temperature 0.2, max tokens 300)" in methods
    page = path.read_text()
    assert 'title="about ' in page  # descriptions on hover in the galleries


@pytest.mark.parametrize("p, n, expected", [(1 / 1001, 1000, "< .001"), (0.0004, None, "< .001"),
                                            (0.0123, 1000, ".012"), (1 / 51, 50, "< .05"),
                                            (None, 1000, ""), (float("nan"), 1000, "")])
def test_fmt_p_bounds_the_permutation_floor(p, n, expected):
    assert fmt_p(p, n) == expected


@pytest.mark.parametrize("method, params, expected", [
    ("umap", {"n_components": 5, "n_neighbors": 15, "knn": {"k": 30}}, "UMAP 5-d, 15 nn"),
    ("pca", {"n_components": 0.8, "n_components_kept": 31, "explained_variance": 0.4158}, "PCA 80% variance (31 components)"),
    ("pca", {"n_components": 10}, "PCA 10-d"), ("tsne", {"n_components": 2}, "t-SNE 2-d"), ("none", {}, "none")])
def test_the_reduction_registry_names_each_setting_like_a_paper_and_the_report_shows_it(method, params, expected):
    from semclust.pipeline.reducers import REDUCERS

    recorded = {"method": method, **params, **REDUCERS.method(method).describe(params)}  # what params.json holds
    assert reduction_label(recorded) == expected
    assert reduction_label(None) == "none" and reduction_label({"method": method}) == method  # older files


def test_noise_has_one_format():
    assert [fmt_percent(v) for v in (0.01, 0.0125, 0)] == ["1.0%", "1.2%", "0.0%"]


def test_typicality_order_puts_the_centroid_nearest_first():
    vectors = np.array([[1.0, 0.0], [0.0, 3.0], [2.0, 2.1], [1.0, 0.2]])
    assert typicality_order(vectors).tolist() == [2, 3, 0, 1]


def test_report_cli_dpi_option(run_cli, simulated, tmp_path):
    study, _ = simulated
    result = run_cli("report", "--study", study.root, "--bootstrap", "0", "--dpi", "80", "--out", tmp_path)
    assert result.exit_code == 0, result.stderr
    assert Path(tmp_path / "agreement.svg").is_file()


def test_report_without_the_pipeline_extra_draws_a_pca_map_and_says_so(simulated, tmp_path):
    from test_extras import run_without

    from semclust.extras import EXTRAS

    study, _ = simulated
    result = run_without(EXTRAS["pipeline"], "report", "--study", study.root, "--bootstrap", "0",
                         "--out", tmp_path)
    assert "EXIT 0" in result.stdout, result.stderr[-2000:]
    assert "umap-learn is not installed" in (tmp_path / "map.html").read_text()
