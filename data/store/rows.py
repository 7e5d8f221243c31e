"""Notices to rows and back, and the keyed reads the upsert builds on."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from data.db import upsert_into
from data.models import NOTICE_ITEMS
from data.models import NOTICES
from data.models import NoticeRow
from data.notice import Notice
from data.notice import NoticeItem
from data.store.plan import ITEM_FIELDS
from data.store.plan import KEYS_PER_QUERY
from data.store.plan import NOTICE_COLUMNS
from data.store.plan import Key


def _notice_values(notice: Notice) -> dict[str, Any]:
    return {name: getattr(notice, name) for name in NOTICE_COLUMNS}


def _item_values(notice_id: int, items: Sequence[NoticeItem]) -> list[dict[str, Any]]:
    """The positions as rows: a model's ``__dict__`` holds its field values as ``model_dump`` gives
    them (no nested models), without dumping each one."""
    return [
        {"notice_id": notice_id, "position": position, **item.__dict__}
        for position, item in enumerate(items, start=1)
    ]


def notice_from_row(
    row: Mapping[str, Any] | sa.RowMapping | NoticeRow, items: Sequence[NoticeItem | Mapping[str, Any]] = ()
) -> Notice:
    """The one way a stored notice row becomes a ``Notice`` (a mapping of a Core query, or the
    ORM row); its positions only when given (messages and reports do without them)."""
    if isinstance(row, NoticeRow):
        values = {name: getattr(row, name) for name in NOTICE_COLUMNS}
    else:
        values = {name: row[name] for name in NOTICE_COLUMNS}
    return Notice.model_validate({**values, "items": list(items)})


def _chunks(seq: Sequence[Any], size: int = KEYS_PER_QUERY) -> Iterator[Sequence[Any]]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


def _key_filter(keys: Sequence[Key]) -> sa.ColumnElement[bool]:
    return sa.tuple_(NOTICES.c.law, NOTICES.c.reg_number).in_(list(keys))


def _load_items(conn: sa.Connection, ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Each notice's positions as mappings: ``Notice.model_validate`` validates them with the notice
    in one call (a ``NoticeItem`` each was a third of the time of reading a batch back)."""
    items: dict[int, list[dict[str, Any]]] = {notice_id: [] for notice_id in ids}
    cols = [NOTICE_ITEMS.c.notice_id, *(NOTICE_ITEMS.c[name] for name in ITEM_FIELDS)]
    for chunk in _chunks(ids):
        query = (
            sa.select(*cols)
            .where(NOTICE_ITEMS.c.notice_id.in_(chunk))
            .order_by(NOTICE_ITEMS.c.notice_id, "position")
        )
        for notice_id, *values in conn.execute(query):
            items[notice_id].append(dict(zip(ITEM_FIELDS, values, strict=True)))
    return items


def _load_stored(conn: sa.Connection, keys: Sequence[Key], *, lock: bool) -> dict[Key, tuple[int, Notice]]:
    """The stored notices for ``keys``; ``lock`` takes row locks (PostgreSQL) until the batch commits."""
    columns = [NOTICES.c.id, *(NOTICES.c[name] for name in NOTICE_COLUMNS)]  # not the bookkeeping times
    rows: list[sa.Row[Any]] = []
    for chunk in _chunks(keys):
        query = sa.select(*columns).where(_key_filter(chunk)).order_by(NOTICES.c.law, NOTICES.c.reg_number)
        if lock:
            query = query.with_for_update()
        rows += conn.execute(query).all()
    items = _load_items(conn, [row[0] for row in rows])
    stored: dict[Key, tuple[int, Notice]] = {}
    for notice_id, *values in rows:
        notice = notice_from_row(dict(zip(NOTICE_COLUMNS, values, strict=True)), items[notice_id])
        stored[notice.key] = (notice_id, notice)
    return stored


def _insert_ignoring_conflicts(conn: sa.Connection) -> Any:
    return upsert_into(conn, NOTICES).on_conflict_do_nothing(index_elements=["law", "reg_number"])


def _insert_returning_ids(conn: sa.Connection, rows: list[dict[str, Any]]) -> dict[Key, int]:
    """Insert what is not there yet; the ids of the rows this transaction inserted.

    PostgreSQL: a plain executemany (psycopg pipelines one prepared statement; a multi-row
    ``INSERT ... RETURNING`` is re-parsed by psycopg in Python on every batch and was the
    bottleneck), then the rows whose ``xmin`` is this transaction: those, and only those, are
    ours, whatever a concurrent writer inserted meanwhile. SQLite: ``RETURNING`` directly.
    """
    statement = _insert_ignoring_conflicts(conn)
    if conn.dialect.name != "postgresql":
        returned = conn.execute(statement.returning(NOTICES.c.id, NOTICES.c.law, NOTICES.c.reg_number), rows)
        return {(law, reg_number): notice_id for notice_id, law, reg_number in returned}
    conn.execute(statement, rows)
    ours = sa.text("notices.xmin = pg_current_xact_id()::xid")
    keys = [(row["law"], row["reg_number"]) for row in rows]
    ids: dict[Key, int] = {}
    for chunk in _chunks(keys):
        query = sa.select(NOTICES.c.id, NOTICES.c.law, NOTICES.c.reg_number).where(_key_filter(chunk), ours)
        ids.update({(law, reg_number): notice_id for notice_id, law, reg_number in conn.execute(query)})
    return ids
