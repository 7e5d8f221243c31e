"""What a match says: the results (``Match``, ``Explanation``), the scores, and the Russian wording of
reasons (money, regions, keyword hits) that every rule and the bot share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bidder.errors import BidderError
from bidder.keywords import KeywordPattern
from data.reference.regions import region_name

SCORE_CODE = 0.6
SCORE_KEYWORD = 0.25
SCORE_PHRASE = 0.35
_MAX_LISTED = 5


class MatcherError(BidderError, ValueError):
    """The matcher was called with something it cannot use (e.g. a naive ``now``)."""


@dataclass(frozen=True, slots=True)
class Match:
    """A profile that matched a notice: what the store keeps and the bot shows."""

    profile: str
    score: float
    reasons: tuple[str, ...]
    chats: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a profile does or does not match a notice: what held (reasons) and what failed."""

    profile: str
    matched: bool
    score: float
    reasons: tuple[str, ...]
    failures: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    found: str


@lru_cache(maxsize=256)
def _region_label(code: str) -> str:
    name = region_name(code)
    return f"{code} — {name}" if name else code


def _listed(values: Sequence[str]) -> str:
    shown = ", ".join(values[:_MAX_LISTED])
    return shown + (f" и ещё {len(values) - _MAX_LISTED}" if len(values) > _MAX_LISTED else "")


def _keyword_reason(pattern: KeywordPattern, hit: _Hit, *, veto: bool, synonym: str = "") -> str:
    """«ключевое слово «ноутбук» — в тексте «ноутбуков»»; ``synonym`` when a synonym of the keyword
    was found: «… — в тексте «ПК» (синоним: «ПК» → «персональный компьютер»)»."""
    if veto:
        noun = "исключающая фраза" if pattern.is_phrase else "исключающее слово"
    else:
        noun = "фраза" if pattern.is_phrase else "ключевое слово"
    via = f" (синоним: {synonym})" if synonym else ""
    return f"{noun} «{pattern.text}» — в тексте «{hit.found}»{via}"
