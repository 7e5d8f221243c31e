"""The reads other packages use: a notice by number, stored versions, change history, summaries,
what changed since a moment."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from data.errors import StoreError
from data.models import DECISIONS
from data.models import MATCHES
from data.models import NOTICE_CHANGES
from data.models import NOTICES
from data.models import NoticeChange
from data.notice import Notice
from data.notice import stage_of
from data.store.plan import Key
from data.store.rows import _chunks
from data.store.rows import _key_filter
from data.store.rows import _load_items
from data.store.rows import notice_from_row
from data.types import money_sum


class AmbiguousNotice(StoreError):
    """A registry number exists under both laws and the caller did not say which."""


def get_notice(session: Session, *, reg_number: str, law: str | None = None) -> Notice | None:
    """The stored notice with its items, or None. Without ``law``, the number must be unambiguous."""
    query = sa.select(NOTICES).where(NOTICES.c.reg_number == reg_number)
    if law is not None:
        query = query.where(NOTICES.c.law == law)
    conn = session.connection()
    rows = conn.execute(query).mappings().all()
    if not rows:
        return None
    if len(rows) > 1:
        laws = ", ".join(sorted(row["law"] for row in rows))
        raise AmbiguousNotice(f"registry number {reg_number} exists under {laws}: name the law")
    items = _load_items(conn, [rows[0]["id"]])
    return notice_from_row(rows[0], items[rows[0]["id"]])


def has_notices(session: Session) -> bool:
    return session.scalar(sa.select(NOTICES.c.id).limit(1)) is not None


def notice_id_of(session: Session, *, law: str, reg_number: str) -> int | None:
    """The row id the other tables (matches, outbox, decisions) refer to."""
    query = sa.select(NOTICES.c.id).where(NOTICES.c.law == law, NOTICES.c.reg_number == reg_number)
    return session.connection().execute(query).scalar_one_or_none()


@dataclass(frozen=True)
class StoredVersion:
    version: int | None
    updated_at: datetime | None
    completeness: str
    updated_day_only: bool = False
    notes: tuple[str, ...] = ()
    url: str | None = None
    """The notice's card on the EIS: where its other tabs (results) are."""


def stored_versions(session: Session, *, keys: Iterable[Key]) -> dict[Key, StoredVersion]:
    """What is stored for each known key, so the crawler can skip fetching unchanged cards."""
    wanted = sorted(set(keys))
    names = ("law", "reg_number", "version", "updated_at", "completeness", "updated_day_only", "notes", "url")
    cols = [NOTICES.c[name] for name in names]
    found: dict[Key, StoredVersion] = {}
    conn = session.connection()
    for chunk in _chunks(wanted):
        for law, reg_number, version, updated_at, completeness, day_only, notes, url in conn.execute(
            sa.select(*cols).where(_key_filter(chunk))
        ):
            found[(law, reg_number)] = StoredVersion(
                version, updated_at, completeness, bool(day_only), tuple(notes or ()), url
            )
    return found


def notice_changes(session: Session, *, law: str, reg_number: str) -> list[NoticeChange]:
    """The change history of one notice, oldest first."""
    notice_id = notice_id_of(session, law=law, reg_number=reg_number)
    if notice_id is None:
        return []
    query = (
        sa.select(NoticeChange)
        .where(NOTICE_CHANGES.c.notice_id == notice_id)
        .order_by(NOTICE_CHANGES.c.changed_at, NOTICE_CHANGES.c.id)
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class SummaryRow:
    group: tuple[str | None, ...]
    count: int
    total_nmck: Decimal


@dataclass(frozen=True)
class NoticeSummary:
    by_law_kind: list[SummaryRow]
    """(law, kind) -> count and total NMCK, ordered by law then kind."""
    top_regions: list[SummaryRow]
    """(customer_region,) -> count and total NMCK, most notices first."""


def notice_summary(session: Session, *, top_regions: int = 5) -> NoticeSummary:
    """What is stored, for the demo and ``init``: counts and exact NMCK totals by law/kind and region."""
    conn = session.connection()
    total = sa.func.coalesce(money_sum(NOTICES.c.nmck), 0)
    count = sa.func.count()
    by_kind = (
        sa.select(NOTICES.c.law, NOTICES.c.kind, count, total)
        .group_by(NOTICES.c.law, NOTICES.c.kind)
        .order_by(NOTICES.c.law, NOTICES.c.kind)
    )
    regions = (
        sa.select(NOTICES.c.customer_region, count.label("n"), total)
        .group_by(NOTICES.c.customer_region)
        .order_by(sa.desc("n"), NOTICES.c.customer_region)
        .limit(top_regions)
    )
    return NoticeSummary(
        by_law_kind=[SummaryRow((law, kind), n, Decimal(s)) for law, kind, n, s in conn.execute(by_kind)],
        top_regions=[SummaryRow((region,), n, Decimal(s)) for region, n, s in conn.execute(regions)],
    )


def notices_changed_since(
    session: Session, *, since: datetime | None, limit: int | None = None
) -> list[tuple[int, Notice, datetime]]:
    """(row id, notice, changed_at) of notices whose content changed at or after ``since``, oldest first.

    What the matcher runs on; ``since=None`` means every stored notice.
    """
    query = sa.select(NOTICES).order_by(NOTICES.c.changed_at, NOTICES.c.id)
    if since is not None:
        query = query.where(NOTICES.c.changed_at >= since)
    if limit is not None:
        query = query.limit(limit)
    conn = session.connection()
    rows = conn.execute(query).mappings().all()
    items = _load_items(conn, [row["id"] for row in rows])
    return [(row["id"], notice_from_row(row, items[row["id"]]), row["changed_at"]) for row in rows]


def notices_by_id(session: Session, ids: Sequence[int]) -> dict[int, Notice]:
    """The stored notices with these row ids, with their positions (ids not stored are left out)."""
    conn = session.connection()
    rows = [
        row
        for chunk in _chunks(list(ids))
        for row in conn.execute(sa.select(NOTICES).where(NOTICES.c.id.in_(chunk))).mappings()
    ]
    items = _load_items(conn, [row["id"] for row in rows])
    return {row["id"]: notice_from_row(row, items[row["id"]]) for row in rows}


OPEN_BATCH = 2000


def open_notices(session: Session, *, now: datetime) -> Iterator[tuple[int, Notice]]:
    """(row id, notice) of every stored notice whose submission deadline is still ahead, read
    ``OPEN_BATCH`` rows at a time (a search scans them all without holding them all)."""
    conn = session.connection()
    last_id = 0
    while True:
        rows = (
            conn.execute(
                sa.select(NOTICES)
                .where(NOTICES.c.submission_deadline > now, NOTICES.c.id > last_id)
                .order_by(NOTICES.c.id)
                .limit(OPEN_BATCH)
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        items = _load_items(conn, [row["id"] for row in rows])
        for row in rows:
            yield row["id"], notice_from_row(row, items[row["id"]])
        last_id = rows[-1]["id"]


def our_notice_ids() -> sa.Subquery:
    """Ids (column ``id``) of the notices that matter to us: a profile matched them or someone took them."""
    return sa.union(
        sa.select(MATCHES.c.notice_id.label("id")).where(MATCHES.c.matched == sa.true()),
        sa.select(DECISIONS.c.notice_id.label("id")).where(DECISIONS.c.action == "take"),
    ).subquery()


def notices_to_follow(session: Session, *, published_since: datetime, limit: int) -> list[Key]:
    """Stored notices whose stage still matters to us: matched by a profile or taken by someone,
    published since ``published_since``, not completed or cancelled. Those whose deadline passed
    come first (their stage is the next to move), then by deadline; at most ``limit``.

    The stage is read from the status text in Python (``stage_of``): the candidates are the
    matched and taken ones, a few thousand at most, and one reading of the wording stays in one place.
    """
    ours = our_notice_ids()
    deadline = NOTICES.c.submission_deadline
    query = (
        sa.select(NOTICES.c.law, NOTICES.c.reg_number, NOTICES.c.status)
        .where(NOTICES.c.id.in_(sa.select(ours.c.id)), NOTICES.c.published_at >= published_since)
        .order_by(deadline.is_(None), deadline, NOTICES.c.id)
    )
    followed: list[Key] = []
    for law, reg_number, status in session.connection().execute(query):
        stage = stage_of(status)
        if stage is None or not stage.final:
            followed.append((law, reg_number))
            if len(followed) >= limit:
                break
    return followed
