"""`semclust describe --backend openai` against a real chat-completions server on 127.0.0.1."""
from __future__ import annotations

import pytest

from semclust.pipeline.describe import DEFAULT_PROMPT, default_describer_id
from semclust.pipeline.describers.openai_api import backoff_delay, retry_after_seconds
from support.chat_server import ChatServer, answer_text
from support.image_study import records

FIELDS = {"image_id", "sha256", "model", "prompt", "params", "text", "error", "created_at",
          "latency_s", "tokens"}


def describe(run_cli, study, server, *extra):
    return run_cli("describe", "--study", study.root, "--backend", "openai", "--model", "test-vlm",
                   "--base-url", server.url, "--id", "d", "--backoff", "0.05", *extra)


def test_describe_writes_one_record_per_image_with_its_own_answer(run_cli, image_study):
    with ChatServer() as server:
        result = describe(run_cli, image_study, server)
    assert result.exit_code == 0, result.stderr
    recs = records(image_study, "d")
    images = image_study.read_images()
    assert sorted(r["image_id"] for r in recs) == sorted(images["image_id"])
    for rec in recs:
        assert FIELDS <= set(rec)
        assert rec["text"] == answer_text(rec["sha256"]) and rec["error"] is None
        assert rec["model"] == "test-vlm" and rec["prompt"] == DEFAULT_PROMPT
        assert rec["tokens"] == {"prompt": 100, "completion": 10, "total": 110}
    assert "done 6, failed 0, skipped 0" in result.stdout
    assert "tokens: 660" in result.stdout
    body = server.bodies[0]
    assert body["model"] == "test-vlm" and body["messages"][0]["content"][0]["text"] == DEFAULT_PROMPT
    assert body["messages"][0]["content"][1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert image_study.read_descriptions("d")["text"].notna().all()


def test_describe_cached_rerun_makes_zero_requests(run_cli, image_study):
    with ChatServer() as server:
        describe(run_cli, image_study, server)
        first = sum(server.requests.values())
        again = describe(run_cli, image_study, server)
        assert sum(server.requests.values()) == first == 6
    assert again.exit_code == 0
    assert "done 0, failed 0, skipped 6" in again.stdout
    assert len(records(image_study, "d")) == 6


def test_describe_other_id_same_key_copies_without_requests(run_cli, image_study):
    with ChatServer() as server:
        describe(run_cli, image_study, server)
        result = run_cli("describe", "--study", image_study.root, "--backend", "openai", "--model",
                         "test-vlm", "--base-url", server.url, "--id", "copy")
        assert sum(server.requests.values()) == 6
    assert "copied from cache 6" in result.stdout
    assert [r["text"] for r in records(image_study, "copy")] == [answer_text(r["sha256"])
                                                                  for r in records(image_study, "copy")]


def test_describe_new_prompt_is_a_new_describer_and_asks_again(run_cli, image_study, tmp_path):
    prompt_file = tmp_path / "mood.txt"
    prompt_file.write_text("Describe the mood of this image\n")
    with ChatServer() as server:
        describe(run_cli, image_study, server)
        result = run_cli("describe", "--study", image_study.root, "--backend", "openai", "--model",
                         "test-vlm", "--base-url", server.url, "--prompt-file", prompt_file)
        assert sum(server.requests.values()) == 12
    mood_id = default_describer_id("openai", "test-vlm", "Describe the mood of this image")
    assert mood_id in result.stdout
    assert {r["prompt"] for r in records(image_study, mood_id)} == {"Describe the mood of this image"}


def test_describe_identical_images_are_requested_once(run_cli, make_image_study):
    study = make_image_study(n=3, twins=2)
    with ChatServer() as server:
        result = describe(run_cli, study, server)
        assert sum(server.requests.values()) == 3
    assert result.exit_code == 0 and "done 5" in result.stdout
    assert study.read_descriptions("d")["text"].notna().sum() == 5


def test_describe_429_waits_for_retry_after_then_succeeds(run_cli, image_study):
    sha = image_study.read_images()["sha256"][0]
    with ChatServer(script={sha: ["429"]}, retry_after="1") as server:
        result = describe(run_cli, image_study, server)
    first, second = server.times[sha]
    assert second - first >= 0.9  # Retry-After: 1 honoured (the backoff alone is 0.05 s)
    assert server.requests[sha] == 2 and "done 6, failed 0" in result.stdout


def test_describe_500_and_timeout_are_retried(run_cli, image_study):
    shas = image_study.read_images()["sha256"]
    script = {shas[0]: ["500", "500"], shas[1]: ["hang"]}
    with ChatServer(script=script, hang_s=2.0) as server:
        result = describe(run_cli, image_study, server, "--timeout", "0.5")
    assert server.requests[shas[0]] == 3 and server.requests[shas[1]] == 2
    assert "done 6, failed 0" in result.stdout


def test_describe_gives_up_after_max_retries_and_records_the_error(run_cli, image_study):
    sha = image_study.read_images()["sha256"][0]
    with ChatServer(script={sha: ["500"] * 10}) as server:
        result = describe(run_cli, image_study, server, "--max-retries", "2")
    assert result.exit_code == 0
    assert server.requests[sha] == 3
    failed = [r for r in records(image_study, "d") if r["error"]]
    assert len(failed) == 1 and "HTTP 500" in failed[0]["error"] and "3 attempts" in failed[0]["error"]
    assert failed[0]["text"] is None
    assert "done 5, failed 1" in result.stdout


@pytest.mark.parametrize("action, message", [("garbage", "malformed answer"),
                                             ("garbage-json", "malformed answer"),
                                             ("empty", "empty answer")])
def test_describe_bad_answer_is_recorded_and_run_goes_on(run_cli, image_study, action, message):
    sha = image_study.read_images()["sha256"][2]
    with ChatServer(script={sha: [action]}) as server:
        result = describe(run_cli, image_study, server)
        assert server.requests[sha] == 1  # not retried: a bad answer is recorded, not re-paid
    by_sha = {r["sha256"]: r for r in records(image_study, "d")}
    assert message in by_sha[sha]["error"] and by_sha[sha]["text"] is None
    assert sum(1 for r in by_sha.values() if r["text"]) == 5
    assert "failed 1" in result.stdout


def test_describe_failed_images_are_asked_again_only_with_retry_failed(run_cli, image_study):
    sha = image_study.read_images()["sha256"][1]
    with ChatServer(script={sha: ["empty"]}) as server:
        describe(run_cli, image_study, server)
        plain = describe(run_cli, image_study, server)
        assert sum(server.requests.values()) == 6
        assert "--retry-failed" in plain.stdout
        retried = describe(run_cli, image_study, server, "--retry-failed")
        assert server.requests[sha] == 2 and sum(server.requests.values()) == 7
    assert "done 1, failed 0, skipped 5" in retried.stdout
    assert image_study.read_descriptions("d")["text"].notna().all()


def test_describe_unreadable_image_is_recorded_without_request(run_cli, image_study):
    images = image_study.read_images()
    image_study.image_path(images["path"][3]).write_bytes(b"not an image at all")
    with ChatServer() as server:
        result = describe(run_cli, image_study, server)
        assert sum(server.requests.values()) == 5
    bad = [r for r in records(image_study, "d") if r["image_id"] == images["image_id"][3]]
    assert "cannot read image" in bad[0]["error"]
    assert result.exit_code == 0 and "failed 1" in result.stdout


def test_describe_concurrency_bounds_requests_in_flight(run_cli, make_image_study):
    study = make_image_study(n=12)
    with ChatServer(delay=0.15) as server:
        describe(run_cli, study, server, "--concurrency", "3")
    assert 2 <= server.max_in_flight <= 3


def test_describe_limit_asks_only_that_many(run_cli, image_study):
    with ChatServer() as server:
        result = describe(run_cli, image_study, server, "--limit", "2")
        assert sum(server.requests.values()) == 2
    assert "4 image(s) left for a later run" in result.stdout


def test_describe_torn_last_line_is_ended_before_appending(run_cli, image_study):
    with ChatServer() as server:
        describe(run_cli, image_study, server, "--limit", "3")
        path = image_study.description_path("d")
        path.write_text(path.read_text() + '{"image_id": "im00')  # a kill mid-write
        result = describe(run_cli, image_study, server)
        assert sum(server.requests.values()) == 6
    assert result.exit_code == 0
    assert len(records_ok := [r for r in _parse_lines(path) if r]) == 6
    assert {r["image_id"] for r in records_ok} == set(image_study.read_images()["image_id"])


def _parse_lines(path):
    import json

    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            out.append(None)
    return out


def test_describe_without_api_key_for_openai_api_is_user_error(run_cli, image_study, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = run_cli("describe", "--study", image_study.root, "--backend", "openai", "--model", "gpt-4o")
    assert result.exit_code == 2 and "OPENAI_API_KEY" in result.stderr
    assert not image_study.description_path(default_describer_id("openai", "gpt-4o", DEFAULT_PROMPT)).exists()


@pytest.mark.parametrize("args, needle", [(["--backend", "openai"], "--model"),
                                          (["--backend", "file"], "--input"),
                                          (["--backend", "openai", "--model", "m", "--id", "a/b"],
                                           "invalid describer id")])
def test_describe_bad_options_are_user_errors(run_cli, image_study, args, needle):
    result = run_cli("describe", "--study", image_study.root, *args)
    assert result.exit_code == 2 and needle in result.stderr


def test_default_describer_id_is_readable_and_depends_on_prompt():
    a = default_describer_id("openai", "gpt-4o-mini", DEFAULT_PROMPT)
    assert a.startswith("openai-gpt-4o-mini-") and len(a.rsplit("-", 1)[1]) == 6
    assert a == default_describer_id("openai", "gpt-4o-mini", DEFAULT_PROMPT)
    assert a != default_describer_id("openai", "gpt-4o-mini", "Describe the mood of this image")
    assert default_describer_id("hf", "llava-hf/llava-1.5-7b-hf", "p").startswith(
        "hf-llava-hf-llava-1.5-7b-hf-")


def test_retry_after_reads_seconds_milliseconds_and_http_dates():
    import email.utils
    import time

    assert retry_after_seconds({"retry-after": "3"}) == 3.0
    assert retry_after_seconds({"retry-after-ms": "250"}) == 0.25
    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= retry_after_seconds({"retry-after": date}) <= 31
    assert retry_after_seconds({}) is None
    assert backoff_delay(0, 100.0, base=1, cap=60) == 60
    assert 2 <= backoff_delay(2, None, base=1, cap=60) <= 4


def test_describe_exits_non_zero_naming_files_when_every_image_failed(run_cli, image_study):
    images = image_study.read_images()
    with ChatServer(script={sha: ["empty"] for sha in images["sha256"]}) as server:
        result = describe(run_cli, image_study, server)
    assert result.exit_code == 1
    assert "error: no image was described: all 6 request(s) failed" in result.stderr
    first = images.iloc[0]
    assert f"error: {first['path']} ({first['image_id']}): " in result.stdout  # by file name


def test_describe_with_some_failures_still_exits_0(run_cli, image_study):
    sha = image_study.read_images()["sha256"][1]
    with ChatServer(script={sha: ["empty"]}) as server:
        result = describe(run_cli, image_study, server)
    assert result.exit_code == 0 and "done 5, failed 1" in result.stdout
