"""What people decided on a profile's alerts and near misses: the take/skip history that profile
suggestions learn from."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from data.models import DECISIONS
from data.models import MATCHES
from data.models import NEAR_MISSES
from data.models import PROFILES
from data.notice import Notice
from data.store.readers import notices_by_id


def triaged_notices(session: Session, *, profile: str) -> list[tuple[Notice, str]]:
    """(notice, ``take`` or ``skip``) for each notice the profile matched that somebody decided on:
    taken when anyone took it (one person's skip does not outvote a colleague who bid), oldest
    decision first."""
    took = sa.func.max(sa.case((DECISIONS.c.action == "take", 1), else_=0))
    query = (
        sa.select(
            MATCHES.c.notice_id, took.label("taken"), sa.func.min(DECISIONS.c.decided_at).label("first")
        )
        .join(PROFILES, PROFILES.c.id == MATCHES.c.profile_id)
        .join(DECISIONS, DECISIONS.c.notice_id == MATCHES.c.notice_id)
        .where(PROFILES.c.name == profile, MATCHES.c.matched.is_(True))
        .group_by(MATCHES.c.notice_id)
        .order_by("first", MATCHES.c.notice_id)
    )
    decided = [
        (row.notice_id, "take" if row.taken else "skip") for row in session.connection().execute(query)
    ]
    notices = notices_by_id(session, [notice_id for notice_id, _ in decided])
    return [(notices[notice_id], action) for notice_id, action in decided if notice_id in notices]


@dataclass(frozen=True)
class TakenNearMiss:
    """A near miss of a profile whose tender somebody took: a person confirmed that a word no rule
    knows (``word``, close to ``keyword``) names what the profile is for."""

    notice: Notice
    word: str
    """The title's word as written («планшетов»)."""
    keyword: str
    similarity: float


def taken_near_misses(session: Session, *, profile: str) -> list[TakenNearMiss]:
    """The profile's near misses (``near_misses``) whose tender anyone took, in any chat, oldest
    notice first."""
    taken = (
        sa.select(DECISIONS.c.id)
        .where(DECISIONS.c.notice_id == NEAR_MISSES.c.notice_id, DECISIONS.c.action == "take")
        .exists()
    )
    query = (
        sa.select(
            NEAR_MISSES.c.notice_id, NEAR_MISSES.c.word, NEAR_MISSES.c.keyword, NEAR_MISSES.c.similarity
        )
        .join(PROFILES, PROFILES.c.id == NEAR_MISSES.c.profile_id)
        .where(PROFILES.c.name == profile, taken)
        .order_by(NEAR_MISSES.c.notice_id)
    )
    found = list(session.connection().execute(query))
    notices = notices_by_id(session, [row.notice_id for row in found])
    return [
        TakenNearMiss(notices[row.notice_id], row.word, row.keyword, row.similarity)
        for row in found
        if row.notice_id in notices
    ]
