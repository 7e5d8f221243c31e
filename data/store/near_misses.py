"""The ``near_misses`` table: notices a profile nearly matched by meaning, one row per pair.

``tenderwatch.matching`` finds them (``bidder.near_miss``) for each notice it matches and replaces
that notice's rows, so a notice that now matches a profile, or no longer lies close to it, loses
its row; rows of notices not matched again are left as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from data.models import MATCHES
from data.models import NEAR_MISSES
from data.models import PROFILES


@dataclass(frozen=True)
class NearMissFound:
    profile_id: int
    similarity: float
    keyword: str
    word: str


def replace_near_misses(
    conn: sa.Connection, *, notice_id: int, found: Sequence[NearMissFound], now: datetime
) -> int:
    """Make the notice's rows exactly ``found``; returns how many rows are new."""
    stored = {
        row.profile_id: row
        for row in conn.execute(sa.select(NEAR_MISSES).where(NEAR_MISSES.c.notice_id == notice_id))
    }
    keep = {f.profile_id for f in found}
    gone = [row.id for pid, row in stored.items() if pid not in keep]
    if gone:
        conn.execute(sa.delete(NEAR_MISSES).where(NEAR_MISSES.c.id.in_(gone)))
    new = 0
    for f in found:
        values = {"similarity": f.similarity, "keyword": f.keyword, "word": f.word}
        row = stored.get(f.profile_id)
        if row is None:
            conn.execute(
                NEAR_MISSES.insert().values(
                    notice_id=notice_id, profile_id=f.profile_id, created_at=now, updated_at=now, **values
                )
            )
            new += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            conn.execute(
                NEAR_MISSES.update().where(NEAR_MISSES.c.id == row.id).values(updated_at=now, **values)
            )
    return new


def matched_by_rules() -> sa.Exists:
    """Whether the near miss's profile matches its notice by the rules after all (a correlated
    ``EXISTS`` on ``matches``): such a row is no near miss to show or send."""
    return (
        sa.select(MATCHES.c.id)
        .where(
            MATCHES.c.notice_id == NEAR_MISSES.c.notice_id,
            MATCHES.c.profile_id == NEAR_MISSES.c.profile_id,
            MATCHES.c.matched == sa.true(),
        )
        .exists()
    )


def near_misses_of(session: Session, *, notice_id: int) -> list[tuple[str, float, str, str]]:
    """(profile, similarity, keyword, title word) of the notice's near misses, closest first."""
    query = (
        sa.select(PROFILES.c.name, NEAR_MISSES.c.similarity, NEAR_MISSES.c.keyword, NEAR_MISSES.c.word)
        .join(PROFILES, PROFILES.c.id == NEAR_MISSES.c.profile_id)
        .where(NEAR_MISSES.c.notice_id == notice_id)
        .order_by(NEAR_MISSES.c.similarity.desc(), PROFILES.c.name)
    )
    return [(row[0], row[1], row[2], row[3]) for row in session.execute(query)]
