"""The backtest of the competitor models on a simulated market with known truth.

Baseline (same run, same auctions, same draws): the assumption model (3 competitors, walk-away
discount ~ Beta(2.5, 7.5)). Measured: the calibrated model, each auction's calibrated on the
results decided before it (``bidder.market.backtest_stored``): MAE of the predicted winning
discount, Brier score of the win probability at the winner's and the runner-up's prices, and the
time per auction (a calibration is a handful of SQL statements plus the draws).

    .venv/bin/python benchmarks/bench_backtest.py            # 3 segments x 400 auctions, last 300 scored
    .venv/bin/python benchmarks/bench_backtest.py --quick    # 3 x 100, last 60

The market (``crawler.replay.market``) is generated, not real: three segments whose walk-aways
and numbers of bidders differ from the assumption model's, stored through ``upsert_notices`` and
``upsert_results`` into a temporary SQLite file (PostgreSQL too when TENDERWATCH_TEST_POSTGRES_URL is set).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session

from benchmarks.databases import POSTGRES_ENV
from benchmarks.databases import postgres_db
from benchmarks.databases import sqlite_db
from bidder.market import backtest_stored
from crawler.replay.market import simulated_auctions
from data.db import make_engine
from data.db import upgrade
from data.store import upsert_notices
from data.store import upsert_results


def run_backend(
    name: str, make_db: Callable[[], AbstractContextManager[str]], per_segment: int, scored: int
) -> None:
    print(f"\n{name}: 3 segments x {per_segment} simulated auctions, the last {scored} scored")
    with make_db() as url:
        engine = make_engine(url)
        upgrade(engine)
        auctions = simulated_auctions(per_segment=per_segment)
        with Session(engine) as session:
            start = time.perf_counter()
            upsert_notices(session, [notice for notice, _ in auctions])
            upsert_results(session, [protocol for _, protocol in auctions])
            print(f"  storing notices and protocols          {time.perf_counter() - start:8.2f} s")
            start = time.perf_counter()
            report = backtest_stored(session, limit=scored, draws=2000, seed=1)
            elapsed = time.perf_counter() - start
        engine.dispose()
    assert report is not None
    cal, base = report.calibrated, report.assumption
    print(
        f"  backtest, both models                  {elapsed:8.2f} s   "
        f"{elapsed / scored * 1000:6.1f} ms/auction"
    )
    print(f"  {'':36}{'calibrated':>12}{'assumption':>12}")
    print(
        f"  {'winning discount MAE, p.p.':36}{cal.discount_mae_points:12.2f}{base.discount_mae_points:12.2f}"
    )
    print(f"  {'Brier score':36}{cal.brier:12.4f}{base.brier:12.4f}")
    print(
        f"  {'median predicted winning discount':36}{cal.predicted_median_discount:12.1%}"
        f"{base.predicted_median_discount:12.1%}"
    )
    print(
        f"  {'median actual winning discount':36}{cal.actual_median_discount:12.1%}"
        f"{base.actual_median_discount:12.1%}"
    )
    print(f"  calibrated on earlier results: {report.calibrated_auctions} of {cal.auctions}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 x 100 auctions, the last 60 scored")
    quick = parser.parse_args().quick
    per_segment, scored = (100, 60) if quick else (400, 300)
    run_backend("SQLite (temporary file)", sqlite_db, per_segment, scored)
    if os.environ.get(POSTGRES_ENV):
        run_backend("PostgreSQL", postgres_db, per_segment, scored)
    else:
        print(f"\nPostgreSQL: skipped ({POSTGRES_ENV} not set)")


if __name__ == "__main__":
    main()
