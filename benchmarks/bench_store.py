"""Batched upsert throughput of ``data.store.upsert_notices`` against a plain Core insert.

Baseline (measured in the same run, on the same backend, into a fresh copy of the same schema):
SQLAlchemy Core ``executemany`` INSERTs of the same notice rows and their item rows, one
transaction per batch, with no lookup, comparison or history. Measured, in batches of the same
size: storing new notices, re-upserting them unchanged, and upserting a newer version of each
(title, price and items changed: one update, an item replacement and three change rows each).

    .venv/bin/python benchmarks/bench_store.py            # 5,000 notices, ~15 s
    .venv/bin/python benchmarks/bench_store.py --quick    # 1,000 notices
    .venv/bin/python benchmarks/bench_store.py --full     # 20,000 notices

SQLite runs in a temporary file. PostgreSQL runs when TENDERWATCH_TEST_POSTGRES_URL names an
admin URL: a throwaway database is created and dropped. Aim (issue #2): >= 2,000 notices/s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from benchmarks.databases import POSTGRES_ENV
from benchmarks.databases import postgres_db
from benchmarks.databases import sqlite_db
from data.db import make_engine
from data.db import normalize_url
from data.db import upgrade
from data.models import NoticeItemRow
from data.models import NoticeRow
from data.models import utcnow
from data.notice import Notice
from data.notice import NoticeItem
from data.store import upsert_notices

REGIONS = ["77", "50", "78", "16", "66", "02", "23", "54"]


def make_notices(count: int, version: int) -> list[Notice]:
    """Realistic-sized cards: two positions, lists, three datetimes, exact money."""
    published = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    return [
        Notice(
            reg_number=f"03732000000250{i:05d}",
            law="44-FZ",
            version=version,
            method_code="EA20",
            method="Электронный аукцион",
            kind="auction",
            title=f"Поставка компьютерной техники для нужд учреждения № {i} (редакция {version})",
            status="Подача заявок",
            customer_name=f"ГБУЗ «Городская больница № {i % 300}»",
            customer_inn=f"77{i:08d}",
            customer_region=REGIONS[i % len(REGIONS)],
            delivery_places=[f"г. Москва, ул. Ленина, д. {i % 90 + 1}"],
            delivery_regions=[REGIONS[i % len(REGIONS)]],
            nmck=Decimal(f"{100000 + i * 7}.{version:02d}"),
            currency="RUB",
            okpd2=["26.20.11.110", "26.20.15.000"],
            items=[
                NoticeItem(
                    name="Ноутбук",
                    okpd2="26.20.11.110",
                    quantity=Decimal(version),
                    unit="шт",
                    price=Decimal("65000.50"),
                ),
                NoticeItem(
                    name="Моноблок",
                    okpd2="26.20.15.000",
                    quantity=Decimal("3"),
                    unit="шт",
                    price=Decimal("81000"),
                ),
            ],
            published_at=published,
            updated_at=published + timedelta(days=version),
            submission_deadline=published + timedelta(days=10),
            bid_security=Decimal("1000.00"),
            contract_security_percent=Decimal("5"),
            smp_only=i % 3 == 0,
            etp_name="РТС-тендер",
            url=f"https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber=03732000000250{i:05d}",
            source="bench",
        )
        for i in range(count)
    ]


def batches(notices: list[Notice], size: int) -> Iterator[list[Notice]]:
    for start in range(0, len(notices), size):
        yield notices[start : start + size]


def timed(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def baseline_insert(engine: Engine, notices: list[Notice], size: int) -> None:
    notices_t, items_t = NoticeRow.__table__, NoticeItemRow.__table__
    columns = [name for name in Notice.model_fields if name != "items"]
    for batch in batches(notices, size):
        now = utcnow()
        rows = [
            {**{c: getattr(n, c) for c in columns}, "first_seen_at": now, "changed_at": now} for n in batch
        ]
        with engine.begin() as conn:
            ids = conn.execute(
                sa.insert(notices_t).returning(notices_t.c.id, sort_by_parameter_order=True), rows
            )
            items = [
                {"notice_id": notice_id, "position": pos, **item.model_dump()}
                for notice_id, n in zip(ids.scalars(), batch, strict=True)
                for pos, item in enumerate(n.items, start=1)
            ]
            conn.execute(sa.insert(items_t), items)


def upsert_all(engine: Engine, notices: list[Notice], size: int, expect: tuple[int, int, int]) -> None:
    totals = [0, 0, 0]
    with Session(engine) as session:
        for batch in batches(notices, size):
            result = upsert_notices(session, batch)
            totals = [totals[0] + result.new, totals[1] + result.changed, totals[2] + result.unchanged]
    if tuple(totals) != expect:  # a benchmark that measured the wrong thing is worse than none
        raise SystemExit(f"unexpected upsert outcome {tuple(totals)}, wanted {expect}")


def run_backend(name: str, make_db: Callable[[], Iterator[str]], count: int, size: int) -> None:
    v1, v2 = make_notices(count, 1), make_notices(count, 2)
    with make_db() as base_url, make_db() as store_url:
        # The baseline runs on SQLAlchemy's default engine (multi-row "insertmanyvalues" with
        # RETURNING): what plain Core gives; the store runs on the project's tuned engine.
        base_engine, store_engine = sa.create_engine(normalize_url(base_url)), make_engine(store_url)
        upgrade(base_engine)
        upgrade(store_engine)
        baseline = count / timed(lambda: baseline_insert(base_engine, v1, size))
        phases = [
            ("new", (count, 0, 0), v1),
            ("unchanged", (0, 0, count), v1),
            ("changed", (0, count, 0), v2),
        ]
        print(f"\n{name}: {count:,} notices (2 items each), batches of {size}")
        print(f"  {'baseline Core insert':<22}{baseline:>10,.0f} notices/s")
        for phase, expect, notices in phases:
            rate = count / timed(lambda n=notices, e=expect: upsert_all(store_engine, n, size, e))
            print(f"  {'upsert ' + phase:<22}{rate:>10,.0f} notices/s  ratio {rate / baseline:5.2f}")
        base_engine.dispose()
        store_engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    size_group = parser.add_mutually_exclusive_group()
    size_group.add_argument("--quick", action="store_true", help="1,000 notices")
    size_group.add_argument("--full", action="store_true", help="20,000 notices")
    parser.add_argument("--batch-size", type=int, default=500, help="notices per batch (default: 500)")
    args = parser.parse_args()
    count = 1_000 if args.quick else 20_000 if args.full else 5_000
    run_backend("SQLite (temporary file)", sqlite_db, count, args.batch_size)
    if os.environ.get(POSTGRES_ENV):
        run_backend("PostgreSQL", postgres_db, count, args.batch_size)
    else:
        print(f"\nPostgreSQL: skipped ({POSTGRES_ENV} not set)")


if __name__ == "__main__":
    main()
