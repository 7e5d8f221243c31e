"""Searching stored notices the way a profile matches them: a query is a profile made on the spot.

``ноутбуки "поставка оргтехники" -ремонт`` is the profile ``keywords = ["ноутбуки", "поставка
оргтехники"]``, ``exclude = ["ремонт"]``: each word or quoted phrase an alternative, with the
matcher's morphology («ноутбуков» finds «ноутбуки»); the other filters are the profile's own keys
(``regions``, ``okpd2``, ``price_min``...), validated by the same model with the same messages. One
rule for both, so a search finds exactly what a profile with those words would alert on.

Results: open notices only (deadline ahead), those matching more of the query's words first, then
the soonest deadline.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from bidder.matcher import Match
from bidder.matcher import analyze
from bidder.matcher import compile_profiles
from bidder.profiles import Profile
from bidder.profiles import ProfileError
from bidder.profiles import parse_profiles
from bidder.reports.common import delivery_column
from bidder.reports.common import region_columns
from data.formatting import KIND_LABELS
from data.notice import Notice
from data.notice import deadline_order
from data.store import open_notices
from data.store.places import PlaceFound

SEARCH_PROFILE = "поиск"
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class Found:
    row_id: int
    notice: Notice
    match: Match
    places: tuple[PlaceFound, ...] = ()
    """The delivery regions read from its words that the match used (a head office's branch)."""


def parse_query(query: str) -> tuple[list[str], list[str]]:
    """(keywords, minus-words) of a query: words and "quoted phrases"; a leading ``-`` excludes."""
    try:
        tokens = shlex.split(query)
    except ValueError:  # an unclosed quote: read the words as they are
        tokens = query.replace('"', " ").split()
    keywords = [t for t in tokens if not t.startswith("-") and t.strip()]
    minus = [t[1:] for t in tokens if t.startswith("-") and len(t) > 1]
    return keywords, minus


def query_profile(query: str, filters: Mapping[str, Any] | None = None) -> Profile:
    """The profile a search stands for; ``ProfileError`` names what is wrong (as for settings.toml)."""
    keywords, minus = parse_query(query)
    spec: dict[str, Any] = {"name": SEARCH_PROFILE, "keywords": keywords, "exclude": minus}
    spec.update({k: v for k, v in (filters or {}).items() if v not in (None, [], "")})
    if not (spec["keywords"] or spec.get("okpd2") or spec.get("ktru")):
        raise ProfileError("nothing to search for: give words, or --okpd2 / --ktru codes")
    [profile] = parse_profiles([spec])
    return profile


def search(
    notices: Iterable[tuple[int, Notice]], profile: Profile, *, now: datetime, limit: int = DEFAULT_LIMIT
) -> list[Found]:
    """The notices the profile matches, best first (more of the query matched, then soonest deadline)."""
    matcher = compile_profiles([profile])
    found = [
        Found(row_id, notice, matches[0], tuple(view.places_found()))
        for row_id, notice in notices
        if (matches := matcher.match_view(view := analyze(notice), now=now))
    ]
    found.sort(key=lambda f: (-f.match.score, deadline_order(f.notice)))
    return found[:limit]


def search_stored(
    session: Session, profile: Profile, *, now: datetime, limit: int = DEFAULT_LIMIT
) -> list[Found]:
    """``search`` over the stored notices still open at ``now``."""
    return search(open_notices(session, now=now), profile, now=now, limit=limit)


@dataclass(frozen=True)
class SearchRow:
    """One search hit as ``tenderwatch search`` prints it."""

    score: float
    reg_number: str
    law: str
    method: str
    title: str
    customer: str
    region: str
    delivery: str
    nmck: Decimal | None
    deadline: datetime | None
    url: str
    reasons: str


def search_rows(
    session: Session, profile: Profile, *, now: datetime, limit: int = DEFAULT_LIMIT
) -> list[SearchRow]:
    return [_row(f) for f in search_stored(session, profile, now=now, limit=limit)]


def _row(found: Found) -> SearchRow:
    n = found.notice
    return SearchRow(
        score=found.match.score,
        reg_number=n.reg_number,
        law=n.law,
        method=n.method or KIND_LABELS.get(n.kind, n.kind),
        title=n.title or "",
        customer=n.customer_name or "",
        region=region_columns(n)["region_name"] or n.customer_region or "",
        delivery=delivery_column(n, found.places),
        nmck=n.nmck,
        deadline=n.submission_deadline,
        url=n.url or "",
        reasons="; ".join(found.match.reasons),
    )


FILTER_USAGE = (
    "Название: слова «фраза» -исключить; регион 77, Москва; цена 100000-3000000; закон 44; окпд2 26.20"
)
_LAWS = {
    "44": "44-FZ",
    "44-фз": "44-FZ",
    "44-fz": "44-FZ",
    "223": "223-FZ",
    "223-фз": "223-FZ",
    "223-fz": "223-FZ",
}


def filter_profile(text: str, *, chat_id: int) -> Profile:
    """A personal filter written in one line (``FILTER_USAGE``): the name before the colon, the
    words as a search reads them, then optional «регион», «цена», «закон», «окпд2» parts; its
    alerts go to ``chat_id``. Validated by the profile model, like every profile."""
    name, colon, rest = text.partition(":")
    parts = [p.strip() for p in rest.split(";") if p.strip()]
    if not colon or not name.strip() or not parts:
        raise ProfileError(f"write it as: {FILTER_USAGE}")
    keywords, minus = parse_query(parts[0])
    spec: dict[str, Any] = {"name": name.strip(), "keywords": keywords, "exclude": minus, "chats": [chat_id]}
    for part in parts[1:]:
        key, _, value = part.partition(" ")
        values = [v.strip() for v in value.split(",") if v.strip()]
        key = key.lower()
        if key.startswith("регион"):
            spec["regions"] = values
        elif key.startswith("цен"):
            low, _, high = value.replace(" ", "").replace("\u00a0", "").partition("-")
            spec["price_min"], spec["price_max"] = low or None, high or None
        elif key.startswith("закон"):
            spec["laws"] = [_LAWS.get(v.lower(), v) for v in values]
        elif key.startswith("окпд"):
            spec["okpd2"] = values
        else:
            raise ProfileError(f"«{key}» is not a part of a filter (регион, цена, закон, окпд2)")
    [profile] = parse_profiles([spec])
    return profile
