"""A day of all of Russia through the shared crawl frontier: 1, 2 and 4 workers, side by side.

The replay serves one busy day (``--notices``, default 40,000) with the real site's behaviour that
matters here: at most 1,000 records listed per query (the crawl splits the day by price band) and
pages of 500; every answer waits ``--latency`` seconds (the network and the site, which a local
replay lacks). The politeness is fixed per site (``--delay`` seconds between two requests from
all workers together, the shared gate) and each worker keeps ``--concurrency`` requests in flight.

Printed, measured in the same run:
* baseline: today's default crawl, one process without the frontier, at the same politeness;
* 1, 2, 4 workers on the frontier (Redis): wall time from the first start to the last end,
  notices/s, list requests and parts, card requests, cards fetched twice (aim: 0), notices
  stored and stored twice (aim: 0);
* 3 workers of which one is killed (SIGKILL) a tenth of the way in: every notice stored once,
  and how many cards were fetched twice (what the dead worker had fetched but not stored);
* by calculation: how long a day takes at the real site's politeness, and how many workers fit
  the 6-hour aim.

Needs Redis (``TENDERWATCH_TEST_REDIS_URL``, default redis://127.0.0.1:6379/15); stores into
PostgreSQL when ``TENDERWATCH_TEST_POSTGRES_URL`` is set (what several machines would share),
else SQLite. Run: ``.venv/bin/python benchmarks/bench_frontier.py [--quick]``.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import signal
import sys
import threading
import time
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis import Redis

from benchmarks.databases import POSTGRES_ENV
from benchmarks.databases import postgres_db
from benchmarks.databases import sqlite_db
from crawler.extensions import CrawlProgress
from crawler.replay import build_snapshot
from crawler.replay.server import start_replay
from crawler.replay.snapshot import Snapshot
from crawler.runner import CrawlConfig
from crawler.runner import CrawlSummary
from crawler.runner import run_crawl
from crawler.settings import DOWNLOAD_DELAY as REAL_DELAY
from data.db import make_engine

REDIS_ENV = "TENDERWATCH_TEST_REDIS_URL"
SIX_HOURS = 6 * 3600


@dataclass
class Outcome:
    label: str
    workers: int
    seconds: float
    runs: list[CrawlSummary]
    stats: dict
    stored: int
    distinct: int

    @property
    def cards(self) -> int:
        requests = self.stats["requests"]
        return sum(requests.get(kind, {}).get("200", 0) for kind in ("card", "json"))

    @property
    def lists(self) -> int:
        return sum(self.stats["requests"].get("list", {}).values())

    @property
    def fetched_twice(self) -> int:
        return sum(self.stats["repeated"].get(kind, 0) for kind in ("card", "json"))

    @property
    def parts(self) -> str:
        found = [re.search(r"listed in (\d+) parts", r.reason) for r in self.runs]
        return ",".join(m.group(1) for m in found if m) or "1"


def stored_counts(db_url: str) -> tuple[int, int]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows, distinct = conn.exec_driver_sql(
                "SELECT count(*), count(DISTINCT law || reg_number) FROM notices"
            ).one()
    finally:
        engine.dispose()
    return int(rows), int(distinct)


def crawl(
    label: str,
    snapshot: Snapshot,
    config: CrawlConfig,
    workers: int,
    args: argparse.Namespace,
    *,
    kill_third_at: int | None = None,
) -> Outcome:
    """``workers`` crawls of ``snapshot``; ``kill_third_at``: SIGKILL the third worker once it
    has fetched that many cards (its run is then expected to fail, the others not)."""
    database: AbstractContextManager[str] = postgres_db() if os.environ.get(POSTGRES_ENV) else sqlite_db()
    with database as db_url, start_replay(snapshot, latency=args.latency) as server:
        config = replace(config, database_url=db_url, base_url=server.url)
        runs: list[CrawlSummary] = []
        started = time.perf_counter()

        def work(i: int) -> None:
            pid: list[int] = []

            def kill(progress: CrawlProgress) -> None:
                if i == 2 and kill_third_at is not None and progress.cards >= kill_third_at and pid:
                    os.kill(pid.pop(), signal.SIGKILL)

            runs.append(run_crawl("eis", config=config, on_start=pid.append, on_progress=kill))

        threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
        for thread in threads:
            thread.start()
            time.sleep(0.2)
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        stats = server.stats()
        stored, distinct = stored_counts(db_url)
    bad = [r for r in runs if r.outcome != "ok"]
    assert len(bad) == (1 if kill_third_at else 0), [r.reason for r in bad]
    return Outcome(label, workers, seconds, runs, stats, stored, distinct)


def shared_crawl(
    label: str,
    snapshot: Snapshot,
    base: CrawlConfig,
    workers: int,
    args: argparse.Namespace,
    redis_url: str,
    *,
    kill_third_at: int | None = None,
) -> Outcome:
    """A crawl on a frontier of its own (a fresh Redis namespace, removed afterwards)."""
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    shared = replace(
        base,
        frontier_url=redis_url,
        extra_settings={**base.extra_settings, "TENDERWATCH_FRONTIER_NAMESPACE": namespace},
    )
    try:
        return crawl(label, snapshot, shared, workers, args, kill_third_at=kill_third_at)
    finally:
        server = Redis.from_url(redis_url)
        leftover = list(server.scan_iter(f"{namespace}:*"))
        if leftover:
            server.delete(*leftover)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=40_000)
    parser.add_argument("--quick", action="store_true", help="4,000 notices")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds each answer waits")
    parser.add_argument("--delay", type=float, default=0.004, help="seconds between requests to the site")
    parser.add_argument("--concurrency", type=int, default=2, help="requests in flight per worker")
    parser.add_argument(
        "--batch", type=int, default=100, help="notices per stored batch (crawler.batch_size)"
    )
    args = parser.parse_args()
    count = 4_000 if args.quick else args.notices
    redis_url = os.environ.get(REDIS_ENV, "redis://127.0.0.1:6379/15")
    snapshot = build_snapshot(seed=2026, count=count, days=1)
    base = CrawlConfig(
        database_url="",
        concurrent_requests=args.concurrency,
        download_delay=args.delay,
        autothrottle=False,
        max_requests=None,
        max_pages=10_000,
        timeout_seconds=7200,
        batch_size=args.batch,
        extra_settings={"TENDERWATCH_PROGRESS_INTERVAL": 5},
    )
    print(
        f"one day, {count} notices; the site: cap {snapshot.result_cap} records a query, pages of 500, "
        f"{args.latency * 1000:.0f} ms an answer; politeness {args.delay * 1000:g} ms between requests "
        f"(at most {1 / args.delay:.0f} requests/s for all workers); {args.concurrency} in flight a worker; "
        f"store: {'PostgreSQL' if os.environ.get(POSTGRES_ENV) else 'SQLite'}"
    )
    outcomes = [crawl("baseline: one process, no frontier", snapshot, base, 1, args)]
    for workers in (1, 2, 4):
        outcomes.append(
            shared_crawl(f"shared frontier, {workers} worker(s)", snapshot, base, workers, args, redis_url)
        )
    killed = shared_crawl(
        "3 workers, the third killed (kill -9)", snapshot, base, 3, args, redis_url, kill_third_at=count // 10
    )
    print(
        f"{'':38} {'wall s':>8} {'notices/s':>9} {'lists':>6} {'parts':>6} {'cards':>6} "
        f"{'twice':>5} {'stored':>7} {'dup':>4}"
    )
    for o in outcomes:
        print(
            f"{o.label:38} {o.seconds:8.1f} {count / o.seconds:9.1f} {o.lists:6d} {o.parts:>6} {o.cards:6d} "
            f"{o.fetched_twice:5d} {o.stored:7d} {o.stored - o.distinct:4d}"
        )
        assert o.distinct == count and o.stored == o.distinct and o.fetched_twice == 0
    o = killed
    print(
        f"{o.label:38} {o.seconds:8.1f} {count / o.seconds:9.1f} {o.lists:6d} {o.parts:>6} {o.cards:6d} "
        f"{o.fetched_twice:5d} {o.stored:7d} {o.stored - o.distinct:4d}   (cards fetched twice: what the "
        f"killed worker had fetched and not stored)"
    )
    assert o.distinct == count and o.stored == o.distinct
    requests_a_day = outcomes[-1].lists + count
    real_seconds = requests_a_day * REAL_DELAY
    print(
        f"a day at the real site's politeness ({REAL_DELAY:g} s between requests, shared by all workers): "
        f"{requests_a_day} requests = {real_seconds / 3600:.1f} h, whatever the number of workers; "
        f"the 6-hour aim needs the site to allow {requests_a_day / SIX_HOURS:.2f} requests/s"
    )
    per_worker = count / outcomes[1].seconds
    print(
        f"if each worker is a client of its own (its own address, politeness per client): "
        f"{math.ceil(real_seconds / SIX_HOURS)} workers fit the 6-hour aim; one worker here does "
        f"{per_worker:.0f} notices/s, so CPU is never what limits a worker at {REAL_DELAY:g} s apart"
    )


if __name__ == "__main__":
    main()
