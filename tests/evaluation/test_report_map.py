"""The report's interactive map (issue 14): one offline HTML file, hover and filter, no network."""
from __future__ import annotations

import json

import pytest
from test_report import build_study

from semclust.evaluation.report import build_report

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


@pytest.fixture(scope="module")
def map_path(tmp_path_factory):
    study, _ = build_study(tmp_path_factory.mktemp("map"))
    return build_report(study, bootstrap=0).parent / "map.html"


def test_report_map_is_one_offline_file_with_every_image(map_path):
    page = map_path.read_text()
    assert "http://" not in page and "https://" not in page and "<script src" not in page
    data = json.loads(page.split('id="map-data">')[1].split("</script>")[0])
    assert len(data["points"]) == 100
    assert {p["c"] for p in data["points"]} == {0, 1, 2, 3}
    assert all(0 <= p["x"] <= 1 and 0 <= p["y"] <= 1 for p in data["points"])
    assert all((map_path.parent / p["t"]).is_file() for p in data["points"])
    assert "UMAP" in page and 'href="map.html"' in (map_path.parent / "index.html").read_text()


@pytest.mark.browser
def test_report_map_hover_shows_tooltip_and_filter_hides_other_clusters(chromium, map_path,
                                                                       test_output_dir):
    from playwright.sync_api import sync_playwright

    requested = []

    def block_network(route):
        requested.append(route.request.url)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1200, "height": 800})
        context.route("**/*", block_network)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(map_path.as_uri())
        page.wait_for_function("window.semclustMap !== undefined")
        box = page.locator("#map").bounding_box()
        point = page.evaluate("window.semclustMap.screenPosition(0)")
        page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
        tooltip = page.locator("#tooltip")
        tooltip.wait_for(state="visible")
        assert tooltip.locator("img").count() == 1
        assert tooltip.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
        page.screenshot(path=str(test_output_dir / "report-map-hover.png"))
        page.select_option("#cluster-filter", "2")
        assert page.evaluate("window.semclustMap.visibleCount()") == 25
        assert tooltip.is_hidden()
        page.screenshot(path=str(test_output_dir / "report-map-filtered.png"))
        browser.close()
    assert not errors, errors
    assert all(url.startswith("file://") for url in requested), requested
