"""The profiles table: the settings' profiles synced in, the filters people make in the bot, and
the rows ``match`` and the bot read.

Specs are stored as a validated profile's JSON (``Profile.model_dump(mode="json")``); this module
does not validate them (``bidder.profiles`` does, above the data layer), it only keeps them.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlmodel import Session
from sqlmodel import select

from data.models import MATCHES
from data.models import PROFILES
from data.models import ProfileRow
from data.models import utcnow


def sync_profiles(session: Session, specs: Sequence[Mapping[str, Any]]) -> None:
    """Make the table reflect the settings' profiles (each spec with its ``name`` and ``active``):
    added, updated, deactivated when gone from the file. Does not commit."""
    now = utcnow()
    conn = session.connection()
    stored = {row.name: row for row in conn.execute(sa.select(PROFILES)).mappings().all()}
    for spec in specs:
        name = spec["name"]
        row = stored.get(name)
        # a settings profile takes over a bot-made one of the same name, owner and all
        values = {"spec": dict(spec), "origin": "settings", "active": spec["active"], "owner_user_id": None}
        if row is None:
            conn.execute(PROFILES.insert().values(name=name, created_at=now, updated_at=now, **values))
        elif any(row[k] != v for k, v in values.items()):
            conn.execute(PROFILES.update().where(PROFILES.c.id == row["id"]).values(updated_at=now, **values))
    names = {spec["name"] for spec in specs}
    gone = [row["id"] for name, row in stored.items() if row["origin"] == "settings" and name not in names]
    if gone:
        conn.execute(
            PROFILES.update()
            .where(PROFILES.c.id.in_(gone), PROFILES.c.active.is_(True))
            .values(active=False, updated_at=now)
        )


def stored_profiles(session: Session, *, active_only: bool) -> list[RowMapping]:
    """Profile rows in the order they were made (``id``, ``name``, ``spec``, ``origin``, ``active``)."""
    query = sa.select(PROFILES).order_by(PROFILES.c.id)
    if active_only:
        query = query.where(PROFILES.c.active.is_(True))
    return list(session.connection().execute(query).mappings().all())


def active_profile_rows(session: Session) -> list[ProfileRow]:
    """The active profiles by name: what the bot lists for pausing."""
    return list(
        session.exec(select(ProfileRow).where(PROFILES.c.active == sa.true()).order_by(PROFILES.c.name))
    )


class FilterNameTaken(ValueError):
    """Another person's filter or a settings profile has the name: profile names are unique."""


def own_filters(session: Session, *, user_id: int) -> list[ProfileRow]:
    """A person's filters made in the bot, by name."""
    query = select(ProfileRow).where(PROFILES.c.owner_user_id == user_id).order_by(PROFILES.c.name)
    return list(session.exec(query))


def save_filter(session: Session, *, user_id: int, name: str, spec: dict[str, Any], now: datetime) -> bool:
    """Create the person's filter, or replace the spec of theirs with that name (how it is edited);
    True when created. Matching picks it up on its next run like any ``origin = "db"`` profile.
    ``spec`` is a validated profile's JSON without its name."""
    row = session.exec(select(ProfileRow).where(PROFILES.c.name == name)).first()
    if row is not None and row.owner_user_id != user_id:
        raise FilterNameTaken(name)
    if row is None:
        session.add(
            ProfileRow(
                name=name,
                spec=spec,
                origin="db",
                owner_user_id=user_id,
                created_at=now,
                updated_at=now,
            )
        )
        return True
    row.spec, row.active, row.updated_at = spec, True, now
    session.add(row)
    return False


def own_filter(session: Session, *, user_id: int, profile_id: int) -> ProfileRow | None:
    row = session.get(ProfileRow, profile_id)
    return row if row is not None and row.owner_user_id == user_id else None


def set_filter_active(
    session: Session, *, user_id: int, profile_id: int, active: bool, now: datetime
) -> ProfileRow | None:
    row = own_filter(session, user_id=user_id, profile_id=profile_id)
    if row is not None:
        row.active, row.updated_at = active, now
        session.add(row)
    return row


def delete_filter(session: Session, *, user_id: int, profile_id: int) -> str | None:
    """Remove the person's filter and its verdicts (alerts already sent stay in the chat); its name."""
    row = own_filter(session, user_id=user_id, profile_id=profile_id)
    if row is None:
        return None
    session.connection().execute(sa.delete(MATCHES).where(MATCHES.c.profile_id == profile_id))
    session.delete(row)
    return row.name
