"""The annotation app in a real browser: Debian's Chromium driven by Playwright, app on waitress.

An admin opens phase 1 and matching; a coder reads the instructions, answers a
practice pair (not recorded), rates pairs with the keyboard only (keys 0/1/2
and Q/W/E), reloads and resumes, goes back and edits an answer, uses
cannot-judge with a comment, zooms, meets an attention check; an evaluator
matches a set; the admin records consensus with the keyboard, without reloads. Screenshots go to the test output
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
    (env.study.root / "instructions.md").write_text("# Welcome\n\nRate each pair **twice**.\n\n"
                                                    "- first what the images show\n- then what they mean\n")
    (env.study.root / "practice.csv").write_text("image_a,image_b,denotative,connotative\ni0,i0,2,2\n")
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


def open_link(page, base: str, token: str) -> None:
    """Open a personal link and press its sign-in button (the link alone signs nobody in)."""
    page.goto(f"{base}/login/{token}")
    page.click("button:has-text('Sign in as')")


def coder_queue(env, person: str, phases=("1",)) -> list[str]:
    """The pair ids of the open phases in the order ``person`` is shown them (keyed per coder)."""
    from semclust.annotate.blinding import study_blinder
    from semclust.annotate.items import Catalog

    return [p["pair_id"] for p in Catalog(env.study).pair_queue(list(phases), person, study_blinder(env.study.root))]


def latest(env, pair_id: str, dimension: str):
    rows = db_rows(env.study, "SELECT score FROM ratings WHERE pair_id = ? AND dimension = ? ORDER BY id",
                   (pair_id, dimension))
    return [r["score"] for r in rows]


def admin_opens_work(browser, base, env, out):
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    open_link(page, base, env.tokens["ada"])
    page.click("text=open phase 1")
    page.click("text=open matching")
    assert page.locator("text=close phase 1").count() == 1
    page.screenshot(path=str(out / "browser-admin-dashboard.png"), full_page=True)
    page.context.close()


def coder_session(browser, base, env, out) -> tuple[list[float], list[float]]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    open_link(page, base, env.tokens["cora"])
    page.wait_for_selector("#instructions")  # before the first pair: the study's instructions
    assert "Welcome" in page.inner_text("h1") and "Denotative similarity" in page.inner_text("#instructions")
    page.screenshot(path=str(out / "browser-instructions.png"), full_page=True)
    page.keyboard.press("Enter")  # the start button has the focus: on to the practice pair
    shown(page, 0)
    assert page.is_visible("#practice-banner")
    answer_pair(page, ["2", "e"], 0)  # the first Enter shows the expected answer...
    assert "Matches the expected answer" in page.inner_text("#practice-feedback")
    page.screenshot(path=str(out / "browser-practice.png"))
    page.keyboard.press("Enter")  # ...the second goes on
    shown(page, 1)
    assert db_rows(env.study, "SELECT count(*) AS n FROM ratings")[0]["n"] == 0  # practice is not data
    page.goto(f"{base}/pairs/")
    shown(page, 0)
    assert not page.is_visible("#practice-banner")
    page.screenshot(path=str(out / "browser-pairs-first.png"))
    # the key is the score on the first dimension (0 1 2), Q W E on the second; each button shows its key
    assert page.inner_text('button[data-dimension="denotative"][data-score="0"] kbd') == "0"
    assert page.inner_text('button[data-dimension="connotative"][data-score="2"] kbd') == "E"
    q = coder_queue(env, "cora")  # her pairs in her own order
    outside = [answer_pair(page, ["1", "e"], 1), answer_pair(page, ["0", "w"], 2),
               answer_pair(page, ["2", "q"], 3)]
    assert latest(env, q[0], "denotative") == [1] and latest(env, q[0], "connotative") == [2]
    assert latest(env, q[1], "connotative") == [1] and latest(env, q[2], "denotative") == [2]

    inside = page.evaluate("window.semclustTiming")
    page.reload()  # closing and coming back resumes at the first unanswered pair
    shown(page, 3)
    assert "item 4 of 8 · 3 answered" in page.inner_text("#progress-text")

    page.keyboard.press("Backspace")  # back to pair 3: its answer is shown and can be changed
    shown(page, 2)
    assert page.get_attribute('button[data-dimension="denotative"][data-score="2"]', "aria-pressed") == "true"
    outside.append(answer_pair(page, ["1"], 3))
    assert latest(env, q[2], "denotative") == [2, 1]  # both submissions kept, the edit is the latest

    page.keyboard.press("c")  # cannot judge, with a comment typed after M
    page.keyboard.press("m")
    page.keyboard.type("right image is blank")
    outside.append(answer_pair(page, [], 4))
    assert latest(env, q[3], "denotative") == [None]
    assert db_rows(env.study, "SELECT comment FROM ratings WHERE pair_id = ?", (q[3],))[0]["comment"] == \
        "right image is blank"

    for i in range(4, 7):
        outside.append(answer_pair(page, ["0", "q"], i + 1))
    page.keyboard.press("z")
    assert page.is_visible("#lightbox")
    page.wait_for_function("document.getElementById('lightbox').dataset.zoom === '1.00'")
    box = page.locator("#lightbox-img").bounding_box()
    assert box["width"] > 1000 or box["height"] > 800  # fitted to the window, not left small
    page.keyboard.press("+")
    assert float(page.get_attribute("#lightbox", "data-zoom")) > 1.2  # zooms in
    page.screenshot(path=str(out / "browser-pairs-zoom.png"))
    page.keyboard.press("Escape")
    page.keyboard.press("d")
    assert page.is_visible("#definitions")
    frame, side = page.locator("#img-b").bounding_box(), page.locator("#definitions").bounding_box()
    submit = page.locator("#submit").bounding_box()
    assert side["x"] >= frame["x"] + frame["width"] and side["x"] >= submit["x"] + submit["width"]  # covers nothing
    page.screenshot(path=str(out / "browser-pairs-definitions.png"))
    page.keyboard.press("d")
    inside += page.evaluate("window.semclustTiming")

    from semclust.annotate import checks, db
    conn = db.connect(env.study.annotations_db)
    checks.add_check(conn, "i5", "i5", 2, 2, "the same image twice")
    conn.close()
    page.reload()  # the check sits among the pairs, looking like one
    start = page.evaluate("state.start")
    shown(page, start)
    keys = page.evaluate("state.items.map((it) => it.pair_id)")
    from semclust.annotate.blinding import is_item_id, study_blinder
    pair_keys = {study_blinder(env.study.root).item_id("cora", "pair", p) for p in q}
    assert all(is_item_id(key) for key in keys)  # checks and pairs look alike
    (at,) = [i for i, key in enumerate(keys) if key not in pair_keys]  # where this coder meets it
    assert len(keys) == 9 and at >= start  # her last pair is still open, so the check lies ahead
    for i in range(start, at + 1):  # the check and any pair before it
        answer_pair(page, ["2", "e"], i + 1)
    rows = db_rows(env.study, "SELECT denotative, connotative FROM check_answers")
    assert rows == [{"denotative": 2, "connotative": 2}]
    assert db_rows(env.study, "SELECT count(*) AS n FROM ratings WHERE pair_id LIKE 'k%'")[0]["n"] == 0
    context.close()
    return inside, outside


def consensus_session(browser, base, env, out) -> None:
    """A second coder disagrees on p001 and p002; the admin resolves by keyboard, no reload."""
    from semclust.annotate import answers, db
    conn = db.connect(env.study.annotations_db)
    colin = db_rows(env.study, "SELECT id FROM people WHERE name = 'colin'")[0]["id"]
    def other_than_cora(pair_id: str) -> dict:  # colin disagrees with cora's latest on both dimensions
        scores = {}
        for dim in ("denotative", "connotative"):
            cora = db_rows(env.study, "SELECT r.score FROM ratings r JOIN people p ON p.id = r.person_id "
                                      "WHERE p.name = 'cora' AND r.pair_id = ? AND r.dimension = ? "
                                      "ORDER BY r.id DESC LIMIT 1", (pair_id, dim))[0]["score"]
            scores[dim] = 2 if cora is None else (cora + 1) % 3
        return scores
    answers.record_pair(conn, colin, "p001", "1", other_than_cora("p001"), "looks staged")
    answers.record_pair(conn, colin, "p002", "1", other_than_cora("p002"), "left image blank")
    conn.close()
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    open_link(page, base, env.tokens["ada"])
    page.goto(f"{base}/consensus/?phase=1")
    cards = page.locator(".consensus-pair")
    assert cards.count() == 2  # one card per pair, both dimensions on it
    assert "looks staged" in cards.nth(0).inner_text() and "left image blank" in cards.nth(1).inner_text()
    page.evaluate("window.loadedOnce = true")
    page.keyboard.press("1")  # denotative consensus 1 on the highlighted (first) pair
    page.wait_for_selector('body[data-recorded="p001:denotative:1"]')
    page.keyboard.press("w")  # connotative 1: the pair is resolved
    page.wait_for_selector('body[data-recorded="p001:connotative:1"]')
    assert page.evaluate("window.loadedOnce") is True  # no reload
    assert cards.nth(0).get_attribute("data-resolved") == "true"
    page.screenshot(path=str(out / "browser-consensus.png"), full_page=True)
    page.keyboard.press("u")  # unresolved only
    assert not cards.nth(0).is_visible() and cards.nth(1).is_visible()
    rows = db_rows(env.study, "SELECT dimension, score FROM ratings WHERE round = 'consensus' ORDER BY id")
    assert rows == [{"dimension": "denotative", "score": 1}, {"dimension": "connotative", "score": 1}]
    page.context.close()


def evaluator_session(browser, base, env, out) -> None:
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    open_link(page, base, env.tokens["eve"])
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
    consensus_session(browser, base, env, test_output_dir)

    median_in, worst_in = statistics.median(inside), max(inside)
    print(f"\nanswer -> next pair fully shown (1200x900 JPEGs, images decoded), {len(inside)} answers: "
          f"in page median {median_in:.0f} ms, max {worst_in:.0f} ms; "
          f"seen from Playwright median {statistics.median(outside):.0f} ms (target < {TARGET_MS} ms)")
    assert len(inside) >= 8
    assert median_in < 1000, "answer -> next pair takes seconds: preloading is broken"
