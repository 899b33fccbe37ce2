"""`apply_protocol = "openai"`: apply through any OpenAI-compatible apply model, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import Run

ORIGINAL = "def a():\n    return 1\n\n\ndef b():\n    return 2\n"
SNIPPET = "# ... existing code ...\n\ndef b():\n    return 3\n"
MERGED = "def a():\n    return 1\n\n\ndef b():\n    return 3\n"


def reply(content: str, finish: str = "stop") -> dict:
    return {"id": "x", "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}


@pytest.fixture
def target(tmp_path: Path) -> Path:
    f = tmp_path / "m.py"
    f.write_text(ORIGINAL)
    return f


def env_for(server: HTTPServer, **extra: str) -> dict[str, str]:
    env = {"RELACE_API_KEY": "sk-morph-" + "x" * 24, "RELACE_APPLY_PROTOCOL": "openai",
           "RELACE_APPLY_URL": server.url_for("/v1").rstrip("/"),
           "RELACE_APPLY_MODEL": "morph-v3-fast", "RELACE_MAX_RETRIES": "0"}
    env.update(extra)
    return env


def test_request_is_the_documented_chat_message(relace: Run, httpserver: HTTPServer,
                                                target: Path) -> None:
    httpserver.expect_request("/v1/chat/completions", method="POST").respond_with_json(
        reply(MERGED))
    r = relace("apply", str(target), "-e", SNIPPET, "-i", "return 3", "--engine", "remote",
               env=env_for(httpserver))
    assert r.code == 0, r
    assert target.read_text() == MERGED
    (req, _resp) = httpserver.log[0]
    assert json.loads(req.data) == {
        "model": "morph-v3-fast",
        "messages": [{"role": "user", "content": (
            f"<instruction>return 3</instruction>\n<code>{ORIGINAL}</code>\n"
            f"<update>{SNIPPET}</update>")}],
    }
    assert req.headers["Authorization"] == "Bearer sk-morph-" + "x" * 24
    assert "15 tokens" in r.stderr


def test_a_fenced_reply_is_unwrapped(relace: Run, httpserver: HTTPServer, target: Path) -> None:
    httpserver.expect_request("/v1/chat/completions").respond_with_json(
        reply("```python\n" + MERGED + "```\n"))
    r = relace("apply", str(target), "-e", SNIPPET, "--engine", "remote", env=env_for(httpserver))
    assert r.code == 0, r
    assert target.read_text() == MERGED and "fence" in r.stderr


def test_cut_off_reply_is_exit_3(relace: Run, httpserver: HTTPServer, target: Path) -> None:
    httpserver.expect_request("/v1/chat/completions").respond_with_json(
        reply(MERGED[:20], finish="length"))
    r = relace("apply", str(target), "-e", SNIPPET, "--engine", "remote", env=env_for(httpserver))
    assert r.code == 3 and "cut off" in r.stderr, r
    assert target.read_text() == ORIGINAL


def test_missing_content_is_exit_3(relace: Run, httpserver: HTTPServer, target: Path) -> None:
    httpserver.expect_request("/v1/chat/completions").respond_with_json({"choices": []})
    r = relace("apply", str(target), "-e", SNIPPET, "--engine", "remote", env=env_for(httpserver))
    assert r.code == 3, r
    assert target.read_text() == ORIGINAL


def test_stream_to_stdout_prints_the_result(relace: Run, httpserver: HTTPServer,
                                            target: Path) -> None:
    """This protocol is not streamed: --stream --stdout still prints the whole result."""
    httpserver.expect_request("/v1/chat/completions").respond_with_json(reply(MERGED))
    r = relace("apply", str(target), "-e", SNIPPET, "--engine", "remote", "--stream", "--stdout",
               env=env_for(httpserver))
    assert r.code == 0, r
    assert r.stdout == MERGED and target.read_text() == ORIGINAL
