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
from sqlmodel import Session, select

from data.models import MATCHES, NEAR_MISSES, NOTICES, PROFILES, NearMissRow, NoticeRow, ProfileRow


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


def near_misses_found(
    session: Session, *, start: datetime | None, end: datetime | None, profile: str | None
) -> list[tuple[NearMissRow, NoticeRow, str]]:
    """Near misses found in [``start``, ``end``) of active profiles (of ``profile`` alone when
    given), closest first within each day found, none that the profile matches by its rules."""
    matched = (
        sa.select(MATCHES.c.id)
        .where(
            MATCHES.c.notice_id == NEAR_MISSES.c.notice_id,
            MATCHES.c.profile_id == NEAR_MISSES.c.profile_id,
            MATCHES.c.matched == sa.true(),
        )
        .exists()
    )
    query = (
        select(NearMissRow, NoticeRow, PROFILES.c.name)
        .join(NoticeRow, NOTICES.c.id == NEAR_MISSES.c.notice_id)
        .join(ProfileRow, PROFILES.c.id == NEAR_MISSES.c.profile_id)
        .where(PROFILES.c.active == sa.true(), ~matched)
        .order_by(NEAR_MISSES.c.created_at.desc(), NEAR_MISSES.c.similarity.desc(), NEAR_MISSES.c.id)
    )
    if start is not None:
        query = query.where(NEAR_MISSES.c.created_at >= start)
    if end is not None:
        query = query.where(NEAR_MISSES.c.created_at < end)
    if profile is not None:
        query = query.where(PROFILES.c.name == profile)
    return list(session.exec(query))
