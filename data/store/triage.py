"""What people decided on a profile's alerts: the take/skip history that profile suggestions learn from."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from data.models import DECISIONS, MATCHES, PROFILES
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
