"""`semclust ictc ...` (IC|TC) against a real OpenAI-compatible server on 127.0.0.1.

The server's responder plays the language model: it reads which step a
request belongs to from the prompt, and which image from the description
("... Item <i>."), and answers as scripted per test.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from semclust.pipeline.answer_store import RecordWriter
from semclust.pipeline.model_answers import read_answer, read_names
from support.chat_server import ChatServer, user_text

THEMES = ["joy", "joy", "fear", "fear", "calm", "calm"]
NAMES = "Here are the categories:\n1. Joy\n2. Fear\n3. Calm\nI hope this helps."


class Model:
    """A scripted 'LLM': labels = the theme, names from ``names`` (in order), assign = the theme."""

    def __init__(self, names=(NAMES,), assign=None, label=None):
        self.names = list(names)
        self.assign = {k: list(v) for k, v in (assign or {}).items()}  # item -> actions
        self.label = {k: list(v) for k, v in (label or {}).items()}
        self.steps = []

    def __call__(self, body):
        text = user_text(body)
        if "Group these labels" in text or "exactly" in text and "distinct names" in text:
            self.steps.append("names")
            return "say:" + (self.names.pop(0) if len(self.names) > 1 else self.names[0])
        item = int(re.search(r"Item (\d+)\.", text).group(1))
        theme = THEMES[item]
        if "Which one of these categories" in text:
            self.steps.append("assign")
            steps = self.assign.get(item)
            return steps.pop(0) if steps else f"say:It feels like {theme}.\nAnswer: {theme.title()}"
        self.steps.append("labels")
        steps = self.label.get(item)
        return steps.pop(0) if steps else f"say:The people look {theme}ful.\nAnswer: {theme.upper()}"


@pytest.fixture
def mood_study(make_image_study):
    """6 images with descriptions ``d`` whose mood is joy, joy, fear, fear, calm, calm."""
    study = make_image_study(n=6)
    ids = study.read_images(status="ok")["image_id"].tolist()
    with RecordWriter(study.description_path("d")) as writer:
        for i, image_id in enumerate(ids):
            writer.write({"image_id": image_id, "sha256": str(i), "model": "m", "prompt": "p", "params": {},
                          "text": f"A photo whose mood is {THEMES[i]}. Item {i}.", "error": None})
    return study


def chat_args(server, *extra):
    return ["--model", "test-llm", "--base-url", server.url, "--backoff", "0.01", "--quiet", *extra]


def ictc_run(run_cli, study, server, *extra):
    return run_cli("ictc", "run", "--study", study.root, "--describer", "d", "--criterion", "mood",
                   "--run", "mood", "--k", "3", *chat_args(server, *extra))


def test_ictc_run_writes_criteria_and_a_clustering_with_names(run_cli, mood_study):
    with ChatServer(responder=Model()) as server:
        result = ictc_run(run_cli, mood_study, server)
    assert result.exit_code == 0, result.stderr
    folder = mood_study.root / "criteria" / "mood"
    labels = pd.read_csv(folder / "labels.csv")
    assert labels["label"].tolist() == THEMES  # casefolded
    counts = pd.read_csv(folder / "label_counts.csv")
    assert counts.to_dict("list") == {"label": ["calm", "fear", "joy"], "count": [2, 2, 2],
                                      "kept": [True, True, True]}
    names = json.loads((folder / "names.json").read_text())
    assert names["names"] == ["Joy", "Fear", "Calm"] and names["corrections"] == 0
    config = json.loads((folder / "config.json").read_text())
    assert config["criterion"] == "mood" and config["tokens"]["labels"]["total"] == 6 * 110
    clustering = mood_study.root / "clusterings" / "mood"
    params = json.loads((clustering / "params.json").read_text())
    assert params["clusterer"] == {"method": "ictc"} and params["names"] == ["Joy", "Fear", "Calm"]
    assert params["criterion"] == "mood"
    assert params["provenance"]["source"] == "ictc" and params["provenance"]["descriptions"] == "d"
    assert pd.read_csv(clustering / "names.csv").to_dict("list") == {"cluster": [0, 1, 2],
                                                                     "name": ["Joy", "Fear", "Calm"]}
    assert mood_study.read_labels("mood")["cluster"].tolist() == [0, 0, 1, 1, 2, 2]
    assert mood_study.read_keywords("mood")["term"].tolist() == ["Joy", "Fear", "Calm"]
    assert "tokens of run mood so far: 1430" in result.stdout  # 6 + 1 + 6 requests of 110


def test_ictc_assign_maps_misspelt_and_counts_invalid_answers_as_minus_one(run_cli, mood_study):
    model = Model(assign={0: ["say:Answer: Joyy"], 1: ["say:Answer: none of these"], 2: ["empty"],
                          3: ["429", "say:Answer: fear"], 4: ["500", "500"], 5: ["garbage-json"]})
    with ChatServer(responder=model, retry_after="0") as server:
        result = ictc_run(run_cli, mood_study, server, "--max-retries", "1")
    assert result.exit_code == 0, result.stderr
    answers = pd.read_csv(mood_study.root / "clusterings" / "mood" / "answers.csv", keep_default_na=False)
    assert answers["match"].tolist() == ["close", "none", "empty", "normalised", "failed", "failed"]
    assert mood_study.read_labels("mood")["cluster"].tolist() == [0, -1, -1, 1, -1, -1]
    summary = mood_study.read_clustering_json("mood", "summary.json")
    assert summary["n_noise"] == 4 and summary["unassigned"] == {"empty": 1, "failed": 2, "none": 1}
    params = mood_study.read_clustering_json("mood", "params.json")
    assert params["matching"]["counts"]["close"] == 1
    assert "assign: close 1, empty 1, failed 2, none 1, normalised 1" in result.stdout


def test_ictc_names_wrong_count_is_corrected_in_the_same_conversation(run_cli, mood_study):
    model = Model(names=["- Joy\n- Fear", NAMES])
    with ChatServer(responder=model) as server:
        result = ictc_run(run_cli, mood_study, server)
        corrected = [b for b in server.bodies if b["messages"][-1]["content"].startswith("Your reply held")]
    assert result.exit_code == 0, result.stderr
    assert model.steps.count("names") == 2 and len(corrected) == 1
    assert [m["role"] for m in corrected[0]["messages"]] == ["system", "user", "assistant", "user"]
    assert "held 2 distinct names (Joy, Fear), but exactly 3" in corrected[0]["messages"][-1]["content"]
    assert json.loads((mood_study.root / "criteria" / "mood" / "names.json").read_text())["corrections"] == 1


def test_ictc_names_gives_up_after_two_corrections_with_exit_2(run_cli, mood_study):
    model = Model(names=["- Joy\n- Fear\n- Calm\n- Awe"])
    with ChatServer(responder=model) as server:
        result = ictc_run(run_cli, mood_study, server)
    assert result.exit_code == 2
    assert model.steps.count("names") == 3 and "assign" not in model.steps
    assert result.stderr.startswith("error: the model did not give exactly 3 distinct names after 2")
    assert "- Awe" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (mood_study.root / "clusterings" / "mood").exists()


def test_ictc_rerun_asks_nothing_and_names_file_reruns_assign_only(run_cli, mood_study, tmp_path):
    with ChatServer(responder=Model()) as server:
        ictc_run(run_cli, mood_study, server)
        first = len(server.bodies)
        again = ictc_run(run_cli, mood_study, server)
        assert again.exit_code == 0 and len(server.bodies) == first
        names = tmp_path / "names.txt"
        names.write_text("Joy\nFear\nCalmness\n")
        result = run_cli("ictc", "assign", "--study", mood_study.root, "--run", "mood",
                         "--names-file", names, *chat_args(server))
        assert result.exit_code == 0, result.stderr
        assert len(server.bodies) == first + 6  # the new names change every assign prompt, nothing else
    assert all("Calmness" in b["messages"][-1]["content"] for b in server.bodies[first:])
    assert mood_study.read_clustering_json("mood", "params.json")["names"] == ["Joy", "Fear", "Calmness"]
    # "Answer: Calm" is a close match of "Calmness"? no: ratio 0.67 < 0.8, so -1 unrecognised
    assert mood_study.read_labels("mood")["cluster"].tolist() == [0, 0, 1, 1, -1, -1]


def test_ictc_prompt_dir_overrides_a_prompt_and_bad_fields_exit_2(run_cli, mood_study, tmp_path):
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "label.txt").write_text("Mood of: {description}\nEnd with Answer: <label>")
    with ChatServer(responder=Model()) as server:
        result = run_cli("ictc", "labels", "--study", mood_study.root, "--describer", "d",
                         "--criterion", "mood", "--run", "mood", "--prompt-dir", prompts, *chat_args(server))
        assert result.exit_code == 0, result.stderr
        assert server.bodies[0]["messages"][-1]["content"].startswith("Mood of: A photo")
    (prompts / "label.txt").write_text("Mood of: {image}")
    bad = run_cli("ictc", "labels", "--study", mood_study.root, "--describer", "d", "--criterion", "mood",
                  "--run", "mood", "--prompt-dir", prompts, "--model", "m", "--base-url", "http://x")
    assert bad.exit_code == 2 and "unknown field(s) image" in bad.stderr


def test_ictc_names_before_labels_exits_2(run_cli, mood_study):
    result = run_cli("ictc", "names", "--study", mood_study.root, "--run", "nope", "--k", "3",
                     "--model", "m", "--base-url", "http://127.0.0.1:9/v1")
    assert result.exit_code == 2 and "run `semclust ictc labels`" in result.stderr


def test_ictc_labels_resume_after_sigkill_asks_no_answered_description_again(run_cli, mood_study):
    cache = mood_study.root / "criteria" / "mood" / "labels.jsonl"
    args = ["ictc", "labels", "--study", str(mood_study.root), "--describer", "d", "--criterion", "mood",
            "--run", "mood"]
    with ChatServer(delay=0.4, responder=Model()) as server:
        child = subprocess.Popen([sys.executable, "-m", "semclust", *args,
                                  *chat_args(server, "--concurrency", "1")],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not cache.is_file() or len(cache.read_text().splitlines()) < 2):
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait()
        time.sleep(0.5)  # let the request in flight end on the server
        answered = [json.loads(line)["key"] for line in cache.read_text().splitlines() if line.strip()]
        assert 2 <= len(answered) < 6
        asked_before = len(server.bodies)
        result = run_cli(*args, *chat_args(server))
        assert result.exit_code == 0, result.stderr
        asked = server.bodies[asked_before:]
        assert len(asked) == 6 - len(answered)
        assert not any(f"Item {i}." in b["messages"][-1]["content"] for b in asked
                       for i, image_id in enumerate(mood_study.read_images()["image_id"]) if image_id in answered)
        before = len(server.bodies)
        assert run_cli(*args, *chat_args(server)).exit_code == 0 and len(server.bodies) == before


@pytest.mark.parametrize("text, label", [("Answer: Joy", "joy"), ("why\nanswer:  'Calm'.\nmore", "calm"),
                                         ("Answer: a\nAnswer: B", "b"), ("", ""), ("no marker\nhere", "")])
def test_ictc_labels_are_the_first_line_after_the_last_answer(text, label):
    assert read_answer(text).casefold() == label


def test_ictc_names_keep_bulleted_lines_and_drop_repeats_and_none():
    assert read_names("Sure!\n- Joy\n* joy\n• Fear\n(3) None\nThanks") == ["Joy", "Fear"]
    assert read_names("Joy\nFear") == ["Joy", "Fear"]


@pytest.mark.slow
def test_ictc_on_the_demo_recovers_the_themes(run_cli, demo_study, demo_dir):
    from semclust.evaluation.truth import labelled_truth, truth_metrics

    truth = pd.read_csv(demo_dir / "truth.csv")
    theme_of_path = dict(zip(truth["path"], truth["theme"]))
    theme = {}
    for line in (demo_dir / "descriptions.jsonl").read_text().splitlines():
        rec = json.loads(line)
        theme[rec["text"].strip()] = theme_of_path[rec["path"]].replace("_", " ")
    themes = sorted(set(theme.values()))

    def demo_model(body):
        text = user_text(body)
        if "Group these labels" in text:
            return "say:" + "\n".join(f"- {t}" for t in themes)
        described = re.search(r'"""\n(.*?)\n"""', text, re.DOTALL).group(1).strip()
        return f"say:Thinking it over.\nAnswer: {theme[described]}"

    with ChatServer(responder=demo_model) as server:
        result = run_cli("ictc", "run", "--study", demo_study.root, "--describer", "demo", "--criterion",
                         "theme", "--run", "ictc-theme", "--k", str(len(themes)), *chat_args(server))
    assert result.exit_code == 0, result.stderr
    labels = demo_study.read_labels("ictc-theme").set_index("image_id")["cluster"]
    gold = labelled_truth(demo_study, "themes")
    accuracy = truth_metrics(labels.reindex(gold.index).to_numpy(), gold.to_numpy())["accuracy"]
    assert accuracy >= 0.9
    # an ordinary clustering for the commands that read clusterings
    evaluated = run_cli("evaluate", "--study", demo_study.root, "--truth", "themes", "--clustering", "ictc-theme")
    assert evaluated.exit_code == 0, evaluated.stderr
    quality = run_cli("quality", "--study", demo_study.root, "--clustering", "ictc-theme")
    assert quality.exit_code == 0, quality.stderr


# --- issue 19: names read the way models write them; an IC|TC clustering can be named -------------
TEN = ["database", "network", "weather", "music", "sport", "food", "travel", "finance", "sound"]
NUMBERED = "\n".join(f"{i}: {n}" for i, n in enumerate(TEN, 1)) + "\nReason 1: grouped by purpose"


def test_ictc_run_reads_colon_numbered_names_and_commentary_never_fills_a_slot(run_cli, mood_study):
    """The reported defect: `1: database` ... `9: sound` and `Reason 1: ...` became ten names."""
    names = "Here you go:\n1: Joy\n2: Fear\n3: Calm\nReason 1: grouped by the mood of the people"
    with ChatServer(responder=Model(names=(names,))) as server:
        result = ictc_run(run_cli, mood_study, server)
    assert result.exit_code == 0, result.stderr
    assert json.loads((mood_study.root / "criteria" / "mood" / "names.json").read_text())["names"] == ["Joy", "Fear", "Calm"]
    labels = mood_study.read_labels("mood")
    assert sorted(labels["cluster"].tolist()) == [0, 0, 1, 1, 2, 2]  # every "Answer: Joy" found its name
    assert read_names(NUMBERED) == TEN


def test_name_names_an_ictc_clustering_from_the_descriptions_it_was_made_from(run_cli, mood_study):
    with ChatServer(responder=Model()) as server:
        assert ictc_run(run_cli, mood_study, server).exit_code == 0
    with ChatServer(responder=lambda body: "say:Name: **Shared mood** - people together") as server:
        result = run_cli("name", "--study", mood_study.root, "--clustering", "mood", *chat_args(server))
    assert result.exit_code == 0, result.stderr
    names = pd.read_csv(mood_study.clustering_dir("mood") / "names.csv")
    assert set(names["name"]) == {"Shared mood"}
    assert mood_study.clustering_describer("mood") == "d"
