"""The only place that talks HTTP: one client, one module per endpoint.

Importing this package is cheap: ``requests`` is imported when a :class:`Client` is made.
"""

from __future__ import annotations

from .apply import ApplyResult, apply_code, apply_code_stream, apply_openai
from .client import Client, join_url
from .embed import embed, embed_many
from .keys import mask_key
from .rank import RankResult, rank

__all__ = [
    "ApplyResult",
    "Client",
    "RankResult",
    "apply_code",
    "apply_code_stream",
    "apply_openai",
    "embed",
    "embed_many",
    "join_url",
    "mask_key",
    "rank",
]
