"""The outbox: what to send, written by the enqueue functions, drained by the notifier.

Exactly-once rests on two things. Rows are unique per (notice, chat, kind, event) in the
database, so enqueueing twice (or from two processes) inserts nothing new. And each row moves
``pending -> claimed -> sent|failed|parked`` with the claim committed before the HTTP request and
the outcome committed after it. The claim has two phases, kept in ``claim_token``:

* ``c:<token>`` claimed, request not started. A crash here is safe: the row goes back to pending.
* ``s:<token>`` the request may be on the wire. A crash here is the one window the Bot API cannot
  close: ``sendMessage`` has no idempotency key and a bot cannot read its own chat history, so
  after a restart nobody can tell whether Telegram delivered it. Such rows are *parked* (never
  resent, so never duplicated) with a reason that ``/status`` shows; an admin can requeue them.
  The window is one HTTP request long: the ``s:`` mark is committed by the rate limiter at the
  moment the request leaves (after any wait for a slot or a flood wait, which can last seconds),
  and the outcome immediately after the answer.

Each claim names its owner (``claim_owner``, the notifier process, see ``data.process``). A
restart on the same host takes back the claims of a process that is gone at once; claims of a
live process, or of one on another host, wait for the lease (``recover_stale_claims``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from collections.abc import Sequence
from datetime import datetime
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session
from sqlmodel import select

from data.db import rows_changed
from data.db import upsert_into
from data.models import CHATS
from data.models import DECISIONS
from data.models import MATCHES
from data.models import NEAR_MISSES
from data.models import NOTICE_CHANGES
from data.models import NOTICES
from data.models import OUTBOX
from data.models import PROFILES
from data.models import ChatRow
from data.models import DecisionRow
from data.models import NoticeChange
from data.models import OutboxRow
from data.models import utcnow
from data.notice import Stage
from data.notice import stage_of
from data.process import is_gone
from data.process import this_process
from data.store.chats import ensure_chat
from data.store.near_misses import matched_by_rules

log = logging.getLogger(__name__)

CHANGE_FIELDS = ("submission_deadline", "nmck", "status", "version")
"""Changes worth telling whoever took the tender (deadline moved, price, cancelled, new version)."""

UNKNOWN_DELIVERY = "interrupted while sending: delivery unknown, parked to avoid a duplicate"
FORBIDDEN = "forbidden: "
"""Prefix of ``last_error`` on rows parked because the chat blocked or removed the bot."""
CHAT_UNREACHABLE = "chat unreachable: "
"""Prefix of ``last_error`` on rows parked because Telegram does not know the chat or lets the bot
not write there (400 "chat not found": a user who never started the bot, a deleted group)."""
CHAT_GONE = (FORBIDDEN, CHAT_UNREACHABLE)
UNCLAIMED: dict[str, Any] = {"claim_token": None, "claim_owner": None, "claimed_at": None}
"""What a row holds once no notifier holds it."""
"""Rows parked for one of these reasons were certainly never delivered: safe to send again."""


def new_claim_token() -> str:
    return uuid.uuid4().hex


def _insert_ignoring_duplicates(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """INSERT … ON CONFLICT DO NOTHING on the outbox key; returns how many rows were new."""
    if not rows:
        return 0
    statement = (
        upsert_into(session, OUTBOX)
        .values(list(rows))
        .on_conflict_do_nothing(index_elements=["notice_id", "chat_id", "kind", "event_key"])
        .returning(OUTBOX.c.id)
    )
    # RETURNING counts what was really inserted on every backend (rowcount does not, for all drivers).
    return len(session.execute(statement).all())


def _outbox_values(
    notice_id: int, chat_row_id: int, kind: str, event_key: str, payload: dict[str, Any]
) -> dict[str, Any]:
    now = utcnow()
    return {
        "notice_id": notice_id,
        "chat_id": chat_row_id,
        "kind": kind,
        "event_key": event_key,
        "status": "pending",
        "attempts": 0,
        "payload": payload,
        "created_at": now,
        "updated_at": now,
    }


def _deliverable(chat: ChatRow) -> bool:
    return chat.active and not chat.muted


def _configured_chat(session: Session, chat_id: int) -> ChatRow:
    """A chat named in settings or a profile, resolved to its live row (supergroup migration)."""
    chat = ensure_chat(session, chat_id=chat_id)
    if chat.chat_id != chat_id:
        log.info(
            "configured chat %s has migrated to %s: alerts go there; update the settings/profile chats",
            chat_id,
            chat.chat_id,
        )
    return chat


def mark_seeded(session: Session, *, after_id: int, now: datetime) -> int:
    """Record the alert rows created after ``after_id`` as delivered without sending them: a new
    install's first crawl is not a flood of old tenders (``tenderwatch.seeding``)."""
    rows = session.exec(
        select(OutboxRow).where(
            OUTBOX.c.id > after_id,
            OUTBOX.c.kind == "alert",
            OUTBOX.c.status == "pending",
        )
    ).all()
    for row in rows:
        row.status = "sent"
        row.payload = {**row.payload, "seeded": True}
        row.updated_at = now
        session.add(row)
    session.flush()
    return len(rows)


def last_row_id(session: Session) -> int:
    """The newest row's id (0 when empty): rows made after it are what one enqueue wrote."""
    return session.scalar(sa.select(sa.func.max(OUTBOX.c.id))) or 0


def enqueue_matches(
    session: Session,
    *,
    default_chats: Sequence[int] = (),
    since: datetime | None = None,
    now: datetime | None = None,
) -> int:
    """Turn stored matches into alert rows, one per (notice, chat); returns how many are new.

    A profile's alerts go to its ``chats`` (from its spec), else to ``default_chats``. Skipped:
    muted or inactive chats, profiles paused in that chat, tenders whose deadline has passed or
    that are cancelled. Idempotent: re-running (or a concurrent run) inserts nothing twice.
    """
    now = now or utcnow()
    query = _routed(MATCHES).where(MATCHES.c.matched == sa.true())
    if since is not None:
        query = query.where(MATCHES.c.updated_at >= since)
    return _enqueue_routed(session, query, "alert", default_chats, now, "new alerts")


def enqueue_near_misses(
    session: Session, *, default_chats: Sequence[int] = (), since: datetime, now: datetime | None = None
) -> int:
    """Near misses found since ``since`` (``near_misses``) -> one «Возможно, интересно» row per
    (notice, chat), routed like alerts; none for a notice a profile of that chat now matches."""
    now = now or utcnow()
    query = _routed(NEAR_MISSES).where(NEAR_MISSES.c.updated_at >= since, ~matched_by_rules())
    return _enqueue_routed(session, query, "near_miss", default_chats, now, "near misses")


def _routed(table: sa.Table) -> sa.Select[Any]:
    """(notice id, profile, spec, deadline, status) of ``table``'s (notice, profile) rows of active
    profiles: what ``_routes`` reads."""
    return (
        sa.select(
            table.c.notice_id,
            PROFILES.c.name,
            PROFILES.c.spec,
            NOTICES.c.submission_deadline,
            NOTICES.c.status,
        )
        .join(PROFILES, PROFILES.c.id == table.c.profile_id)
        .join(NOTICES, NOTICES.c.id == table.c.notice_id)
        .where(PROFILES.c.active == sa.true())
        .order_by(table.c.notice_id, PROFILES.c.name)
    )


def _enqueue_routed(
    session: Session, query: sa.Select[Any], kind: str, default_chats: Sequence[int], now: datetime, what: str
) -> int:
    targets = _routes(session, session.execute(query).all(), default_chats, now)
    rows = [_outbox_values(n, c, kind, "", {"profiles": p}) for (n, c), p in targets.items()]
    created = _insert_ignoring_duplicates(session, rows)
    _log_enqueued(created, what, candidates=len(rows))
    return created


def _routes(
    session: Session, found: Sequence[Any], default_chats: Sequence[int], now: datetime
) -> dict[tuple[int, int], list[str]]:
    """(notice, chat row) -> profiles, for rows of (notice id, profile, spec, deadline, status): a
    profile's ``chats`` or ``default_chats``; not muted or inactive chats, not profiles paused in
    the chat, not tenders past their deadline or cancelled."""
    targets: dict[tuple[int, int], list[str]] = {}
    chats: dict[int, ChatRow] = {}
    for notice_id, profile, spec, deadline, status in found:
        if (deadline is not None and deadline <= now) or stage_of(status) is Stage.CANCELLED:
            continue
        for chat_id in (spec or {}).get("chats") or default_chats:
            chat = chats.get(chat_id) or _configured_chat(session, int(chat_id))
            chats[chat_id] = chat
            if _deliverable(chat) and profile not in (chat.paused_profiles or []):
                targets.setdefault((notice_id, chat.id or 0), []).append(profile)
    return targets


def _log_enqueued(created: int, what: str, *, candidates: int | None = None) -> None:
    """Something enqueued is news (INFO); nothing enqueued, every few seconds in ``bot``, is not."""
    extra = f" ({candidates} candidates)" if candidates is not None else ""
    log.log(logging.INFO if created else logging.DEBUG, "enqueued %d %s%s", created, what, extra)


def _takers(session: Session, notice_ids: Iterable[int]) -> dict[int, list[DecisionRow]]:
    found: dict[int, list[DecisionRow]] = {}
    ids = list(notice_ids)
    if not ids:
        return found
    for row in session.exec(
        select(DecisionRow).where(DECISIONS.c.notice_id.in_(ids), DECISIONS.c.action == "take")
    ).all():
        found.setdefault(row.notice_id, []).append(row)
    return found


def recipient_chat(session: Session, decision: DecisionRow) -> ChatRow | None:
    """Where to tell a taker: their private chat with the bot if they have one, else where they took it."""
    private = session.exec(
        select(ChatRow).where(CHATS.c.chat_id == decision.user_id, CHATS.c.active == sa.true())
    ).first()
    if private is not None:
        return private
    chat = session.get(ChatRow, decision.chat_id)
    return chat if chat is not None and chat.active else None


def _enqueue_for_takers(
    session: Session,
    takers: Sequence[DecisionRow],
    *,
    notice_id: int,
    kind: str,
    key: str,
    payload: dict[str, Any],
) -> list[dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    for decision in takers:
        chat = recipient_chat(session, decision)
        if chat is None or chat.id is None:
            continue
        row = rows.setdefault(
            chat.id, _outbox_values(notice_id, chat.id, kind, key, {**payload, "users": []})
        )
        row["payload"]["users"].append({"id": decision.user_id, "name": decision.user_name})
    return list(rows.values())


def enqueue_changes(session: Session, *, since: datetime | None = None) -> int:
    """Changes (deadline, price, status/cancellation, new version) of taken tenders -> 'change' rows.

    One row per (notice, recipient chat, change set); a change set is what one store update wrote
    (same notice, same ``changed_at``). Only changes after the person took the tender count.
    """
    query = (
        select(NoticeChange).where(NOTICE_CHANGES.c.field.in_(CHANGE_FIELDS)).order_by(NOTICE_CHANGES.c.id)
    )
    if since is not None:
        query = query.where(NOTICE_CHANGES.c.changed_at >= since)
    groups: dict[tuple[int, datetime], list[NoticeChange]] = {}
    for change in session.exec(query).all():
        groups.setdefault((change.notice_id, change.changed_at), []).append(change)
    takers = _takers(session, {notice_id for notice_id, _ in groups})
    rows: list[dict[str, Any]] = []
    for (notice_id, changed_at), changes in groups.items():
        eligible = [d for d in takers.get(notice_id, []) if d.decided_at <= changed_at]
        payload = {
            "changes": [{"field": c.field, "old": c.old_value, "new": c.new_value} for c in changes],
        }
        key = f"c{changes[0].id}"
        rows += _enqueue_for_takers(
            session, eligible, notice_id=notice_id, kind="change", key=key, payload=payload
        )
    created = _insert_ignoring_duplicates(session, rows)
    _log_enqueued(created, "change alerts")
    return created


def reminder_offsets(days: Sequence[int], hours: Sequence[int]) -> list[tuple[str, timedelta]]:
    """('3d', 3 days), ('3h', 3 hours) …, nearest to the deadline first."""
    offsets = [(f"{d}d", timedelta(days=d)) for d in days] + [(f"{h}h", timedelta(hours=h)) for h in hours]
    return sorted(offsets, key=lambda item: item[1])


def due_reminder(deadline: datetime, now: datetime, offsets: Sequence[tuple[str, timedelta]]) -> str | None:
    """The nearest-to-deadline offset already reached (only one, so a late start does not send three)."""
    if now >= deadline:
        return None
    for key, offset in offsets:
        if now >= deadline - offset:
            return key
    return None


def enqueue_reminders(
    session: Session, *, now: datetime, days: Sequence[int] = (3, 1), hours: Sequence[int] = (3,)
) -> int:
    """Deadline reminders for taken tenders, ``days`` days and ``hours`` hours before submission closes."""
    offsets = reminder_offsets(days, hours)
    if not offsets:
        return 0
    horizon = now + offsets[-1][1]
    notices = session.exec(
        select(NOTICES.c.id, NOTICES.c.submission_deadline, NOTICES.c.status)
        .join(DecisionRow, DECISIONS.c.notice_id == NOTICES.c.id)
        .where(
            DECISIONS.c.action == "take",
            NOTICES.c.submission_deadline > now,
            NOTICES.c.submission_deadline <= horizon,
        )
        .distinct()
    ).all()
    takers = _takers(session, [n for n, _, _ in notices])
    rows: list[dict[str, Any]] = []
    for notice_id, deadline, status in notices:
        key = due_reminder(deadline, now, offsets)
        if key is None or stage_of(status) is Stage.CANCELLED:
            continue
        rows += _enqueue_for_takers(
            session, takers.get(notice_id, []), notice_id=notice_id, kind="reminder", key=key, payload={}
        )
    created = _insert_ignoring_duplicates(session, rows)
    _log_enqueued(created, "deadline reminders")
    return created


def ensure_alert_row(session: Session, *, notice_id: int, chat_row_id: int, now: datetime) -> OutboxRow:
    """The chat's alert row for a notice, recorded as delivered now if the chat never got one.

    Buttons are bound to outbox rows; a card opened with /tender becomes the chat's alert, so a
    later drain does not send the same tender there again.
    """
    query = select(OutboxRow).where(
        OUTBOX.c.notice_id == notice_id,
        OUTBOX.c.chat_id == chat_row_id,
        OUTBOX.c.kind == "alert",
        OUTBOX.c.event_key == "",
    )
    row = session.exec(query).first()
    if row is None:
        values = _outbox_values(notice_id, chat_row_id, "alert", "", {"opened_by_command": True})
        values.update(status="sent", sent_at=now)
        _insert_ignoring_duplicates(session, [values])
        row = session.exec(query).one()
    return row


def alert_row_ids(session: Session, *, chat_id: int, notice_ids: Sequence[int], now: datetime) -> list[int]:
    """This chat's alert rows for the notices (``ensure_alert_row``), in their order: what the
    «N ▸» buttons of a listing bind to."""
    chat = ensure_chat(session, chat_id=chat_id)
    return [
        ensure_alert_row(session, notice_id=n, chat_row_id=chat.id or 0, now=now).id or 0 for n in notice_ids
    ]


# --- claim and settle ---------------------------------------------------------------------------


def recover_stale_claims(session: Session, *, older_than: datetime) -> tuple[int, int]:
    """After a crash: claimed-not-sending rows go back to pending; maybe-sent rows are parked.

    Returns (requeued, parked). Touched are the claims of owners known to be gone (a process of
    this host that no longer runs: at once) and any claim older than ``older_than`` (the lease:
    an owner on another host, or none recorded). A live notifier's claims are left alone.
    """
    owners = session.exec(select(OUTBOX.c.claim_owner).where(OUTBOX.c.status == "claimed").distinct()).all()
    gone = [owner for owner in owners if owner is not None and is_gone(owner)]
    stale = (OUTBOX.c.status == "claimed") & sa.or_(
        OUTBOX.c.claimed_at < older_than, OUTBOX.c.claim_owner.in_(gone)
    )
    now = utcnow()
    requeued = rows_changed(
        session.execute(
            sa.update(OutboxRow)
            .where(stale, OUTBOX.c.claim_token.like("c:%"))
            .values(status="pending", updated_at=now, **UNCLAIMED)
        )
    )
    parked = rows_changed(
        session.execute(
            sa.update(OutboxRow)
            .where(stale, sa.or_(OUTBOX.c.claim_token.like("s:%"), OUTBOX.c.claim_token.is_(None)))
            .values(status="parked", last_error=UNKNOWN_DELIVERY, updated_at=now)
        )
    )
    if requeued or parked:
        log.warning(
            "recovered the outbox claims of gone or stale notifiers (%s): %d back to pending, "
            "%d parked (delivery unknown)",
            ", ".join(gone) or "lease expired",
            requeued,
            parked,
        )
    return requeued, parked


def _due(now: datetime, limit: int) -> Any:
    return (
        select(OUTBOX.c.id)
        .join(ChatRow, CHATS.c.id == OUTBOX.c.chat_id)
        .where(
            OUTBOX.c.status == "pending",
            sa.or_(OUTBOX.c.not_before.is_(None), OUTBOX.c.not_before <= now),
            CHATS.c.active == sa.true(),
            CHATS.c.muted == sa.false(),
        )
        .order_by(OUTBOX.c.id)
        .limit(limit)
    )


def due_rows(session: Session, *, now: datetime, limit: int) -> list[OutboxRow]:
    """Rows a drain would claim now (for a dry run); nothing is changed."""
    ids = list(session.exec(_due(now, limit)).all())
    return list(session.exec(select(OutboxRow).where(OUTBOX.c.id.in_(ids)).order_by(OUTBOX.c.id)).all())


def claim(session: Session, *, token: str, now: datetime, limit: int) -> list[OutboxRow]:
    """Claim up to ``limit`` due rows of active, unmuted chats; only rows this call won are returned.

    The claim names this process as its owner, so a restart can tell when it is gone.
    """
    ids = list(session.exec(_due(now, limit)).all())
    if not ids:
        return []
    session.execute(
        sa.update(OutboxRow)
        .where(OUTBOX.c.id.in_(ids), OUTBOX.c.status == "pending")
        .values(
            status="claimed",
            claim_token=f"c:{token}",
            claim_owner=this_process(),
            claimed_at=now,
            updated_at=now,
        )
    )
    session.flush()
    claimed = select(OutboxRow).where(OUTBOX.c.claim_token == f"c:{token}").order_by(OUTBOX.c.id)
    return list(session.exec(claimed).all())


def release_claims(session: Session, *, token: str) -> int:
    """Claims never sent (stop requested, chat task ended early) go back to pending at once."""
    return rows_changed(
        session.execute(
            sa.update(OutboxRow)
            .where(OUTBOX.c.status == "claimed", OUTBOX.c.claim_token == f"c:{token}")
            .values(status="pending", updated_at=utcnow(), **UNCLAIMED)
        )
    )


def mark_sending(session: Session, *, ids: Sequence[int], token: str) -> bool:
    """Enter the in-flight phase (commit right after); False if any row was taken away meanwhile.

    Rows already in it (a resend after Telegram answered "migrated") are still ours.
    """
    result = session.execute(
        sa.update(OutboxRow)
        .where(OUTBOX.c.id.in_(ids), OUTBOX.c.claim_token.in_((f"c:{token}", f"s:{token}")))
        .values(claim_token=f"s:{token}", attempts=OUTBOX.c.attempts + 1, claimed_at=utcnow())
    )
    return rows_changed(result) == len(ids)


def _settle(session: Session, ids: Sequence[int], token: str, **values: Any) -> int:
    """Settle rows this notifier holds (either claim phase); rows taken away meanwhile are untouched."""
    return rows_changed(
        session.execute(
            sa.update(OutboxRow)
            .where(
                OUTBOX.c.id.in_(ids),
                OUTBOX.c.status == "claimed",
                OUTBOX.c.claim_token.in_((f"c:{token}", f"s:{token}")),
            )
            .values(updated_at=utcnow(), **UNCLAIMED, **values)
        )
    )


def unmark_sending(session: Session, *, ids: Sequence[int], token: str) -> None:
    """Telegram answered with an error, so nothing was delivered: back to the safe claim phase."""
    session.execute(
        sa.update(OutboxRow)
        .where(OUTBOX.c.id.in_(ids), OUTBOX.c.claim_token == f"s:{token}")
        .values(claim_token=f"c:{token}")
    )


def settle_sent(
    session: Session, *, ids: Sequence[int], token: str, message_id: int | None, now: datetime
) -> int:
    return _settle(session, ids, token, status="sent", sent_at=now, message_id=message_id, last_error=None)


def settle_retry(
    session: Session, *, ids: Sequence[int], token: str, not_before: datetime, error: str
) -> int:
    """Back to pending, not before ``not_before`` (network trouble, flood wait)."""
    return _settle(session, ids, token, status="pending", not_before=not_before, last_error=error[:2000])


def settle_failed(session: Session, *, ids: Sequence[int], token: str, error: str) -> int:
    return _settle(session, ids, token, status="failed", last_error=error[:2000])


def settle_parked(session: Session, *, ids: Sequence[int], token: str, error: str) -> int:
    return _settle(session, ids, token, status="parked", last_error=error[:2000])


def park_chat(session: Session, *, chat_row_id: int, error: str) -> int:
    """The chat is gone for us (blocked, kicked): mark it inactive and park all its unsent rows."""
    session.execute(
        sa.update(ChatRow).where(CHATS.c.id == chat_row_id).values(active=False, updated_at=utcnow())
    )
    result = session.execute(
        sa.update(OutboxRow)
        .where(OUTBOX.c.chat_id == chat_row_id, OUTBOX.c.status.in_(("pending", "claimed")))
        .values(status="parked", last_error=error[:2000], updated_at=utcnow(), **UNCLAIMED)
    )
    return rows_changed(result)


def requeue_parked(session: Session, *, chat_row_id: int | None = None, only_chat_gone: bool = False) -> int:
    """Parked rows back to pending; returns how many.

    All of them is an admin's decision (``/requeue``, ``notify --requeue-parked``): "delivery
    unknown" rows may already have arrived, so only a person may risk the duplicate.
    ``only_chat_gone`` is the automatic case: the chat is reachable again (it let the bot back in,
    or wrote to it), and rows parked because it was not were certainly never delivered.
    """
    query = sa.update(OutboxRow).where(OUTBOX.c.status == "parked")
    if chat_row_id is not None:
        query = query.where(OUTBOX.c.chat_id == chat_row_id)
    if only_chat_gone:
        query = query.where(sa.or_(*(OUTBOX.c.last_error.like(f"{prefix}%") for prefix in CHAT_GONE)))
    values = {"status": "pending", "last_error": None, "not_before": None, "updated_at": utcnow()}
    return rows_changed(session.execute(query.values(**values)))
