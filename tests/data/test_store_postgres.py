"""Two processes importing the same notices into one PostgreSQL at once: no duplicates, no lost history."""

from __future__ import annotations

import multiprocessing
from datetime import UTC
from datetime import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from data.db import make_engine
from data.models import NoticeChange
from data.models import NoticeItemRow
from data.models import NoticeRow
from data.notice import Notice
from data.notice import NoticeItem

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

KEYS = 300
BATCH = 50


def make_notice(i: int, version: int) -> Notice:
    return Notice(
        reg_number=f"0373200000025{i:06d}",
        law="44-FZ",
        version=version,
        title=f"Поставка товара {i} (редакция {version})",
        nmck=Decimal(f"{1000 + i}.{version:02d}"),
        updated_at=datetime(2025, 3, version, 12, 0, tzinfo=UTC),
        items=[NoticeItem(name=f"Позиция {i}", quantity=Decimal(version), price=Decimal("10.50"))],
        completeness="card",
        source="import",
    )


def import_twice(
    url: str, barrier: multiprocessing.synchronize.Barrier, results: multiprocessing.Queue
) -> None:
    """What one ``tenderwatch import`` does with the same files: version 1 batches, then version 2."""
    from sqlmodel import Session

    from data.store import UpsertResult
    from data.store import upsert_notices

    engine = make_engine(url)
    total = UpsertResult()
    with Session(engine) as session:
        barrier.wait(timeout=60)
        for version in (1, 2):
            notices = [make_notice(i, version) for i in range(KEYS)]
            for start in range(0, KEYS, BATCH):
                total.add(upsert_notices(session, notices[start : start + BATCH]))
    engine.dispose()
    results.put((total.new, total.changed, total.unchanged))


def count(engine: Engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_concurrent_imports_leave_no_duplicates_and_no_lost_changes(
    engine: Engine, postgres_url: str
) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    workers = [ctx.Process(target=import_twice, args=(postgres_url, barrier, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0]

    new = sum(o[0] for o in outcomes)
    changed = sum(o[1] for o in outcomes)
    unchanged = sum(o[2] for o in outcomes)
    assert (new, changed, unchanged) == (KEYS, KEYS, 2 * KEYS)
    assert count(engine, NoticeRow) == KEYS
    assert count(engine, NoticeItemRow) == KEYS
    # title, nmck and items changed from version 1 to 2: exactly one row each, never two, never none
    assert count(engine, NoticeChange) == 3 * KEYS
    with engine.connect() as conn:
        per_field = dict(
            conn.execute(sa.select(NoticeChange.field, sa.func.count()).group_by(NoticeChange.field)).all()
        )
        versions = set(conn.execute(sa.select(NoticeRow.version).distinct()).scalars())
    assert per_field == {"title": KEYS, "nmck": KEYS, "items": KEYS}
    assert versions == {2}
