"""``upsert_notices``: a batch of notices stored in one transaction, with one change row per changed field.

Every tracked field whose value changes gets one ``notice_changes`` row (items as a whole).
A newer version with the same content only refreshes the bookkeeping and counts as unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic_core import to_jsonable_python
from sqlmodel import Session

from data.models import NOTICE_CHANGES
from data.models import NOTICE_ITEMS
from data.models import NOTICES
from data.models import utcnow
from data.notice import Notice
from data.store.batch import run_batch
from data.store.plan import Key
from data.store.plan import UpsertResult
from data.store.plan import changed_fields
from data.store.plan import dedupe
from data.store.plan import differing_columns
from data.store.plan import plan_update
from data.store.results import link_results
from data.store.rows import _insert_returning_ids
from data.store.rows import _item_values
from data.store.rows import _load_stored
from data.store.rows import _notice_values
from data.store.runs import RunProgress
from data.store.runs import _count_into_run


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
    first = min(batch)

    def apply(conn: sa.Connection) -> UpsertResult:
        result = _apply_batch(conn, batch, source)
        if run is not None:
            _count_into_run(conn, run, result)
        return result

    return run_batch(session, f"batch of {len(batch)} notices (first {first[0]} {first[1]})", apply)


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
    link_results(conn, result.new_keys + result.changed_keys)
    return result


def _insert_new(conn: sa.Connection, notices: list[Notice], now: datetime) -> dict[Key, int]:
    if not notices:
        return {}
    rows = [{**_notice_values(n), "first_seen_at": now, "changed_at": now} for n in notices]
    ids = _insert_returning_ids(conn, rows)
    items = [row for n in notices if n.key in ids for row in _item_values(ids[n.key], n.items)]
    if items:
        conn.execute(sa.insert(NOTICE_ITEMS), items)
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
        written = {name: getattr(new, name) for name in differing_columns(old, new)}
        if fields:  # items alone changing is a change of the row too
            written["changed_at"] = now
        if written:
            updates.append({"_id": notice_id, **written})
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
        conn.execute(sa.insert(NOTICE_CHANGES), changes)


def _write_updates(conn: sa.Connection, updates: list[dict[str, Any]]) -> None:
    """Each row writes only the columns that differ: a revision changes a few fields, and binding the
    rest (JSON lists, money, datetimes) again was most of the cost of storing a changed notice.
    Rows changing the same columns share one executemany."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in updates:
        by_columns.setdefault(tuple(row), []).append(row)
    for columns, rows in by_columns.items():
        values: dict[str, Any] = {name: sa.bindparam(name) for name in columns if name != "_id"}
        conn.execute(NOTICES.update().where(NOTICES.c.id == sa.bindparam("_id")).values(values), rows)


def _replace_items(conn: sa.Connection, replaced: list[tuple[int, Notice]]) -> None:
    if not replaced:
        return
    conn.execute(
        NOTICE_ITEMS.delete().where(NOTICE_ITEMS.c.notice_id.in_([notice_id for notice_id, _ in replaced]))
    )
    rows = [row for notice_id, notice in replaced for row in _item_values(notice_id, notice.items)]
    if rows:
        conn.execute(sa.insert(NOTICE_ITEMS), rows)


def _change_rows(
    notice_id: int, old: Notice, new: Notice, fields: list[str], source: str | None, now: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "notice_id": notice_id,
            "field": name,
            "old_value": _json_value(getattr(old, name)),
            "new_value": _json_value(getattr(new, name)),
            "old_version": old.version,
            "new_version": new.version,
            "changed_at": now,
            "source": source,
        }
        for name in fields
    ]


def _json_value(value: Any) -> Any:
    """A field's value as the history stores it (as ``model_dump(mode="json")`` writes it), datetimes
    in UTC, so the history reads the same whatever offset a source used."""
    return to_jsonable_python(value.astimezone(UTC) if isinstance(value, datetime) else value)
