"""The queries and upserts every other package uses. Keyword-only, small, one transaction each.

Writers (``upsert_notices``, ``start_crawl_run``, ``finish_crawl_run``, ``advance_high_water``)
commit the session they are given: each is one unit of work that either lands whole or not at
all, so callers never see a half-written batch. Readers leave the session as it was.

How a stored notice is updated (``plan_update``, pure so it can be tested on its own):

* a card replaces a stored card only when it is newer: higher ``version``, or, when either
  side has no version, a later ``updated_at``; equal or older changes nothing;
* a card replaces a stored listing (it is the fuller document) unless its version is lower;
* a listing never overwrites a card: it may fill fields the card left empty and may update
  ``status`` (cards do not carry the stage), unless it is older than what is stored; a listing
  never moves the stored version/updated_at, so the crawler still fetches the changed card;
* a card without a status keeps the stored status (again: cards do not carry the stage).

Every tracked field whose value changes gets one ``notice_changes`` row (items as a whole).
A newer version with the same content only refreshes the bookkeeping and counts as unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlmodel import Session

from data.db import database_failure, database_unavailable
from data.errors import BatchFailed, DatabaseError, StoreError
from data.models import (
    CRAWL_OUTCOMES,
    CRAWL_RUNS,
    CRAWL_STATE,
    NOTICE_CHANGES,
    NOTICE_ITEMS,
    NOTICES,
    CrawlRun,
    NoticeChange,
    utcnow,
)
from data.notice import MOSCOW, Notice, NoticeItem
from data.process import is_gone, this_process
from data.types import money_sum

log = logging.getLogger(__name__)

Key = tuple[str, str]

notices_t = NOTICES
items_t = NOTICE_ITEMS
changes_t = NOTICE_CHANGES

NOTICE_COLUMNS = tuple(name for name in Notice.model_fields if name != "items")
BOOKKEEPING_FIELDS = frozenset(
    {"law", "reg_number", "version", "updated_at", "source", "completeness", "notes"}
)
TRACKED_FIELDS = tuple(name for name in Notice.model_fields if name not in BOOKKEEPING_FIELDS)
"""Fields whose changes are history worth recording (and notifying): everything but bookkeeping."""
CARD_AUTHORITATIVE = frozenset({"kind", "smp_only", "notes"})
"""Fields a listing may not fill into a card: the card's default value is a statement, not a gap
(and a listing's notes, such as "dates only", describe the listing, not the card)."""
ITEM_FIELDS = tuple(NoticeItem.model_fields)
DATETIME_FIELDS = ("published_at", "updated_at", "submission_deadline")
KEYS_PER_QUERY = 500
"""Keeps ``(law, reg_number) IN (...)`` lists well under every backend's parameter limit."""
MAX_BATCH_ATTEMPTS = 3
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "23505"})
"""Serialization failure, deadlock, unique violation: another writer raced us; the batch is retried."""


@dataclass
class UpsertResult:
    """What a batch did; ids and keys of new and changed notices are what the matcher runs on."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    new_keys: list[Key] = field(default_factory=list)
    changed_keys: list[Key] = field(default_factory=list)
    new_ids: list[int] = field(default_factory=list)
    changed_ids: list[int] = field(default_factory=list)

    def add(self, other: UpsertResult) -> None:
        """Accumulate another batch's result into this one (imports and crawls span many batches)."""
        self.new += other.new
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.new_keys += other.new_keys
        self.changed_keys += other.changed_keys
        self.new_ids += other.new_ids
        self.changed_ids += other.changed_ids


# --- pure decisions ---------------------------------------------------------------------------


def is_newer(incoming: Notice, stored: Notice) -> bool:
    """Version decides when both sides have one; otherwise a later ``updated_at``; unknown is not newer."""
    if incoming.version is not None and stored.version is not None:
        return incoming.version > stored.version
    if incoming.updated_at is not None and stored.updated_at is not None:
        return incoming.updated_at > stored.updated_at
    return False


def is_older(incoming: Notice, stored: Notice, *, by_version_only: bool = False) -> bool:
    if incoming.version is not None and stored.version is not None:
        return incoming.version < stored.version
    if by_version_only:
        return False
    if incoming.updated_at is not None and stored.updated_at is not None:
        return incoming.updated_at < stored.updated_at
    return False


def _rank(notice: Notice) -> tuple[int, int, datetime | None]:
    return (
        -1 if notice.version is None else notice.version,
        1 if notice.completeness == "card" else 0,
        notice.updated_at,
    )


def dedupe(notices: Iterable[Notice]) -> dict[Key, Notice]:
    """One notice per key: the highest version, then a card over a listing, then the latest update."""
    best: dict[Key, Notice] = {}
    for notice in notices:
        current = best.get(notice.key)
        if current is None or _newer_rank(_rank(notice), _rank(current)):
            best[notice.key] = notice
    return best


def _newer_rank(a: tuple[int, int, datetime | None], b: tuple[int, int, datetime | None]) -> bool:
    if a[:2] != b[:2]:
        return a[:2] > b[:2]
    return a[2] is not None and (b[2] is None or a[2] > b[2])


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value is False


def _fill(stored: Notice, incoming: Notice, *, overwrite: bool) -> Notice:
    """``stored`` with the gaps filled from ``incoming`` (everything it carries, if ``overwrite``)."""
    updates: dict[str, Any] = {}
    for name in (*TRACKED_FIELDS, "notes"):
        new = getattr(incoming, name)
        if _is_empty(new) or (name == "kind" and new == "other"):
            continue
        if stored.completeness == "card" and name in CARD_AUTHORITATIVE:
            continue
        old = getattr(stored, name)
        if overwrite or name == "status" or _is_empty(old) or (name == "kind" and old == "other"):
            updates[name] = new
    if overwrite:
        updates.update(version=incoming.version, updated_at=incoming.updated_at, source=incoming.source)
    return stored.model_copy(update=updates)


def plan_update(stored: Notice, incoming: Notice) -> Notice:
    """What should be stored for ``stored`` after seeing ``incoming`` (``stored`` itself if nothing)."""
    if incoming.completeness == "card":
        if stored.completeness == "listing" and not is_older(incoming, stored, by_version_only=True):
            return _keep_stage(incoming, stored)
        if stored.completeness == "card" and is_newer(incoming, stored):
            return _keep_stage(incoming, stored)
        if stored.completeness == "listing":
            return _fill(stored, incoming, overwrite=False)
        return stored
    if is_older(incoming, stored) and not _same_day_listing(incoming, stored):
        return stored
    overwrite = stored.completeness == "listing" and is_newer(incoming, stored)
    return _fill(stored, incoming, overwrite=overwrite)


def _keep_stage(card: Notice, stored: Notice) -> Notice:
    """A new card keeps what cards do not carry (the stage) and the first publication time.

    Each version's XML gives its own publication moment; ``published_at`` means when the purchase
    first appeared, and the version's moment is ``updated_at`` (otherwise every revision would
    raise a "published_at changed" alert).
    """
    updates: dict[str, Any] = {}
    if card.status is None and stored.status is not None:
        updates["status"] = stored.status
    first = stored.published_at
    if first is not None and (card.published_at is None or first < card.published_at):
        updates["published_at"] = first
    return card.model_copy(update=updates) if updates else card


def _same_day_listing(incoming: Notice, stored: Notice) -> bool:
    """A search-page listing dated only by day (00:00 Moscow) on the stored update's own day.

    Such a listing cannot be placed before or after the stored card within that day, and the page
    shows the stage as it is now: its stage (e.g. a same-day cancellation) must not be dropped.
    """
    when, then = incoming.updated_at, stored.updated_at
    if incoming.completeness != "listing" or when is None or then is None:
        return False
    local = when.astimezone(MOSCOW)
    return local.time() == time(0) and local.date() == then.astimezone(MOSCOW).date()


def changed_fields(old: Notice, new: Notice) -> list[str]:
    """Tracked fields whose values differ (aware datetimes compare as instants, Decimals as numbers)."""
    return [name for name in TRACKED_FIELDS if getattr(old, name) != getattr(new, name)]


# --- rows <-> notices -------------------------------------------------------------------------


def _notice_values(notice: Notice) -> dict[str, Any]:
    return {name: getattr(notice, name) for name in NOTICE_COLUMNS}


def _item_values(notice_id: int, items: Sequence[NoticeItem]) -> list[dict[str, Any]]:
    return [
        {"notice_id": notice_id, "position": position, **item.model_dump()}
        for position, item in enumerate(items, start=1)
    ]


def _row_to_notice(row: Mapping[str, Any] | sa.RowMapping, items: list[NoticeItem]) -> Notice:
    return Notice.model_validate({**{name: row[name] for name in NOTICE_COLUMNS}, "items": items})


def _chunks(seq: Sequence[Any], size: int = KEYS_PER_QUERY) -> Iterator[Sequence[Any]]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


def _key_filter(keys: Sequence[Key]) -> sa.ColumnElement[bool]:
    return sa.tuple_(notices_t.c.law, notices_t.c.reg_number).in_(list(keys))


def _load_items(conn: sa.Connection, ids: Sequence[int]) -> dict[int, list[NoticeItem]]:
    items: dict[int, list[NoticeItem]] = {notice_id: [] for notice_id in ids}
    cols = [items_t.c.notice_id, *(items_t.c[name] for name in ITEM_FIELDS)]
    for chunk in _chunks(ids):
        query = (
            sa.select(*cols).where(items_t.c.notice_id.in_(chunk)).order_by(items_t.c.notice_id, "position")
        )
        for row in conn.execute(query).mappings():
            items[row["notice_id"]].append(NoticeItem(**{name: row[name] for name in ITEM_FIELDS}))
    return items


def _load_stored(conn: sa.Connection, keys: Sequence[Key], *, lock: bool) -> dict[Key, tuple[int, Notice]]:
    """The stored notices for ``keys``; ``lock`` takes row locks (PostgreSQL) until the batch commits."""
    rows: list[sa.RowMapping] = []
    for chunk in _chunks(keys):
        query = (
            sa.select(notices_t).where(_key_filter(chunk)).order_by(notices_t.c.law, notices_t.c.reg_number)
        )
        if lock:
            query = query.with_for_update()
        rows += conn.execute(query).mappings().all()
    items = _load_items(conn, [row["id"] for row in rows])
    return {
        (row["law"], row["reg_number"]): (row["id"], _row_to_notice(row, items[row["id"]])) for row in rows
    }


def _insert_ignoring_conflicts(conn: sa.Connection) -> Any:
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    return insert(notices_t).on_conflict_do_nothing(index_elements=["law", "reg_number"])


def _insert_returning_ids(conn: sa.Connection, rows: list[dict[str, Any]]) -> dict[Key, int]:
    """Insert what is not there yet; the ids of the rows this transaction inserted.

    PostgreSQL: a plain executemany (psycopg pipelines one prepared statement; a multi-row
    ``INSERT ... RETURNING`` is re-parsed by psycopg in Python on every batch and was the
    bottleneck), then the rows whose ``xmin`` is this transaction: those, and only those, are
    ours, whatever a concurrent writer inserted meanwhile. SQLite: ``RETURNING`` directly.
    """
    statement = _insert_ignoring_conflicts(conn)
    if conn.dialect.name != "postgresql":
        returned = conn.execute(
            statement.returning(notices_t.c.id, notices_t.c.law, notices_t.c.reg_number), rows
        )
        return {(law, reg_number): notice_id for notice_id, law, reg_number in returned}
    conn.execute(statement, rows)
    ours = sa.text("notices.xmin = pg_current_xact_id()::xid")
    keys = [(row["law"], row["reg_number"]) for row in rows]
    ids: dict[Key, int] = {}
    for chunk in _chunks(keys):
        query = sa.select(notices_t.c.id, notices_t.c.law, notices_t.c.reg_number).where(
            _key_filter(chunk), ours
        )
        ids.update({(law, reg_number): notice_id for notice_id, law, reg_number in conn.execute(query)})
    return ids


# --- the upsert -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunProgress:
    """The crawl run a batch belongs to, and the crawl's request and page counts so far."""

    run_id: int
    requests: int = 0
    pages: int = 0


def upsert_notices(
    session: Session, notices: Iterable[Notice], *, source: str | None = None, run: RunProgress | None = None
) -> UpsertResult:
    """Store a batch of notices in one transaction (committed here) and say what was new or changed.

    ``source`` is recorded on the change rows (default: each notice's own ``source``). With
    ``run`` the crawl run's counters grow in the same transaction, so the run row always says
    exactly what was stored, even when the crawl process is killed a moment later. A
    transient conflict with a concurrent writer (deadlock, serialization failure) retries the
    whole batch; any other database error rolls it back and raises :class:`BatchFailed`.
    """
    batch = dedupe(notices)
    if not batch:
        return UpsertResult()
    for attempt in range(1, MAX_BATCH_ATTEMPTS + 1):
        try:
            conn = session.connection()
            result = _apply_batch(conn, batch, source)
            if run is not None:
                _count_into_run(conn, run, result)
            session.commit()
            return result
        except SQLAlchemyError as exc:
            session.rollback()
            if isinstance(exc, DBAPIError) and _is_transient(exc) and attempt < MAX_BATCH_ATTEMPTS:
                log.warning(
                    "batch of %d notices hit a concurrent writer (%s); retrying", len(batch), exc.orig
                )
                continue
            if database_unavailable(exc):  # read-only, full, no grants: not this batch's fault
                where = session.get_bind().engine.url.render_as_string(hide_password=True)
                raise DatabaseError(f"database {where}: {database_failure(exc)}") from exc
            first = min(batch)
            problem = getattr(exc, "orig", None) or exc
            raise BatchFailed(
                f"batch of {len(batch)} notices (first {first[0]} {first[1]}) was rolled back: {problem}"
            ) from exc
        except BaseException:
            session.rollback()
            raise
    raise AssertionError("unreachable: the last attempt returns or raises")


def _is_transient(exc: DBAPIError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in TRANSIENT_SQLSTATES:
        return True
    return "database is locked" in str(exc.orig)


def _apply_batch(conn: sa.Connection, batch: dict[Key, Notice], source: str | None) -> UpsertResult:
    now = utcnow()
    keys = sorted(batch)
    lock = conn.dialect.name == "postgresql"
    stored = _load_stored(conn, keys, lock=lock)
    inserted = _insert_new(conn, [batch[key] for key in keys if key not in stored], now)
    raced = [key for key in keys if key not in stored and key not in inserted]
    if raced:  # another writer inserted them since we looked: treat them as stored
        stored.update(_load_stored(conn, raced, lock=lock))
    result = UpsertResult()
    for key in keys:
        if key in inserted:
            result.new += 1
            result.new_keys.append(key)
            result.new_ids.append(inserted[key])
    _apply_updates(conn, batch, stored, source, now, result)
    return result


def _insert_new(conn: sa.Connection, notices: list[Notice], now: datetime) -> dict[Key, int]:
    if not notices:
        return {}
    rows = [{**_notice_values(n), "first_seen_at": now, "changed_at": now} for n in notices]
    ids = _insert_returning_ids(conn, rows)
    items = [row for n in notices if n.key in ids for row in _item_values(ids[n.key], n.items)]
    if items:
        conn.execute(sa.insert(items_t), items)
    return ids


def _apply_updates(
    conn: sa.Connection,
    batch: dict[Key, Notice],
    stored: dict[Key, tuple[int, Notice]],
    source: str | None,
    now: datetime,
    result: UpsertResult,
) -> None:
    updates: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    replaced_items: list[tuple[int, Notice]] = []
    for key in sorted(set(stored) & set(batch)):  # raced inserts are in `stored`, ours are not
        notice_id, old = stored[key]
        new = plan_update(old, batch[key])
        fields = changed_fields(old, new)
        if new != old:
            updates.append({"_id": notice_id, **_notice_values(new), "changed_at": now if fields else None})
        if new.items != old.items:
            replaced_items.append((notice_id, new))
        if fields:
            changes += _change_rows(notice_id, old, new, fields, source or batch[key].source, now)
            result.changed += 1
            result.changed_keys.append(key)
            result.changed_ids.append(notice_id)
        else:
            result.unchanged += 1
    _write_updates(conn, updates)
    _replace_items(conn, replaced_items)
    if changes:
        conn.execute(sa.insert(changes_t), changes)


def _write_updates(conn: sa.Connection, updates: list[dict[str, Any]]) -> None:
    with_change = [u for u in updates if u["changed_at"] is not None]
    without_change = [
        {k: v for k, v in u.items() if k != "changed_at"} for u in updates if u["changed_at"] is None
    ]
    for rows in (with_change, without_change):
        if rows:
            values: dict[str, Any] = {name: sa.bindparam(name) for name in rows[0] if name != "_id"}
            conn.execute(notices_t.update().where(notices_t.c.id == sa.bindparam("_id")).values(values), rows)


def _replace_items(conn: sa.Connection, replaced: list[tuple[int, Notice]]) -> None:
    if not replaced:
        return
    conn.execute(items_t.delete().where(items_t.c.notice_id.in_([notice_id for notice_id, _ in replaced])))
    rows = [row for notice_id, notice in replaced for row in _item_values(notice_id, notice.items)]
    if rows:
        conn.execute(sa.insert(items_t), rows)


def _change_rows(
    notice_id: int, old: Notice, new: Notice, fields: list[str], source: str | None, now: datetime
) -> list[dict[str, Any]]:
    old_json = _utc(old).model_dump(mode="json", include=set(fields))
    new_json = _utc(new).model_dump(mode="json", include=set(fields))
    return [
        {
            "notice_id": notice_id,
            "field": name,
            "old_value": old_json[name],
            "new_value": new_json[name],
            "old_version": old.version,
            "new_version": new.version,
            "changed_at": now,
            "source": source,
        }
        for name in fields
    ]


def _utc(notice: Notice) -> Notice:
    """The notice with its datetimes in UTC, so the history reads the same whatever offset a source used."""
    moments = {name: getattr(notice, name) for name in DATETIME_FIELDS}
    return notice.model_copy(update={k: v.astimezone(UTC) for k, v in moments.items() if v is not None})


# --- readers ----------------------------------------------------------------------------------


class AmbiguousNotice(StoreError):
    """A registry number exists under both laws and the caller did not say which."""


def get_notice(session: Session, *, reg_number: str, law: str | None = None) -> Notice | None:
    """The stored notice with its items, or None. Without ``law``, the number must be unambiguous."""
    query = sa.select(notices_t).where(notices_t.c.reg_number == reg_number)
    if law is not None:
        query = query.where(notices_t.c.law == law)
    conn = session.connection()
    rows = conn.execute(query).mappings().all()
    if not rows:
        return None
    if len(rows) > 1:
        laws = ", ".join(sorted(row["law"] for row in rows))
        raise AmbiguousNotice(f"registry number {reg_number} exists under {laws}: name the law")
    items = _load_items(conn, [rows[0]["id"]])
    return _row_to_notice(rows[0], items[rows[0]["id"]])


def notice_id_of(session: Session, *, law: str, reg_number: str) -> int | None:
    """The row id the other tables (matches, outbox, decisions) refer to."""
    query = sa.select(notices_t.c.id).where(notices_t.c.law == law, notices_t.c.reg_number == reg_number)
    return session.connection().execute(query).scalar_one_or_none()


@dataclass(frozen=True)
class StoredVersion:
    version: int | None
    updated_at: datetime | None
    completeness: str
    notes: tuple[str, ...] = ()


def stored_versions(session: Session, *, keys: Iterable[Key]) -> dict[Key, StoredVersion]:
    """What is stored for each known key, so the crawler can skip fetching unchanged cards."""
    wanted = sorted(set(keys))
    names = ("law", "reg_number", "version", "updated_at", "completeness", "notes")
    cols = [notices_t.c[name] for name in names]
    found: dict[Key, StoredVersion] = {}
    conn = session.connection()
    for chunk in _chunks(wanted):
        for law, reg_number, version, updated_at, completeness, notes in conn.execute(
            sa.select(*cols).where(_key_filter(chunk))
        ):
            found[(law, reg_number)] = StoredVersion(version, updated_at, completeness, tuple(notes or ()))
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
    total = sa.func.coalesce(money_sum(notices_t.c.nmck), 0)
    count = sa.func.count()
    by_kind = (
        sa.select(notices_t.c.law, notices_t.c.kind, count, total)
        .group_by(notices_t.c.law, notices_t.c.kind)
        .order_by(notices_t.c.law, notices_t.c.kind)
    )
    regions = (
        sa.select(notices_t.c.customer_region, count.label("n"), total)
        .group_by(notices_t.c.customer_region)
        .order_by(sa.desc("n"), notices_t.c.customer_region)
        .limit(top_regions)
    )
    return NoticeSummary(
        by_law_kind=[SummaryRow((law, kind), n, Decimal(s)) for law, kind, n, s in conn.execute(by_kind)],
        top_regions=[SummaryRow((region,), n, Decimal(s)) for region, n, s in conn.execute(regions)],
    )


# --- crawl runs and the high-water mark -------------------------------------------------------


runs_t = CRAWL_RUNS
ABANDONED_AFTER = timedelta(minutes=15)
"""A running crawl that gave no sign of life for this long is abandoned, wherever it ran (a live
crawl beats every few seconds; an owner on this host that is gone is noticed at once)."""


def start_crawl_run(
    session: Session,
    *,
    source: str,
    arguments: Mapping[str, Any] | None = None,
    started_at: datetime | None = None,
    owner: str | None = None,
) -> int:
    """Record that a crawl began (outcome 'running', visible at once) and return its id.

    ``owner`` is the process answerable for closing it (default: this one).
    """
    now = started_at or utcnow()
    run = CrawlRun(
        source=source,
        arguments=dict(arguments or {}),
        started_at=now,
        owner=owner or this_process(),
        heartbeat_at=now,
    )
    session.add(run)
    session.commit()
    assert run.id is not None
    return run.id


def crawl_run_alive(
    session: Session,
    *,
    run_id: int,
    owner: str | None = None,
    requests: int | None = None,
    pages: int | None = None,
) -> None:
    """A sign of life from the crawl: the heartbeat, the figures so far, and (once) its new owner.

    The crawl subprocess takes over a run its runner opened, so that the run is closed only when
    the process doing the work is gone, not the one that merely started it.
    """
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if owner is not None:
        values["owner"] = owner
    if requests is not None:
        values["requests"] = requests
    if pages is not None:
        values["pages"] = pages
    session.execute(
        runs_t.update().where(runs_t.c.id == run_id, runs_t.c.outcome == "running").values(values)
    )
    session.commit()


def _count_into_run(conn: sa.Connection, run: RunProgress, result: UpsertResult) -> None:
    conn.execute(
        runs_t.update()
        .where(runs_t.c.id == run.run_id)
        .values(
            notices_new=runs_t.c.notices_new + result.new,
            notices_changed=runs_t.c.notices_changed + result.changed,
            notices_unchanged=runs_t.c.notices_unchanged + result.unchanged,
            requests=_at_least(runs_t.c.requests, run.requests),
            pages=_at_least(runs_t.c.pages, run.pages),
            heartbeat_at=utcnow(),
        )
    )


def _at_least(column: sa.Column[int], value: int) -> sa.ColumnElement[int]:
    """The larger of the column and ``value`` (portable: SQLite has no GREATEST)."""
    return sa.case((column < value, value), else_=column)


def finish_crawl_run(
    session: Session,
    *,
    run_id: int,
    outcome: str,
    requests: int | None = None,
    pages: int | None = None,
    result: UpsertResult | None = None,
    errors_by_kind: Mapping[str, int] | None = None,
    reason: str | None = None,
    finished_at: datetime | None = None,
    listing_complete: bool | None = None,
) -> CrawlRun:
    """Close a crawl run with its figures; ``errors`` is the sum of ``errors_by_kind``.

    Figures left out (None) keep what the row says: the notice counts of a crawl that stored
    with ``upsert_notices(run_id=...)`` are already exact there, whatever became of its process.
    """
    if outcome not in CRAWL_OUTCOMES or outcome == "running":
        raise StoreError(f"crawl run {run_id}: outcome must be ok, partial or failed, not {outcome!r}")
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise StoreError(f"crawl run {run_id} does not exist")
    values: dict[str, Any] = {
        "outcome": outcome,
        "reason": reason,
        "finished_at": finished_at or utcnow(),
        "listing_complete": listing_complete,
    }
    if requests is not None:
        values["requests"] = requests
    if pages is not None:
        values["pages"] = pages
    if result is not None:
        values.update(
            notices_new=result.new, notices_changed=result.changed, notices_unchanged=result.unchanged
        )
    if errors_by_kind is not None:
        kinds = {kind: int(n) for kind, n in errors_by_kind.items()}
        values.update(errors=sum(kinds.values()), errors_by_kind=kinds)
    run.sqlmodel_update(values)
    session.add(run)
    session.commit()
    return run


def close_abandoned_runs(session: Session, *, now: datetime | None = None) -> list[CrawlRun]:
    """Close runs left 'running' by a process that is gone; returns the runs closed.

    Gone means: the owner is a process of this host that no longer runs (known at once), or the
    run gave no sign of life for ``ABANDONED_AFTER`` (an owner on another host, or none
    recorded). The counts stay what the row says, which is what the crawl stored.
    """
    now = now or utcnow()
    running = session.scalars(sa.select(CrawlRun).where(CRAWL_RUNS.c.outcome == "running")).all()
    closed = []
    for run in running:
        last_sign = run.heartbeat_at or run.started_at
        if is_gone(run.owner):
            why = f"abandoned: the crawl process ({run.owner}) is gone and never closed the run"
        elif now - last_sign >= ABANDONED_AFTER:
            why = f"abandoned: no sign of life since {last_sign.isoformat(timespec='seconds')}"
        else:
            continue
        run.sqlmodel_update(
            {"outcome": "failed", "reason": why, "finished_at": now, "listing_complete": False}
        )
        session.add(run)
        closed.append(run)
        log.warning("crawl run %d of %s closed: %s", run.id, run.source, why)
    session.commit()
    return closed


def get_high_water(session: Session, *, source: str, search_key: str = "") -> datetime | None:
    """The newest ``updated_at`` the crawler has stored for this source and search (None: never)."""
    query = sa.select(CRAWL_STATE.c.high_water).where(
        CRAWL_STATE.c.source == source, CRAWL_STATE.c.search_key == search_key
    )
    return session.scalars(query).first()


def advance_high_water(session: Session, *, source: str, search_key: str = "", seen: datetime) -> datetime:
    """Move the mark forward to ``seen`` (never backwards, even with concurrent crawls) and return it."""
    conn = session.connection()
    table = CRAWL_STATE
    now = utcnow()
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(
        insert(table)
        .values(source=source, search_key=search_key, high_water=seen, updated_at=now)
        .on_conflict_do_nothing(index_elements=["source", "search_key"])
    )
    conn.execute(
        table.update()
        .where(table.c.source == source, table.c.search_key == search_key)
        .where(sa.or_(table.c.high_water.is_(None), table.c.high_water < seen))
        .values(high_water=seen, updated_at=now)
    )
    session.commit()
    mark = get_high_water(session, source=source, search_key=search_key)
    assert mark is not None
    return mark


def notices_changed_since(
    session: Session, *, since: datetime | None, limit: int | None = None
) -> list[tuple[int, Notice, datetime]]:
    """(row id, notice, changed_at) of notices whose content changed at or after ``since``, oldest first.

    What the matcher runs on; ``since=None`` means every stored notice.
    """
    query = sa.select(notices_t).order_by(notices_t.c.changed_at, notices_t.c.id)
    if since is not None:
        query = query.where(notices_t.c.changed_at >= since)
    if limit is not None:
        query = query.limit(limit)
    conn = session.connection()
    rows = conn.execute(query).mappings().all()
    items = _load_items(conn, [row["id"] for row in rows])
    return [(row["id"], _row_to_notice(row, items[row["id"]]), row["changed_at"]) for row in rows]
