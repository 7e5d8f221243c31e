"""Alert latency end to end: the replay publishes a notice -> the fake Telegram receives its alert.

The whole service runs in this process (``tenderwatch.service.serve``) with the real crawl
subprocesses against the bundled EIS replay and the real bot sending to a local fake Bot API.
The replay publishes new notices at a steady rate; each one that matches is timed from its
publication (wall clock, recorded by the replay) to the ``sendMessage`` that names it (recorded
by the fake). With crawls every T seconds a notice waits on average T/2 for the next crawl, so
the expectation is latency ≈ T/2 + crawl + match + send.

Baseline, measured in the same run: the pipeline's own processing time for one new notice
(one crawl cycle: crawl subprocess + match + enqueue + send), timed directly.

Usage: ``.venv/bin/python benchmarks/bench_alert_latency.py [--full]`` (default: intervals 2 s
and 5 s, about a minute; ``--full``: 2, 5 and 10 s with longer runs).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram.ext import ExtBot

from bidder.profiles import parse_profiles
from bot.notifier import Notifier
from bot.notifier import TelegramSender
from crawler.replay import build_snapshot
from crawler.replay.server import start_replay
from data.db import make_engine
from data.db import upgrade
from tenderwatch.commands.crawl import crawl_config
from tenderwatch.config import Settings
from tenderwatch.pipeline import Pipeline
from tenderwatch.service import serve
from tests.bot.fake_telegram import FakeTelegram
from tests.tenderwatch.serve_helpers import local_service_settings

os.environ.setdefault("PTB_TIMEDELTA", "true")
TOKEN = "1:BENCH-latency"
CHAT = 777


def catch_all_profiles() -> list[dict]:
    """One profile per OKPD2 class the replay generates: every open notice is alerted."""
    sample = build_snapshot(seed=1, count=400, now=datetime.now(UTC))
    classes = sorted({code[:2] for p in sample.purchases for code in p.latest.notice.okpd2})
    return [{"name": "everything", "regions": "any", "okpd2": classes}]


def settings_for(db_url: str, replay_url: str, fake: FakeTelegram, interval: float) -> Settings:
    telegram = {"token": TOKEN, "base_url": fake.base_url, "default_chats": [CHAT]}
    scheduler = {
        "crawl_interval_minutes": interval / 60,
        "misfire_grace_seconds": 60,
        "alert_on_first_run": False,  # only notices published during the run are timed
    }
    return local_service_settings(db_url, replay_url, telegram, scheduler, catch_all_profiles())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def measure_interval(interval: float, seconds: float, workdir: Path) -> list[float]:
    """Latencies (s) of the published notices alerted while the service ran with this interval."""
    snapshot = build_snapshot(seed=42, count=30, now=datetime.now(UTC))
    db_url = f"sqlite:///{workdir / f'latency-{interval:g}.db'}"
    publish_rate = 20.0  # a notice every 3 s: below the 1 message/s per-chat pacing, so no queueing
    with FakeTelegram() as fake, start_replay(snapshot) as replay:
        settings = settings_for(db_url, replay.url, fake, interval)
        stop = asyncio.Event()
        service = asyncio.create_task(serve(settings, stop=stop, signals=(), announce=lambda line: None))
        await asyncio.sleep(interval + 3)  # the seeding crawl is done: start publishing
        replay_publisher = asyncio.create_task(_publish(replay, 60 / publish_rate, seconds))
        await replay_publisher
        await asyncio.sleep(interval + 5)  # let the last published notices be crawled and sent
        stop.set()
        await service
        offset = time.time() - time.monotonic()
        received = [(sent.at + offset, sent.text) for sent in fake.sends_to(CHAT)]
        published = replay.stats()["published"]
    latencies = []
    for item in published:
        at = datetime.fromisoformat(item["published_at"]).timestamp()
        arrivals = [when for when, text in received if item["reg_number"] in text]
        if arrivals:
            latencies.append(min(arrivals) - at)
    return latencies


async def _publish(replay, every: float, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        replay.publish(1)
        await asyncio.sleep(every)


async def measure_baseline(workdir: Path, runs: int) -> list[float]:
    """One crawl cycle (crawl + match + enqueue + send) for one newly published notice, timed directly."""
    snapshot = build_snapshot(seed=43, count=30, now=datetime.now(UTC))
    db_url = f"sqlite:///{workdir / 'baseline.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    durations = []
    with FakeTelegram() as fake, start_replay(snapshot) as replay:
        settings = settings_for(db_url, replay.url, fake, 60)
        async with ExtBot(TOKEN, base_url=fake.base_url) as bot:
            pipeline = Pipeline(
                engine=engine,
                notifier=Notifier(engine, TelegramSender(bot), digest_threshold=1000),
                profiles=parse_profiles(settings.profiles),
                crawl_config=crawl_config(settings),
                scheduler_settings=settings.scheduler,
                telegram_settings=settings.telegram,
                announce=lambda line: None,
            )
            await pipeline.crawl_cycle("eis")  # the seeding crawl
            while len(durations) < runs:
                (notice,) = replay.publish(1)
                sends_before = len(fake.sends_to(CHAT))
                started = time.perf_counter()
                cycle = await pipeline.crawl_cycle("eis")
                elapsed = time.perf_counter() - started
                if cycle is not None and cycle.enqueued == 1 and len(fake.sends_to(CHAT)) == sends_before + 1:
                    durations.append(elapsed)
                elif cycle is not None and cycle.enqueued == 0:
                    continue  # the notice was cancelled or already closed: not alerted, not timed
                else:
                    raise SystemExit(f"baseline cycle did not alert {notice.reg_number}: {cycle}")
    engine.dispose()
    return durations


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="intervals 2, 5 and 10 s, longer runs")
    args = parser.parse_args()
    intervals = (2.0, 5.0, 10.0) if args.full else (2.0, 5.0)
    seconds = 60.0 if args.full else 14.0
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        baseline = await measure_baseline(workdir, runs=5 if args.full else 3)
        base = statistics.median(baseline)
        print(
            f"baseline: one crawl cycle for one new notice (crawl+match+send): median {base:.2f} s, "
            f"min {min(baseline):.2f} s, max {max(baseline):.2f} s over {len(baseline)} runs"
        )
        print(
            f"{'interval':>8} {'alerts':>6} {'p50':>7} {'p95':>7} {'mean':>7} {'expected':>9} {'p50-base':>9}"
        )
        for interval in intervals:
            latencies = await measure_interval(interval, seconds, workdir)
            if not latencies:
                print(f"{interval:>7g}s {0:>6} (no alerts arrived)")
                continue
            p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
            expected = interval / 2 + base
            print(
                f"{interval:>7g}s {len(latencies):>6} {p50:>6.2f}s {p95:>6.2f}s "
                f"{statistics.mean(latencies):>6.2f}s {expected:>8.2f}s {p50 - base:>8.2f}s"
            )
    print("expected = interval/2 + baseline: the average wait for the next crawl plus the processing")


if __name__ == "__main__":
    asyncio.run(main())
