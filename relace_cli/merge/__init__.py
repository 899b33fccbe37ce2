"""Offline, deterministic merge of an LLM edit snippet into a file - or a reasoned abstention.

    merge(original, snippet, language=None) -> Merged | Abstain

The snippet may elide unchanged code with marker comments (see `relace_cli.markers`), be a
bare fragment (one or more rewritten definitions, matched by their header lines), or be a
complete new file. The engine works on lines, indentation and brackets, in any language; it
abstains - with a one-line reason - whenever the snippet does not say unambiguously where its
code goes, instead of guessing. Pure: no I/O, no global state, standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Abstain", "Merged", "merge"]


@dataclass(frozen=True)
class Merged:
    text: str  # the whole merged file
    strategy: str  # how: "markers", "fragment", "whole-file", "append", "keyed", "removal", "noop"


@dataclass(frozen=True)
class Abstain:
    reason: str  # one line, for humans: "anchor `def load(` appears 3 times"


# (merge_text, Refuse), imported on first use: `import relace_cli.merge` stays cheap
_ENGINE: tuple = ()


def _load_engine() -> tuple:
    global _ENGINE
    from relace_cli.merge.assemble import Refuse
    from relace_cli.merge.engine import merge_text

    _ENGINE = merge_text, Refuse
    return _ENGINE


def merge(original: str, snippet: str, language: str | None = None) -> Merged | Abstain:
    """Merge *snippet* into *original*; never raises."""
    merge_text, Refuse = _ENGINE or _load_engine()
    try:
        if not isinstance(original, str) or not isinstance(snippet, str):
            return Abstain("original and snippet must be text")
        text, strategy = merge_text(original, snippet.replace("\r\n", "\n"), language)
    except Refuse as exc:
        return Abstain(" ".join(str(exc).split()) or "ambiguous snippet")
    except RecursionError:
        return Abstain("the snippet is too deeply nested to merge safely")
    except Exception as exc:  # noqa: BLE001 - the contract is to never raise
        return Abstain(f"internal error while merging ({type(exc).__name__}); not merged")
    if "\r\n" in original and "\n" not in original.replace("\r\n", ""):
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")  # (new lines too, as the file)
    return Merged(text, strategy)
