"""The annotation app in a real browser: Debian's Chromium driven by Playwright, app on waitress.

An admin opens phase 1 and matching; a coder rates pairs with the keyboard only,
reloads and resumes, goes back and edits an answer, uses cannot-judge with a
comment, zooms; an evaluator matches a set. Screenshots go to the test output
folder. The time from an answer (Enter) to the next pair being fully shown
(its images decoded) is measured in the page and printed (target < 150 ms).
"""
from __future__ import annotations

import statistics
import threading
import time

import pytest

from support.app_study import db_rows, free_port, make_study

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
TARGET_MS = 150


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def served(tmp_path):
    """The real app on a waitress server in a thread; yields (base_url, AppStudy)."""
    import waitress

    from semclust.annotate.app import create_app

    env = make_study(tmp_path, n_pairs_phase1=8, n_pairs_phase2=2, size=(1200, 900), photo_like=True)
    port = free_port()
    server = waitress.create_server(create_app(env.study.root), host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", env
    server.close()
    thread.join(timeout=5)


def shown(page, index: int) -> None:
    page.wait_for_selector(f'body[data-shown="{index}"]', timeout=10_000)


def answer_pair(page, keys: list[str], next_index: int) -> float:
    """Press ``keys`` then Enter; return ms from Enter to the next pair shown (as seen from Python)."""
    for key in keys:
        page.keyboard.press(key)
    start = time.perf_counter()
    page.keyboard.press("Enter")
    shown(page, next_index)
    return (time.perf_counter() - start) * 1000


def latest(env, pair_id: str, dimension: str):
    rows = db_rows(env.study, "SELECT score FROM ratings WHERE pair_id = ? AND dimension = ? ORDER BY id",
                   (pair_id, dimension))
    return [r["score"] for r in rows]


def admin_opens_work(browser, base, env, out):
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto(f"{base}/login/{env.tokens['ada']}")
    page.click("text=open phase 1")
    page.click("text=open matching")
    assert page.locator("text=close phase 1").count() == 1
    page.screenshot(path=str(out / "browser-admin-dashboard.png"), full_page=True)
    page.context.close()


def coder_session(browser, base, env, out) -> tuple[list[float], list[float]]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/login/{env.tokens['cora']}")
    shown(page, 0)
    page.screenshot(path=str(out / "browser-pairs-first.png"))
    outside = [answer_pair(page, ["2", "9"], 1), answer_pair(page, ["1", "w"], 2),
               answer_pair(page, ["3", "7"], 3)]
    assert latest(env, "p001", "denotative") == [1] and latest(env, "p001", "connotative") == [2]
    assert latest(env, "p002", "connotative") == [1] and latest(env, "p003", "denotative") == [2]

    inside = page.evaluate("window.semclustTiming")
    page.reload()  # closing and coming back resumes at the first unanswered pair
    shown(page, 3)
    assert "item 4 of 8 · 3 answered" in page.inner_text("#progress-text")

    page.keyboard.press("Backspace")  # back to pair 3: its answer is shown and can be changed
    shown(page, 2)
    assert page.get_attribute('button[data-dimension="denotative"][data-score="2"]', "aria-pressed") == "true"
    outside.append(answer_pair(page, ["2"], 3))
    assert latest(env, "p003", "denotative") == [2, 1]  # both submissions kept, the edit is the latest

    page.keyboard.press("c")  # cannot judge, with a comment typed after M
    page.keyboard.press("m")
    page.keyboard.type("right image is blank")
    outside.append(answer_pair(page, [], 4))
    assert latest(env, "p004", "denotative") == [None]
    assert db_rows(env.study, "SELECT comment FROM ratings WHERE pair_id = 'p004'")[0]["comment"] == \
        "right image is blank"

    for i in range(4, 7):
        outside.append(answer_pair(page, ["1", "q"], i + 1))
    page.keyboard.press("z")
    assert page.is_visible("#lightbox")
    page.screenshot(path=str(out / "browser-pairs-zoom.png"))
    page.keyboard.press("Escape")
    page.keyboard.press("d")
    assert page.is_visible("#definitions")
    page.screenshot(path=str(out / "browser-pairs-definitions.png"))
    page.keyboard.press("d")
    inside += page.evaluate("window.semclustTiming")
    context.close()
    return inside, outside


def evaluator_session(browser, base, env, out) -> None:
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto(f"{base}/login/{env.tokens['eve']}")
    shown(page, 0)
    labels = page.locator("#options li b").all_inner_texts()
    assert labels == ["A", "B", "C"]
    page.keyboard.press("b")
    page.screenshot(path=str(out / "browser-matching.png"))
    page.keyboard.press("Enter")
    shown(page, 1)
    rows = db_rows(env.study, "SELECT set_id, shown_label FROM matches")
    assert len(rows) == 1 and rows[0]["shown_label"] == "B"
    page.reload()
    shown(page, 1)
    page.context.close()


def test_browser_coder_and_evaluator_work_by_keyboard(browser, served, test_output_dir):
    base, env = served
    admin_opens_work(browser, base, env, test_output_dir)
    inside, outside = coder_session(browser, base, env, test_output_dir)
    evaluator_session(browser, base, env, test_output_dir)

    median_in, worst_in = statistics.median(inside), max(inside)
    print(f"\nanswer -> next pair fully shown (1200x900 JPEGs, images decoded), {len(inside)} answers: "
          f"in page median {median_in:.0f} ms, max {worst_in:.0f} ms; "
          f"seen from Playwright median {statistics.median(outside):.0f} ms (target < {TARGET_MS} ms)")
    assert len(inside) >= 8
    assert median_in < 1000, "answer -> next pair takes seconds: preloading is broken"
