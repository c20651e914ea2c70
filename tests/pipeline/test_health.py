"""Description health: degenerate descriptions are flagged with a reason and can be asked again."""
from __future__ import annotations

import json

import pytest

from semclust.pipeline.health import check_text
from support.chat_server import ChatServer
from support.image_study import records

GOOD = ("A crowd of young people carry hand-painted placards through a city street; the image "
        "conveys urgency, anger at inaction and hope that collective action can change policy.")


@pytest.mark.parametrize("text, reasons", [
    (GOOD, []),
    (None, ["empty"]),
    ("   ", ["empty"]),
    ("A protest.", ["too short"]),
    ("The image shows a protest. " * 12, ["repetitive"]),
    ("tree banana purple run quickly window seven ocean laptop green forest jump", ["not prose"]),
    ("@@@ ### 12345 $$$ %%% ^^^ &&& ***", ["too short", "mostly non-words"]),
    ("I'm sorry, but I can't help with describing people in this image.", ["refusal"]),
    ("As an AI, I am unable to see the image you have sent to me today.", ["refusal"]),
])
def test_check_text_flags_each_kind_of_degenerate_description(text, reasons):
    assert check_text(text)[0] == reasons


def test_descriptions_check_writes_health_csv_and_prints_counts(run_cli, image_study, tmp_path):
    images = image_study.read_images()
    texts = [GOOD, "", "A protest.", GOOD.replace("young", "old"), "I'm sorry, but I can't describe this image.",
             GOOD.replace("city", "village")]
    source = tmp_path / "texts.jsonl"
    source.write_text("".join(json.dumps({"image_id": i, "text": t}) + "\n"
                              for i, t in zip(images["image_id"], texts)))
    assert run_cli("describe", "--study", image_study.root, "--backend", "file", "--input", source,
                   "--id", "imp").exit_code == 0
    result = run_cli("descriptions", "check", "--study", image_study.root)
    assert result.exit_code == 0, result.stderr
    assert "imp: 3 of 6 flagged (empty 1, too short 1, refusal 1)" in result.stdout
    health = image_study.read_health("imp").set_index("image_id")
    assert health["flagged"].sum() == 3
    assert health.loc[images["image_id"][4], "reasons"] == "refusal"


def test_describe_retry_flagged_asks_again_for_flagged_images_only(run_cli, image_study):
    args = ["describe", "--study", image_study.root, "--backend", "openai", "--model", "vlm",
            "--id", "d", "--backoff", "0.05"]
    with ChatServer() as server:
        assert run_cli(*args, "--base-url", server.url).exit_code == 0
        never_checked = run_cli(*args, "--base-url", server.url, "--retry-flagged")
        assert never_checked.exit_code == 2 and "semclust descriptions check" in never_checked.stderr
        assert run_cli("descriptions", "check", "--study", image_study.root).exit_code == 0
        health = image_study.read_health("d")
        flagged = list(health["image_id"][:2])
        health["flagged"] = health["image_id"].isin(flagged)  # as if two answers were degenerate
        image_study.write_health("d", health)
        before = sum(server.requests.values())
        result = run_cli(*args, "--base-url", server.url, "--retry-flagged")
        assert result.exit_code == 0, result.stderr
        assert sum(server.requests.values()) - before == 2
    assert {r["image_id"] for r in records(image_study, "d")[-2:]} == set(flagged)


def test_report_states_how_many_descriptions_were_flagged(run_cli, image_study, tmp_path):
    from semclust.evaluation.report import description_health_sentence

    images = image_study.read_images()
    source = tmp_path / "texts.jsonl"
    source.write_text("".join(json.dumps({"image_id": i, "text": GOOD if k else "A protest."}) + "\n"
                              for k, i in enumerate(images["image_id"])))
    run_cli("describe", "--study", image_study.root, "--backend", "file", "--input", source, "--id", "imp")
    assert "were not checked" in description_health_sentence(image_study, "imp")
    run_cli("descriptions", "check", "--study", image_study.root)
    assert description_health_sentence(image_study, "imp") == (
        "A health check flagged 1 of 6 descriptions (imp) as degenerate (1 too short).")
