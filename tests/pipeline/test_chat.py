"""The text chat client (:mod:`semclust.pipeline.chat`) against a real server on 127.0.0.1."""
from __future__ import annotations

import json

import pytest

from semclust.pipeline.chat import ChatClient, ask_cached, chat_cache_key, messages_of
from semclust.study import UserError
from support.chat_server import ChatServer, system_text, user_text


def scripted(actions: dict, default: str = "say:fine"):
    """A responder: per user text a list of actions used in order, then ``default``."""
    actions = {k: list(v) for k, v in actions.items()}

    def respond(body):
        steps = actions.get(user_text(body))
        return steps.pop(0) if steps else default
    return respond


def client(server, **options) -> ChatClient:
    return ChatClient(model="test-llm", base_url=server.url, backoff_base=0.01, **options)


def requests(*texts):
    return [(t, messages_of("be brief", t)) for t in texts]


def read(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_chat_sends_system_and_user_and_records_params_and_tokens(tmp_path):
    with ChatServer(responder=scripted({"q1": ["say:Answer: one"]})) as server:
        records, summary = ask_cached(client(server, max_tokens=40), tmp_path / "c.jsonl", requests("q1", "q2"))
    assert records["q1"]["text"] == "Answer: one" and records["q2"]["text"] == "fine"
    body = server.bodies[0]
    assert system_text(body) == "be brief" and body["max_tokens"] == 40 and body["temperature"] == 0.0
    rec = read(tmp_path / "c.jsonl")[0]
    assert {"key", "model", "messages", "params", "text", "error", "created_at", "latency_s", "tokens"} <= set(rec)
    assert rec["params"] == {"max_tokens": 40, "temperature": 0.0}
    assert rec["tokens"] == {"prompt": 100, "completion": 10, "total": 110}
    assert summary.done == 2 and summary.tokens["total"] == 220


def test_chat_cached_rerun_makes_zero_requests_and_new_params_ask_again(tmp_path):
    with ChatServer(responder=scripted({})) as server:
        ask_cached(client(server), tmp_path / "c.jsonl", requests("a", "b"))
        records, summary = ask_cached(client(server), tmp_path / "c.jsonl", requests("a", "b"))
        assert len(server.bodies) == 2 and summary.cached == 2 and summary.tokens["total"] == 0
        ask_cached(client(server, temperature=0.7), tmp_path / "c.jsonl", requests("a"))
        assert len(server.bodies) == 3
    assert records["a"]["text"] == "fine"


def test_chat_429_is_retried_after_retry_after_then_succeeds(tmp_path):
    with ChatServer(retry_after="0", responder=scripted({"a": ["429", "429", "say:ok"]})) as server:
        records, summary = ask_cached(client(server), tmp_path / "c.jsonl", requests("a"))
    assert records["a"]["text"] == "ok" and summary.failed == 0 and len(server.bodies) == 3


@pytest.mark.parametrize("actions, error", [(["500", "500"], "(gave up after 2 attempts)"),
                                            (["garbage"], "malformed"), (["garbage-json"], "malformed"),
                                            (["empty"], "empty answer")])
def test_chat_failure_is_recorded_with_its_error_and_asked_again_next_run(tmp_path, actions, error):
    with ChatServer(responder=scripted({"a": actions})) as server:
        records, summary = ask_cached(client(server, max_retries=1), tmp_path / "c.jsonl", requests("a"))
        assert error in records["a"]["error"] and records["a"]["text"] is None
        assert summary.failed == 1 and summary.errors[0][0] == "a"
        again, _ = ask_cached(client(server, max_retries=1), tmp_path / "c.jsonl", requests("a"))
    assert again["a"]["text"] == "fine"  # the failure was not cached as an answer
    assert [r["error"] is None for r in read(tmp_path / "c.jsonl")] == [False, True]


def test_chat_concurrency_is_bounded(tmp_path):
    with ChatServer(delay=0.1, responder=scripted({})) as server:
        ask_cached(client(server, concurrency=2), tmp_path / "c.jsonl", requests(*"abcdef"))
    assert server.max_in_flight <= 2 and len(server.bodies) == 6


def test_chat_cache_key_depends_on_model_messages_and_params():
    m = messages_of("s", "u")
    keys = {chat_cache_key("a", m, {"t": 0}), chat_cache_key("b", m, {"t": 0}),
            chat_cache_key("a", messages_of(None, "u"), {"t": 0}), chat_cache_key("a", m, {"t": 1})}
    assert len(keys) == 4 and chat_cache_key("a", m, {"t": 0}) == chat_cache_key("a", m, {"t": 0})


def test_chat_client_validates_its_options():
    with pytest.raises(UserError):
        ChatClient(model=None, base_url="http://x")
    with pytest.raises(UserError):
        ChatClient(model="m", base_url="http://x", concurrency=0)
