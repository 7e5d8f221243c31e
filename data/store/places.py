"""The ``notice_places`` table: delivery regions read from a notice's words, with where they stand.

``bidder.places`` reads them and the matcher uses them in place of the card's regions when the card
names none or only the customer's own (a head office buying for a branch); ``tenderwatch.matching``
stores what the matcher used, so alerts, reports and exports show the place without lemmatizing
the notice again. A notice matched again gets exactly its new set.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from data.models import NOTICE_PLACES
from data.store.rows import _chunks

PLACE_SOURCES = ("title", "position")


@dataclass(frozen=True)
class PlaceFound:
    region: str
    source: str
    """``title``, or ``position`` for a position's name."""
    words: str
    """The words naming it, as written («Новосибирске»)."""


def places_of(conn: sa.Connection, notice_ids: Iterable[int]) -> dict[int, list[PlaceFound]]:
    """The stored places of each notice (an empty list for one without), in region order."""
    ids = list(dict.fromkeys(notice_ids))
    found: dict[int, list[PlaceFound]] = {notice_id: [] for notice_id in ids}
    columns = [NOTICE_PLACES.c[name] for name in ("notice_id", "region", "source", "words")]
    for chunk in _chunks(ids):
        query = (
            sa.select(*columns)
            .where(NOTICE_PLACES.c.notice_id.in_(chunk))
            .order_by(NOTICE_PLACES.c.notice_id, NOTICE_PLACES.c.region)
        )
        for notice_id, region, source, words in conn.execute(query):
            found[notice_id].append(PlaceFound(region, source, words))
    return found


def replace_notice_places(
    conn: sa.Connection,
    *,
    notice_id: int,
    found: Sequence[PlaceFound],
    stored: Sequence[PlaceFound],
    now: datetime,
) -> bool:
    """Make the notice's rows exactly ``found`` (``stored``: its rows now, from ``places_of``);
    whether anything was written."""
    wanted = sorted(set(found), key=lambda p: p.region)
    if wanted == list(stored):
        return False
    unknown = [p.source for p in wanted if p.source not in PLACE_SOURCES]
    if unknown:
        raise ValueError(f"notice {notice_id}: place source {unknown[0]!r} is none of {PLACE_SOURCES}")
    conn.execute(sa.delete(NOTICE_PLACES).where(NOTICE_PLACES.c.notice_id == notice_id))
    rows = [
        dict(notice_id=notice_id, found_at=now, region=p.region, source=p.source, words=p.words[:256])
        for p in wanted
    ]
    if rows:
        conn.execute(sa.insert(NOTICE_PLACES), rows)
    return True


def notices_placed_in(conn: sa.Connection, region: str) -> set[int]:
    """The notices whose words name ``region`` as where they deliver: a report's region filter
    counts them in, as the matcher did."""
    query = sa.select(NOTICE_PLACES.c.notice_id).where(NOTICE_PLACES.c.region == region)
    return set(conn.execute(query).scalars())
