"""A misbehaving server's 5 MB answer is stored capped, flagged and counted (issue 18, item 14)."""
from __future__ import annotations

import json

from semclust.pipeline.answer_store import MAX_ANSWER_CHARS
from support.chat_server import ChatServer


def records(study, describer="d") -> list[dict]:
    return [json.loads(line) for line in study.description_path(describer).read_text().splitlines() if line]


def test_a_huge_description_is_cut_flagged_and_counted(run_cli, image_study):
    sha = image_study.read_images()["sha256"][1]
    huge = "word " * 1_000_000  # 5 MB, whatever max_tokens asked for
    with ChatServer(script={sha: [f"say:{huge}"]}) as server:
        result = run_cli("describe", "--study", image_study.root, "--backend", "openai", "--model", "test-vlm",
                         "--base-url", server.url, "--id", "d", "--backoff", "0.05")
    assert result.exit_code == 0, result.stderr
    by_sha = {r["sha256"]: r for r in records(image_study)}
    cut = by_sha[sha]
    assert len(cut["text"]) == MAX_ANSWER_CHARS and cut["truncated"] is True
    assert cut["original_chars"] > 4_000_000
    assert all("truncated" not in r for s, r in by_sha.items() if s != sha)
    assert image_study.description_path("d").stat().st_size < 200_000
    assert f"1 answer(s) were longer than {MAX_ANSWER_CHARS:,} characters and were cut" in result.stdout


def test_chat_answers_are_capped_too(tmp_path):
    from semclust.pipeline.chat import ChatClient, ask_cached

    with ChatServer(responder=lambda body: "say:" + "y" * (MAX_ANSWER_CHARS + 5000)) as server:
        client = ChatClient(model="m", base_url=server.url, api_key_env="NO_KEY_NEEDED", max_retries=0)
        records_, summary = ask_cached(client, tmp_path / "answers.jsonl", [("a", [{"role": "user", "content": "x"}])])
    assert len(records_["a"]["text"]) == MAX_ANSWER_CHARS and records_["a"]["truncated"] is True
    assert summary.truncated == 1 and any("were cut" in line for line in summary.lines())
