"""The bot's reads and writes of stored state: chats, the allow-list, decisions, match reasons, status.

Keyword-only functions taking a session, like ``data.store``; they live here because only the bot
uses them. Telegram ids (``CHATS.c.chat_id``, user ids) are distinct from the table's own ``id``,
which is what ``outbox.chat_id`` and ``decisions.chat_id`` reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session
from sqlmodel import select

from data.db import upsert_into
from data.formatting import person_label
from data.models import ALLOWED_USERS
from data.models import CHATS
from data.models import CRAWL_RUNS
from data.models import DECISIONS
from data.models import MATCHES
from data.models import NOTICES
from data.models import OUTBOX
from data.models import PROFILES
from data.models import AllowedUser
from data.models import ChatRow
from data.models import CrawlRun
from data.models import DecisionRow
from data.models import MatchRow
from data.models import NoticeRow
from data.models import OutboxRow
from data.models import ProfileRow
from data.models import utcnow


@dataclass(frozen=True)
class Decision:
    """One person's take or skip of a tender, as the alert shows it."""

    user_name: str
    action: str
    decided_at: datetime


def chat_type_of(chat_id: int) -> str:
    return "group" if chat_id < 0 else "private"


def get_chat(session: Session, *, chat_id: int) -> ChatRow | None:
    return session.exec(select(ChatRow).where(CHATS.c.chat_id == chat_id)).first()


def get_chat_by_row(session: Session, row_id: int) -> ChatRow:
    """The chat an outbox or decision row points at (they reference the table id, not Telegram's)."""
    return session.get_one(ChatRow, row_id)


def follow_migration(session: Session, chat: ChatRow) -> ChatRow:
    """The live row a chat id now answers to: a group upgraded to a supergroup leaves its old id
    behind as a retired row pointing (``migrated_to_chat_id``, possibly in a chain) at the new one.

    Settings and profiles keep naming the old id until an admin edits them, so every lookup of a
    configured id must land on the live row, or alerts would go to a chat Telegram refuses.
    """
    seen = {chat.chat_id}
    while chat.migrated_to_chat_id is not None and chat.migrated_to_chat_id not in seen:
        target = get_chat(session, chat_id=chat.migrated_to_chat_id)
        if target is None:
            break
        seen.add(target.chat_id)
        chat = target
    return chat


def ensure_chat(
    session: Session, *, chat_id: int, type: str | None = None, title: str | None = None
) -> ChatRow:
    """The chat's live row (following a supergroup migration), created on first sight.

    Type and title are refreshed when Telegram tells them, but only on the row of that very id
    (an update from the old group must not relabel the supergroup).
    """
    chat = get_chat(session, chat_id=chat_id)
    if chat is not None and chat.migrated_to_chat_id not in (None, chat.chat_id):
        return follow_migration(session, chat)
    if chat is None:
        # INSERT ... ON CONFLICT DO NOTHING: another process may be creating the same chat right now.
        row = ChatRow(chat_id=chat_id, type=type or chat_type_of(chat_id), title=title)
        values = row.model_dump(exclude={"id"})
        session.execute(
            upsert_into(session, CHATS).values(values).on_conflict_do_nothing(index_elements=["chat_id"])
        )
        chat = get_chat(session, chat_id=chat_id)
        assert chat is not None
        return chat
    changed = False
    if type and chat.type != type:
        chat.type, changed = type, True
    if title and chat.title != title:
        chat.title, changed = title, True
    if changed:
        chat.updated_at = utcnow()
        session.add(chat)
    return chat


def set_chat_flags(session: Session, *, chat_id: int, **flags: object) -> ChatRow:
    """Update ``muted``/``active``/``allowed``/``paused_profiles`` of a chat (created if unknown)."""
    chat = ensure_chat(session, chat_id=chat_id)
    for name, value in flags.items():
        if name not in ("muted", "active", "allowed", "paused_profiles", "added_by"):
            raise ValueError(f"chat flag {name!r} cannot be set")
        setattr(chat, name, value)
    chat.updated_at = utcnow()
    session.add(chat)
    session.flush()
    return chat


def migrate_chat(session: Session, *, old_chat_id: int, new_chat_id: int) -> ChatRow:
    """A group became a supergroup: its row (outbox, decisions, flags) now answers to the new id.

    The old id stays behind as a retired row (inactive, ``migrated_to_chat_id`` set), so later
    lookups of it resolve to the live one. If the new id already has a row (someone used the bot in
    the supergroup first), the old row itself is retired and its unsent rows move to the new one.
    """
    chat = ensure_chat(session, chat_id=old_chat_id)
    target = get_chat(session, chat_id=new_chat_id)
    now = utcnow()
    if target is None or target.id == chat.id:
        old_id, old_type, old_title = chat.chat_id, chat.type, chat.title
        chat.chat_id = new_chat_id
        chat.type = "supergroup"
        chat.migrated_to_chat_id = new_chat_id
        chat.updated_at = now
        session.add(chat)
        session.flush()
        if old_id != new_chat_id:
            # A retired row keeps the old id answering (settings still name it): see follow_migration.
            retired = ChatRow(chat_id=old_id, type=old_type, title=old_title, active=False, created_at=now)
            retired.migrated_to_chat_id, retired.updated_at = new_chat_id, now
            session.add(retired)
            session.flush()
        return chat
    existing = {
        (r.notice_id, r.kind, r.event_key)
        for r in session.exec(select(OutboxRow).where(OUTBOX.c.chat_id == target.id)).all()
    }
    for row in session.exec(
        select(OutboxRow).where(OUTBOX.c.chat_id == chat.id, OUTBOX.c.status.in_(("pending", "claimed")))
    ).all():
        if (row.notice_id, row.kind, row.event_key) not in existing and target.id is not None:
            row.chat_id = target.id
            row.updated_at = now
            session.add(row)
    chat.active = False
    chat.migrated_to_chat_id = new_chat_id
    chat.updated_at = now
    target.allowed = target.allowed or chat.allowed
    session.add_all([chat, target])
    session.flush()
    return target


def allowed_user_ids(session: Session) -> set[int]:
    return set(session.exec(select(ALLOWED_USERS.c.user_id)).all())


def allowed_chat_ids(session: Session) -> set[int]:
    return set(session.exec(select(CHATS.c.chat_id).where(CHATS.c.allowed == sa.true())).all())


def allow_user(session: Session, *, user_id: int, added_by: int) -> bool:
    """Admit a user; False when already admitted."""
    if session.exec(select(AllowedUser).where(ALLOWED_USERS.c.user_id == user_id)).first():
        return False
    session.add(AllowedUser(user_id=user_id, added_by=added_by))
    session.flush()
    return True


def allow_chat(session: Session, *, chat_id: int, added_by: int) -> bool:
    chat = ensure_chat(session, chat_id=chat_id)
    if chat.allowed:
        return False
    set_chat_flags(session, chat_id=chat_id, allowed=True, added_by=added_by)
    return True


def record_decision(
    session: Session,
    *,
    notice_id: int,
    chat_row_id: int,
    user_id: int,
    user_name: str,
    action: str,
    now: datetime | None = None,
) -> bool:
    """Store a person's take/skip; True when it changed something (a repeated tap changes nothing)."""
    row = session.exec(
        select(DecisionRow).where(
            DECISIONS.c.notice_id == notice_id,
            DECISIONS.c.chat_id == chat_row_id,
            DECISIONS.c.user_id == user_id,
        )
    ).first()
    if row is not None and row.action == action:
        return False
    if row is None:
        row = DecisionRow(notice_id=notice_id, chat_id=chat_row_id, user_id=user_id, action=action)
    row.action = action
    row.user_name = user_name
    row.decided_at = now or utcnow()
    session.add(row)
    session.flush()
    return True


def decisions_for(session: Session, *, notice_id: int, chat_row_id: int) -> list[Decision]:
    rows = session.exec(
        select(DecisionRow)
        .where(DECISIONS.c.notice_id == notice_id, DECISIONS.c.chat_id == chat_row_id)
        .order_by(DECISIONS.c.decided_at, DECISIONS.c.id)
    ).all()
    return [Decision(person_label(r.user_name, r.user_id), r.action, r.decided_at) for r in rows]


def taken_by(session: Session, *, user_id: int) -> list[tuple[NoticeRow, DecisionRow]]:
    """Tenders a person took (in any chat), soonest deadline first."""
    rows = session.exec(
        select(NoticeRow, DecisionRow)
        .join(DecisionRow, DECISIONS.c.notice_id == NOTICES.c.id)
        .where(DECISIONS.c.user_id == user_id, DECISIONS.c.action == "take")
    ).all()
    far = datetime.max.replace(tzinfo=utcnow().tzinfo)
    return sorted(rows, key=lambda pair: (pair[0].submission_deadline or far, pair[0].id or 0))


def match_reasons(session: Session, *, notice_id: int) -> dict[str, list[object]]:
    """Why a notice matched, per profile name (only matches, only active profiles)."""
    rows = session.exec(
        select(PROFILES.c.name, MATCHES.c.reasons)
        .join(MatchRow, MATCHES.c.profile_id == PROFILES.c.id)
        .where(
            MATCHES.c.notice_id == notice_id, MATCHES.c.matched == sa.true(), PROFILES.c.active == sa.true()
        )
        .order_by(PROFILES.c.name)
    ).all()
    return {name: list(reasons or []) for name, reasons in rows}


def notice_by_reg_number(session: Session, *, reg_number: str) -> NoticeRow | None:
    return session.exec(select(NoticeRow).where(NOTICES.c.reg_number == reg_number)).first()


def matches_since(session: Session, *, since: datetime) -> list[NoticeRow]:
    """Notices that matched any active profile since ``since`` (for /digest), newest first."""
    rows = session.exec(
        select(NoticeRow)
        .join(MatchRow, MATCHES.c.notice_id == NOTICES.c.id)
        .join(ProfileRow, PROFILES.c.id == MATCHES.c.profile_id)
        .where(MATCHES.c.matched == sa.true(), MATCHES.c.updated_at >= since, PROFILES.c.active == sa.true())
        .order_by(NOTICES.c.published_at.desc(), NOTICES.c.id.desc())
        .distinct()
    ).all()
    return list(rows)


@dataclass(frozen=True)
class Status:
    last_crawls: Sequence[CrawlRun]
    outbox: dict[str, int]
    recent_errors: Sequence[tuple[str, str]]


def status(session: Session, *, errors: int = 5) -> Status:
    """For /status: last crawl per source, outbox rows per status, the latest delivery errors."""
    latest = (
        select(CRAWL_RUNS.c.source, sa.func.max(CRAWL_RUNS.c.started_at).label("started"))
        .group_by(CRAWL_RUNS.c.source)
        .subquery()
    )
    crawls = session.exec(
        select(CrawlRun)
        .join(
            latest,
            sa.and_(CRAWL_RUNS.c.source == latest.c.source, CRAWL_RUNS.c.started_at == latest.c.started),
        )
        .order_by(CRAWL_RUNS.c.source)
    ).all()
    counts: dict[str, int] = {
        status: count
        for status, count in session.execute(
            sa.select(OUTBOX.c.status, sa.func.count()).group_by(OUTBOX.c.status)
        ).all()
    }
    failures = session.exec(
        select(NOTICES.c.reg_number, OUTBOX.c.last_error)
        .join(NoticeRow, NOTICES.c.id == OUTBOX.c.notice_id)
        .where(OUTBOX.c.status.in_(("failed", "parked")))
        .order_by(OUTBOX.c.updated_at.desc())
        .limit(errors)
    ).all()
    return Status(list(crawls), counts, [(reg, err or "") for reg, err in failures])
