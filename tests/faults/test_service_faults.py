"""Issue items 4 and 5 in ``serve``: the admins hear of a listing that keeps coming back
incomplete and of a database that stops taking writes, once per outage (then every 6 h), and of
the recovery; the service goes on and what was stored is kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from crawler.replay import build_snapshot
from data.db import make_engine
from data.db import upgrade
from data.models import NoticeRow
from tests.faults.ledger import record
from tests.tenderwatch.serve_helpers import ADMIN
from tests.tenderwatch.serve_helpers import FakeCrawl
from tests.tenderwatch.serve_helpers import RecordingSender
from tests.tenderwatch.serve_helpers import make_pipeline


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "tw.db"


@pytest.fixture
def engine(db_file: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{db_file}")
    upgrade(eng)
    yield eng
    eng.dispose()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_a_listing_incomplete_crawl_after_crawl_is_told_to_admins_once_then_its_recovery(engine):
    crawl, sender = FakeCrawl(engine), RecordingSender()
    pipeline = make_pipeline(engine, crawl, sender)
    pipeline.clock = clock = Clock()
    crawl.listing_complete = False
    outcomes = []
    for _ in range(4):  # a cut-off page once is retried by the next crawl; four in a row is an outage
        outcomes.append((await pipeline.crawl_cycle("eis")).outcome)
        clock.now += timedelta(minutes=15)
    told = sender.to(ADMIN)
    crawl.listing_complete = True
    await pipeline.crawl_cycle("eis")
    recovered = sender.to(ADMIN)[len(told) :]

    assert outcomes == ["partial"] * 4
    assert len(told) == 1 and "listing not read to its end in 2 crawls in a row" in told[0]
    assert len(recovered) == 1 and "восстановлено" in recovered[0]
    record(4, "serve: listing incomplete 4 crawls in a row", unit="admin notices", tried=2, survived=2)


async def test_a_database_that_stops_taking_writes_is_told_to_admins_and_the_service_goes_on(engine, db_file):
    crawl, sender = FakeCrawl(engine), RecordingSender()
    pipeline = make_pipeline(engine, crawl, sender)
    pipeline.clock = clock = Clock()
    snapshot = build_snapshot(seed=5, count=12, now=clock.now)
    crawl.queue = [p.latest.notice for p in snapshot.purchases]
    assert (await pipeline.crawl_cycle("eis")).outcome == "ok"

    # The disk fills up / the file turns read-only under the running service.
    read_only = make_engine(f"sqlite:///file:{db_file}?mode=ro&uri=true")
    pipeline.engine = pipeline.notifier.engine = read_only
    cycles = []
    for _ in range(3):
        clock.now += timedelta(minutes=15)
        cycles.append(await pipeline.crawl_cycle("eis"))
    failing = list(sender.to(ADMIN))

    pipeline.engine = pipeline.notifier.engine = engine
    clock.now += timedelta(minutes=15)
    assert (await pipeline.crawl_cycle("eis")).outcome == "ok"
    read_only.dispose()
    after = sender.to(ADMIN)[len(failing) :]

    assert cycles == [None, None, None]  # each cycle ended cleanly, the schedule goes on
    assert len(failing) == 1 and "Сервис не может записать в базу данных" in failing[0]
    assert "attempt to write a readonly database" in failing[0]
    assert after == [after[0]] and "Запись в базу данных снова работает" in after[0]
    with engine.connect() as conn:
        stored = conn.scalar(sa.select(sa.func.count()).select_from(NoticeRow))
    lost = len(snapshot.purchases) - int(stored or 0)
    case = record(
        5,
        "serve: database read-only for 3 cycles, then back",
        unit="notices",
        tried=len(snapshot.purchases),
        survived=int(stored or 0),
        lost=lost,
    )
    assert case.lost == 0
