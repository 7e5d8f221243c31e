"""Segment statistics over a million stored results, against a plain SQL aggregation.

Baseline (same run, same backend, same rows): one ``GROUP BY`` of ``purchase_results`` by OKPD2
group × region × kind × NMCK band giving counts and mean discount and participants, i.e. what
a database does without quartiles. Measured: ``all_segment_stats`` (the same grouping with
nearest-rank discount quartiles, participants median, single and failed shares, via window
functions), ``segment_stats`` of one broad segment, and ``stats_with_backoff`` of narrow
segments (the simulator's call). Aim (issue 10): every segment of 1,000,000 results in < 30 s.

    .venv/bin/python benchmarks/bench_segments.py            # 1,000,000 results
    .venv/bin/python benchmarks/bench_segments.py --quick    # 100,000 results

The rows are generated (not real): 60 OKPD2 groups, 85 regions, 3 kinds, 6 bands, outcomes and
discounts drawn with a fixed seed. SQLite runs in a temporary file; PostgreSQL when
TENDERWATCH_TEST_POSTGRES_URL names an admin URL (a throwaway database).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from sqlmodel import Session

from benchmarks.databases import POSTGRES_ENV
from benchmarks.databases import postgres_db
from benchmarks.databases import sqlite_db
from data.db import make_engine
from data.db import upgrade
from data.models import PURCHASE_RESULTS
from data.models import utcnow
from data.store.segments import Segment
from data.store.segments import all_segment_stats
from data.store.segments import segment_stats
from data.store.segments import stats_with_backoff

KINDS = ("auction", "quotation", "competition")
OUTCOMES = ("winner",) * 80 + ("single_application",) * 14 + ("no_applications",) * 4 + ("all_rejected",) * 2
CHUNK = 50_000


def rows(count: int, seed: int = 1) -> Iterator[list[dict[str, Any]]]:
    rng = random.Random(seed)
    groups = [f"{rng.randrange(1, 99):02d}.{rng.randrange(10, 99)}" for _ in range(60)]
    regions = [f"{r:02d}" for r in range(1, 86)]
    now = utcnow()
    chunk: list[dict[str, Any]] = []
    for i in range(count):
        outcome = rng.choice(OUTCOMES)
        applications = {"no_applications": 0, "single_application": 1}.get(outcome, rng.randrange(2, 12))
        chunk.append(
            {
                "law": "44-FZ",
                "purchase_number": f"{i:019d}",
                "outcome": outcome,
                "applications": applications,
                "admitted": applications,
                "discount_bp": rng.randrange(0, 5000) if outcome == "winner" else None,
                "okpd2": f"{rng.choice(groups)}.{rng.randrange(10, 99)}.000",
                "region": rng.choice(regions),
                "kind": rng.choice(KINDS),
                "nmck_band": rng.randrange(0, 6),
                "notice_linked": True,
                "updated_at": now,
            }
        )
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def timed(action: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


def baseline(session: Session) -> int:
    r = PURCHASE_RESULTS.c
    keys = [sa.func.substr(r.okpd2, 1, 5), r.region, r.kind, r.nmck_band]
    query = sa.select(
        *keys, sa.func.count(), sa.func.avg(r.discount_bp), sa.func.avg(r.applications)
    ).group_by(*keys)
    return len(session.connection().execute(query).all())


def run_backend(name: str, make_db: Callable[[], AbstractContextManager[str]], count: int) -> None:
    print(f"\n{name}: {count:,} stored results")
    with make_db() as url:
        engine = make_engine(url)
        upgrade(engine)
        load_s = 0.0
        with engine.begin() as conn:
            for chunk in rows(count):
                load_s += timed(lambda chunk=chunk: conn.execute(sa.insert(PURCHASE_RESULTS), chunk))[0]
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE purchase_results")
        else:
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        print(f"  loading the rows (not measured work)  {load_s:8.1f} s")
        with Session(engine) as session:
            base_s, groups = timed(lambda: baseline(session))
            print(f"  baseline GROUP BY (count, means)       {base_s:8.2f} s   {groups:,} segments")
            full_s, every = timed(lambda: all_segment_stats(session))
            assert isinstance(every, list) and len(every) == groups
            print(f"  all_segment_stats (quartiles, shares)  {full_s:8.2f} s   ratio {full_s / base_s:5.2f}")
            broad_s, _ = timed(lambda: segment_stats(session, Segment(kind="auction")))
            print(f"  segment_stats, one kind (1/3 of rows)  {broad_s:8.2f} s")
            sample = random.Random(2).sample([s.segment for s in every], 50)
            narrow_s, used = timed(lambda: [stats_with_backoff(session, s, min_purchases=30) for s in sample])
            assert isinstance(used, list)
            widened = sum(1 for s, u in zip(sample, used, strict=True) if u.segment != s)
            print(
                f"  stats_with_backoff, 50 narrow segments {narrow_s / 50 * 1000:8.0f} ms each "
                f"({widened} widened to reach 30 purchases)"
            )
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 results")
    count = 100_000 if parser.parse_args().quick else 1_000_000
    run_backend("SQLite (temporary file)", sqlite_db, count)
    if os.environ.get(POSTGRES_ENV):
        run_backend("PostgreSQL", postgres_db, count)
    else:
        print(f"\nPostgreSQL: skipped ({POSTGRES_ENV} not set)")


if __name__ == "__main__":
    main()
