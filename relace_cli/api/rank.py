"""The rank endpoint (v2): files of a codebase scored against a query, best first."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import messages
from .apply import clean_usage
from .client import Client, host_of, join_url

RANK_PATH = "/v2/code/rank"


@dataclass(frozen=True)
class RankResult:
    results: list[tuple[str, float]]
    usage: dict = field(default_factory=dict)


def rank(
    client: Client, base_url: str, query: str, codebase: list[dict], *, token_limit: int = 100000
) -> RankResult:
    url = join_url(base_url, RANK_PATH)
    host = host_of(url)
    body = {"query": query, "codebase": codebase, "token_limit": token_limit}
    data = client.post_json(url, body, kind="rank")
    results = data.get("results")
    if not isinstance(results, list):
        raise messages.unexpected(host, "no `results` list in the JSON", kind="rank")
    ranked: list[tuple[str, float]] = []
    for item in results:
        filename = item.get("filename") if isinstance(item, dict) else None
        score = item.get("score") if isinstance(item, dict) else None
        if (
            not isinstance(filename, str)
            or not isinstance(score, int | float)
            or isinstance(score, bool)
        ):
            raise messages.unexpected(
                host, "a result without a `filename` string and a numeric `score`", kind="rank"
            )
        ranked.append((filename, float(score)))
    return RankResult(results=ranked, usage=clean_usage(data.get("usage")))
