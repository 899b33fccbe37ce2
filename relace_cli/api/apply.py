"""The apply endpoints: Relace's own (plain and streaming) and the OpenAI-compatible form.

Every answer is checked against the documented shape: anything else is an ApiError,
never a merged file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from relace_cli.errors import ApiError

from . import messages
from .client import DONE, Client, host_of, join_url

APPLY_PATH = "/v1/code/apply"
CHAT_PATH = "/chat/completions"
CUT_OFF_HINT = (
    "the merged file may exceed the model's 128k-token output limit; retry or edit locally"
)


@dataclass(frozen=True)
class ApplyResult:
    merged: str
    usage: dict[str, int] = field(default_factory=dict)


def clean_usage(value: Any) -> dict[str, int]:
    """Token counts only: a malformed usage block is dropped, not fatal."""
    if not isinstance(value, dict):
        return {}
    return {
        str(name): int(count)
        for name, count in value.items()
        if isinstance(count, int | float) and not isinstance(count, bool)
    }


def _apply_body(
    initial_code: str,
    edit_snippet: str,
    model: str | None,
    instruction: str | None,
    *,
    stream: bool,
) -> dict[str, Any]:
    body: dict[str, Any] = {"initial_code": initial_code, "edit_snippet": edit_snippet}
    if model:
        body["model"] = model
    if instruction:
        body["instruction"] = instruction
    body["stream"] = stream
    return body


def apply_code(
    client: Client,
    base_url: str,
    *,
    initial_code: str,
    edit_snippet: str,
    model: str | None = None,
    instruction: str | None = None,
) -> ApplyResult:
    url = join_url(base_url, APPLY_PATH)
    data = client.post_json(
        url,
        _apply_body(initial_code, edit_snippet, model, instruction, stream=False),
        kind="apply",
    )
    host = host_of(url)
    if "mergedCode" not in data:
        keys = ", ".join(sorted(data)) or "none"
        raise messages.unexpected(host, f"no `mergedCode` in the JSON (keys: {keys})", kind="apply")
    merged = data["mergedCode"]
    if not isinstance(merged, str):
        raise messages.unexpected(
            host, f"`mergedCode` is {messages.json_type(merged)}, not a string", kind="apply"
        )
    return ApplyResult(merged=merged, usage=clean_usage(data.get("usage")))


def cut_off(host: str, why: str) -> ApiError:
    return ApiError(f"response was cut off: {host} {why}", hint=CUT_OFF_HINT)


def _stream_objects(payload: str, host: str) -> list[dict[str, Any]]:
    """One payload -> its JSON objects (also a few objects on lines of one event)."""
    try:
        value = json.loads(payload)
    except ValueError:
        try:
            values = [json.loads(line) for line in payload.splitlines() if line.strip()]
        except ValueError:
            raise messages.unexpected(
                host, f"a stream chunk that is not JSON: {messages.clip(payload, 80)}", kind="apply"
            ) from None
    else:
        values = [value]
    for value in values:
        if not isinstance(value, dict):
            raise messages.unexpected(
                host, "a stream chunk that is not a JSON object", kind="apply"
            )
    return values


def _choice(obj: dict[str, Any]) -> dict[str, Any] | None:
    choices = obj.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        return choices[0]
    return None


def _delta_text(choice: dict[str, Any]) -> str | None:
    for holder in (choice.get("delta"), choice.get("message")):
        if isinstance(holder, dict) and isinstance(holder.get("content"), str):
            return holder["content"]
    text = choice.get("text")
    return text if isinstance(text, str) else None


def apply_code_stream(
    client: Client,
    base_url: str,
    *,
    initial_code: str,
    edit_snippet: str,
    model: str | None = None,
    instruction: str | None = None,
) -> Iterator[str]:
    """Yield the merged file in pieces as they arrive; raise if the stream is cut off.

    A stream is finished by ``data: [DONE]`` or a ``finish_reason`` of ``stop``; a
    ``length`` finish, or an end without either, is an ApiError. A chunk carrying
    ``mergedCode`` holds the whole text: only what was not yet yielded is yielded.
    """
    url = join_url(base_url, APPLY_PATH)
    host = host_of(url)
    body = _apply_body(initial_code, edit_snippet, model, instruction, stream=True)
    sent: list[str] = []
    finished = False
    for payload in client.post_stream(url, body, kind="apply", include_done=True):
        if payload == DONE:
            finished = True
            break
        for obj in _stream_objects(payload, host):
            if obj.get("error"):
                text = messages.server_text(json.dumps({"error": obj["error"]}).encode())
                raise ApiError(f"{host} reported an error mid-stream: {text}")
            if "mergedCode" in obj:
                whole = obj["mergedCode"]
                if not isinstance(whole, str):
                    raise messages.unexpected(host, "`mergedCode` is not a string", kind="apply")
                so_far = "".join(sent)
                if not whole.startswith(so_far):
                    raise messages.unexpected(
                        host, "`mergedCode` disagrees with the streamed text", kind="apply"
                    )
                if len(whole) > len(so_far):
                    sent = [whole]
                    yield whole[len(so_far) :]
            choice = _choice(obj)
            if choice is None:
                continue
            text = _delta_text(choice)
            if text:
                sent.append(text)
                yield text
            reason = choice.get("finish_reason")
            if reason == "length":
                raise cut_off(host, "hit the output limit (finish_reason length)")
            if reason == "stop":
                finished = True
    if not finished:
        raise cut_off(host, "ended the stream without [DONE]")


def openai_prompt(initial_code: str, edit_snippet: str, instruction: str | None) -> str:
    parts = [f"<instruction>{instruction}</instruction>"] if instruction else []
    parts.append(f"<code>{initial_code}</code>")
    parts.append(f"<update>{edit_snippet}</update>")
    return "\n".join(parts)


def apply_openai(
    client: Client,
    base_url: str,
    *,
    model: str,
    initial_code: str,
    edit_snippet: str,
    instruction: str | None = None,
) -> ApplyResult:
    """Apply through any OpenAI-compatible chat endpoint serving an apply model.

    The content is returned as is (a fence a model adds is for the guards to judge).
    """
    url = join_url(base_url, CHAT_PATH)
    host = host_of(url)
    body = {
        "model": model,
        "messages": [
            {"role": "user", "content": openai_prompt(initial_code, edit_snippet, instruction)}
        ],
    }
    data = client.post_json(url, body, kind="apply")
    choice = _choice(data)
    if choice is None:
        raise messages.unexpected(host, "no `choices` in the JSON", kind="apply")
    message = choice.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if choice.get("finish_reason") == "length":
        raise cut_off(host, "hit the output limit (finish_reason length)")
    if not isinstance(content, str):
        raise messages.unexpected(host, "no string `choices[0].message.content`", kind="apply")
    return ApplyResult(merged=content, usage=clean_usage(data.get("usage")))
