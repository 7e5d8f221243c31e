"""The crawl cycle without Scrapy: seeding on the first run, alerting once, failures, the schedule, stopping.

The crawl function is replaced by one that stores notices directly (or fails, or runs a real
child process), so these tests exercise the pipeline's own logic quickly; the subprocess crawl
against the replay is covered by test_serve_e2e.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from bidder.profiles import parse_profiles
from bot.render import failure_message
from bot.render import recovery_message
from crawler.errors import CrawlProcessError
from crawler.replay import build_snapshot
from crawler.runner import CrawlConfig
from crawler.runner import CrawlSummary
from data.db import make_engine
from data.db import session_scope
from data.db import upgrade
from data.models import OutboxRow
from data.notice import Notice
from data.store import get_high_water
from data.store import upsert_notices
from tenderwatch.config import SchedulerSettings
from tenderwatch.pipeline import FAILURE_REPEAT_INTERVAL
from tenderwatch.scheduler import SchedulerError
from tenderwatch.scheduler import build_scheduler
from tenderwatch.scheduler import describe_schedule
from tenderwatch.seeding import FIRST_RUN_KEY
from tenderwatch.seeding import SEED_STATE_SOURCE
from tenderwatch.seeding import SEEDED_KEY
from tenderwatch.seeding import first_run_pending
from tests.tenderwatch.serve_helpers import ADMIN
from tests.tenderwatch.serve_helpers import CHAT
from tests.tenderwatch.serve_helpers import FakeCrawl
from tests.tenderwatch.serve_helpers import RecordingSender
from tests.tenderwatch.serve_helpers import alertable
from tests.tenderwatch.serve_helpers import make_pipeline


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'tw.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def snapshot():
    return build_snapshot(seed=11, count=40, now=datetime.now(UTC))


def alerted(sender: RecordingSender, reg_numbers: set[str]) -> dict[str, int]:
    """How many messages to the chat name each registry number."""
    texts = sender.to(CHAT)
    return {reg: sum(reg in text for text in texts) for reg in reg_numbers}


async def test_first_run_records_existing_notices_then_alerts_only_new_ones(engine, snapshot):
    crawl, sender = FakeCrawl(engine), RecordingSender()
    pipeline = make_pipeline(engine, crawl, sender)
    existing = [p.latest.notice for p in snapshot.purchases]
    expected_seeded = alertable(existing)
    assert len(expected_seeded) >= 3  # the test means something only if some notices match

    crawl.queue = existing
    first = await pipeline.crawl_cycle("eis")
    assert (first.outcome, first.new, first.seeded, first.enqueued) == ("ok", 40, len(expected_seeded), 0)
    assert sender.sent == []
    with session_scope(engine) as session:
        rows = session.execute(sa.select(OutboxRow.status, OutboxRow.payload)).all()
        assert get_high_water(session, source=SEED_STATE_SOURCE, search_key=SEEDED_KEY) is not None
    assert [(status, payload.get("seeded")) for status, payload in rows] == [("sent", True)] * len(
        expected_seeded
    )

    minted = [snapshot.publish_next(at=datetime.now(UTC)) for _ in range(30)]
    expected_new = alertable(minted)
    assert expected_new
    crawl.queue = minted
    second = await pipeline.crawl_cycle("eis")
    assert (second.new, second.seeded, second.enqueued) == (30, 0, len(expected_new))
    assert alerted(sender, expected_new) == dict.fromkeys(expected_new, 1)
    assert alerted(sender, {m.reg_number for m in minted} - expected_new) == dict.fromkeys(
        {m.reg_number for m in minted} - expected_new, 0
    )
    assert alerted(sender, expected_seeded) == dict.fromkeys(expected_seeded, 0)

    third = await pipeline.crawl_cycle("eis")  # nothing new: nothing sent again
    assert (third.new, third.enqueued) == (0, 0)
    assert len(sender.to(CHAT)) == len(expected_new)


async def test_alert_on_first_run_alerts_existing_notices(engine, snapshot):
    crawl, sender = FakeCrawl(engine), RecordingSender()
    pipeline = make_pipeline(engine, crawl, sender, alert_on_first_run=True)
    existing = [p.latest.notice for p in snapshot.purchases]
    crawl.queue = existing
    cycle = await pipeline.crawl_cycle("eis")
    expected = alertable(existing)
    assert (cycle.seeded, cycle.enqueued) == (0, len(expected))
    assert alerted(sender, expected) == dict.fromkeys(expected, 1)
    assert pipeline.totals.alerts["sent"] == len(expected)


async def test_failed_first_crawl_neither_seeds_nor_alerts_and_the_next_one_does(engine, snapshot):
    crawl, sender = FakeCrawl(engine), RecordingSender()
    pipeline = make_pipeline(engine, crawl, sender)
    crawl.fail_with = "no listing page could be read; 1 errors in 1 requests (100%): http_5xx 1"
    failed = await pipeline.crawl_cycle("eis")
    assert failed.outcome == "failed"
    assert sender.to(ADMIN) == [failure_message("eis", failed.run_id, crawl.fail_with)]
    assert "Обход источника eis не удался" in sender.to(ADMIN)[0]
    with session_scope(engine) as session:
        assert get_high_water(session, source=SEED_STATE_SOURCE, search_key=SEEDED_KEY) is None

    crawl.fail_with = None
    crawl.queue = [p.latest.notice for p in snapshot.purchases]
    ok = await pipeline.crawl_cycle("eis")
    assert (ok.outcome, ok.seeded, ok.enqueued) == ("ok", len(alertable(crawl_notices(snapshot))), 0)
    assert sender.to(CHAT) == []
    assert pipeline.totals.crawls == {"failed": 1, "ok": 1}


def crawl_notices(snapshot) -> list[Notice]:
    return [p.latest.notice for p in snapshot.purchases]


async def test_a_crawl_that_cannot_start_is_reported_and_the_service_goes_on(engine):
    crawl, sender = FakeCrawl(engine), RecordingSender()
    pipeline = make_pipeline(engine, crawl, sender)
    reason = "could not start the crawl (python): No such file"
    crawl.raise_error = CrawlProcessError(reason)
    cycle = await pipeline.crawl_cycle("eis")
    assert (cycle.outcome, cycle.run_id) == ("failed", None)
    assert sender.to(ADMIN) == [failure_message("eis", None, reason)]
    crawl.raise_error = None
    assert (await pipeline.crawl_cycle("eis")).outcome == "ok"


async def test_stop_terminates_the_running_crawl_process(engine):
    sender = RecordingSender()
    started = asyncio.Event()
    loop = asyncio.get_running_loop()
    exit_codes: list[int] = []

    def long_crawl(source: str, *, config: CrawlConfig, on_start=None) -> CrawlSummary:
        child = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True
        )
        on_start(child.pid)
        loop.call_soon_threadsafe(started.set)
        exit_codes.append(child.wait())
        raise CrawlProcessError("crawl process killed by signal SIGTERM")

    pipeline = make_pipeline(engine, long_crawl, sender)
    cycle = asyncio.create_task(pipeline.crawl_cycle("eis"))
    await asyncio.wait_for(started.wait(), timeout=30)
    pipeline.request_stop()
    await asyncio.wait_for(pipeline.wait_stopped(grace=30), timeout=60)
    assert exit_codes == [-15]
    result = await cycle
    assert result.outcome == "failed"
    assert await pipeline.crawl_cycle("eis") is None  # stopped: no new cycles


async def test_a_bounded_run_lets_the_running_crawl_finish(engine):
    """Out of time (``serve --for``, the demo): the last crawl completes instead of being killed."""
    sender = RecordingSender()
    started, release = asyncio.Event(), threading.Event()
    loop = asyncio.get_running_loop()
    exit_codes: list[int] = []

    def slow_crawl(source: str, *, config: CrawlConfig, on_start=None) -> CrawlSummary:
        child = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.stdin.read()"],
            stdin=subprocess.PIPE,
            start_new_session=True,
        )
        on_start(child.pid)
        loop.call_soon_threadsafe(started.set)
        release.wait(timeout=60)
        child.communicate(b"")
        exit_codes.append(child.returncode)
        return FakeCrawl(engine)(source, config=config)

    pipeline = make_pipeline(engine, slow_crawl, sender)
    cycle = asyncio.create_task(pipeline.crawl_cycle("eis"))
    await asyncio.wait_for(started.wait(), timeout=30)
    pipeline.request_stop(terminate_crawls=False)
    loop.call_later(0.2, release.set)
    await asyncio.wait_for(pipeline.wait_stopped(grace=30), timeout=60)
    assert exit_codes == [0]  # not signalled
    assert (await cycle).outcome == "ok"
    assert await pipeline.crawl_cycle("eis") is None  # stopped: no new cycles


def test_schedule_has_one_crawl_job_per_source_and_the_reminders():
    settings = SchedulerSettings(
        sources=["eis", "eis_rss"], crawl_interval_minutes=30, jitter_seconds=60, misfire_grace_seconds=300
    )
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    pipeline = make_pipeline(make_engine("sqlite://"), FakeCrawl(make_engine("sqlite://")), RecordingSender())
    scheduler = build_scheduler(pipeline, settings, now=now)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert sorted(jobs) == [
        "crawl:eis",
        "crawl:eis_rnp",  # the register of unfair suppliers, daily
        "crawl:eis_rss",
        "crawl:eis_site_results",
        "near-misses",
        "reminders",
    ]
    crawl = jobs["crawl:eis_rss"]
    assert isinstance(crawl.trigger, IntervalTrigger)
    assert (crawl.trigger.interval.total_seconds(), crawl.trigger.jitter) == (1800, 60)
    assert (crawl.max_instances, crawl.coalesce, crawl.misfire_grace_time) == (1, True, 300)
    assert crawl.args == ("eis_rss",) and crawl.func == pipeline.crawl_cycle
    assert crawl.next_run_time == now
    assert jobs["reminders"].trigger.interval.total_seconds() == 900
    # the near-miss digest: daily, first at the next 09:00 Moscow (06:00 UTC) after 09:00 UTC
    digest = jobs["near-misses"]
    assert (digest.trigger.interval.total_seconds(), digest.func) == (86400, pipeline.scheduled_near_misses)
    assert digest.next_run_time == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    assert "near-miss digest: daily at 09:00 Moscow time" in describe_schedule(settings)
    off = SchedulerSettings(sources=["eis"], near_miss_digest_hour=None)
    assert "near-misses" not in {job.id for job in build_scheduler(pipeline, off, now=now).get_jobs()}
    assert describe_schedule(settings)[0] == (
        "crawl eis: now, then every 30 min, jitter up to 60 s (late runs kept for 300 s; never two at once)"
    )


def test_a_source_with_an_interval_of_its_own_is_crawled_at_that_interval():
    settings = SchedulerSettings(sources=["eis", "eis_follow"], crawl_interval_minutes=30)
    assert settings.intervals == {"eis_follow": 360}  # the default: a lookup per followed notice
    pipeline = make_pipeline(make_engine("sqlite://"), FakeCrawl(make_engine("sqlite://")), RecordingSender())
    jobs = {job.id: job for job in build_scheduler(pipeline, settings).get_jobs()}
    assert jobs["crawl:eis"].trigger.interval.total_seconds() == 1800
    assert jobs["crawl:eis_follow"].trigger.interval.total_seconds() == 6 * 3600
    assert describe_schedule(settings)[1].startswith("crawl eis_follow: now, then every 6 h")


def test_with_an_export_token_the_export_service_is_read_once_a_day_beside_the_search():
    settings = SchedulerSettings(sources=["eis", "eis_follow"], crawl_interval_minutes=30)
    pipeline = make_pipeline(make_engine("sqlite://"), FakeCrawl(make_engine("sqlite://")), RecordingSender())
    without = {job.id: job for job in build_scheduler(pipeline, settings).get_jobs()}
    assert "crawl:eis_export" not in without and "crawl:eis_results" not in without
    # without the token, the protocols come from the site's result pages, once a day
    assert without["crawl:eis_site_results"].trigger.interval.total_seconds() == 24 * 3600
    jobs = {job.id: job for job in build_scheduler(pipeline, settings, export=True).get_jobs()}
    assert jobs["crawl:eis_export"].trigger.interval.total_seconds() == 24 * 3600
    assert jobs["crawl:eis_results"].trigger.interval.total_seconds() == 24 * 3600
    assert "crawl:eis_site_results" not in jobs  # the export service brings the same protocols as XML
    assert jobs["crawl:eis_rnp"].trigger.interval.total_seconds() == 24 * 3600
    assert jobs["crawl:eis"].trigger.interval.total_seconds() == 1800  # the fresh hour stays the search's
    assert describe_schedule(settings, export=True)[2].startswith("crawl eis_export: now, then every 24 h")
    hourly = SchedulerSettings(sources=["eis"], intervals={"eis_export": 60})
    jobs = {job.id: job for job in build_scheduler(pipeline, hourly, export=True).get_jobs()}
    assert jobs["crawl:eis_export"].trigger.interval.total_seconds() == 3600


KNOWN = "eis, eis_export, eis_follow, eis_results, eis_rnp, eis_rss, eis_site_results"


@pytest.mark.parametrize(
    ("sources", "intervals", "message"),
    [
        (["eis", "prozorro"], {}, f"scheduler.sources: unknown source 'prozorro' (known: {KNOWN})"),
        (["eis", "eis"], {}, "scheduler.sources: a source is listed twice"),
        (["eis"], {"eis_rs": 5}, f"scheduler.intervals: unknown source 'eis_rs' (known: {KNOWN})"),
        (["eis"], {"eis_rss": 0}, "scheduler.intervals.eis_rss: must be more than 0 minutes"),
    ],
)
def test_schedule_refuses_bad_sources(sources, intervals, message):
    with pytest.raises(SchedulerError) as exc:
        build_scheduler(
            make_pipeline(make_engine("sqlite://"), None, RecordingSender()),
            SchedulerSettings(sources=sources, intervals=intervals),
        )
    assert str(exc.value) == message


# --- first run is decided once per database ------------------------------------------------------


async def test_a_source_added_to_an_existing_install_alerts_its_new_matches(engine, snapshot):
    """Seeding is per database: a second source's first crawl must not swallow genuine news."""
    crawl, sender = FakeCrawl(engine), RecordingSender()
    crawl.queue = crawl_notices(snapshot)
    first = await make_pipeline(engine, crawl, sender).crawl_cycle("eis")
    assert (first.seeding, first.seeded, first.enqueued) == (True, len(alertable(crawl_notices(snapshot))), 0)

    # The service restarts with a second source configured; its first crawl brings new tenders.
    minted = [snapshot.publish_next(at=datetime.now(UTC)) for _ in range(30)]
    expected_new = alertable(minted)
    assert expected_new
    crawl.queue = minted
    added = await make_pipeline(engine, crawl, sender).crawl_cycle("eis_rss")
    assert (added.seeding, added.seeded, added.enqueued) == (False, 0, len(expected_new))
    assert alerted(sender, expected_new) == dict.fromkeys(expected_new, 1)


def test_first_run_is_pending_only_on_an_empty_database(engine, snapshot):
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        assert first_run_pending(session, now=now) is True
        assert get_high_water(session, source=SEED_STATE_SOURCE, search_key=FIRST_RUN_KEY) is not None
        # Still pending for every crawl until the seeding is recorded, whatever is stored meanwhile.
        upsert_notices(session, crawl_notices(snapshot)[:3], source="eis")
        assert first_run_pending(session, now=now) is True


def test_an_install_that_already_has_notices_never_seeds(engine, snapshot):
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        upsert_notices(session, crawl_notices(snapshot)[:3], source="eis")
        assert first_run_pending(session, now=now) is False
        assert get_high_water(session, source=SEED_STATE_SOURCE, search_key=SEEDED_KEY) is not None
        assert get_high_water(session, source=SEED_STATE_SOURCE, search_key=FIRST_RUN_KEY) is None
        assert first_run_pending(session, now=now) is False


class SteppingClock:
    """A settable clock: the outage throttling is about hours, which a test must not wait for."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_admins_hear_of_an_outage_once_and_of_its_recovery(engine):
    crawl, sender = FakeCrawl(engine), RecordingSender()
    pipeline = make_pipeline(engine, crawl, sender)
    start = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    pipeline.clock = clock = SteppingClock(start)
    crawl.fail_with = "EIS answers 503"
    runs = []
    for minutes in (0, 15, 30):
        clock.now = start + timedelta(minutes=minutes)
        runs.append(await pipeline.crawl_cycle("eis"))
    crawl.fail_with = None
    clock.now = start + timedelta(minutes=45)
    recovered = await pipeline.crawl_cycle("eis")

    assert [r.outcome for r in runs] + [recovered.outcome] == ["failed", "failed", "failed", "ok"]
    assert sender.to(ADMIN) == [
        failure_message("eis", runs[0].run_id, "EIS answers 503"),
        recovery_message("eis", "ok", start),
    ]
    assert "✅ <b>Обход источника eis: восстановлено</b>" in sender.to(ADMIN)[1]
    assert "не удавались с 10.03 12:00 МСК" in sender.to(ADMIN)[1]


async def test_a_long_outage_is_recalled_every_few_hours_not_every_cycle(engine):
    crawl, sender = FakeCrawl(engine), RecordingSender()
    pipeline = make_pipeline(engine, crawl, sender)
    start = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    pipeline.clock = clock = SteppingClock(start)
    crawl.fail_with = "EIS answers 503"
    told_at = []
    step = timedelta(minutes=30)
    for cycle in range(int(FAILURE_REPEAT_INTERVAL * 2 / step) + 1):  # 12 h 00 of failures
        clock.now = start + cycle * step
        before = len(sender.to(ADMIN))
        run = await pipeline.crawl_cycle("eis_rss")
        if len(sender.to(ADMIN)) > before:
            told_at.append((clock.now - start, sender.to(ADMIN)[-1], run.run_id))

    assert FAILURE_REPEAT_INTERVAL == timedelta(hours=6)
    assert [offset for offset, _, _ in told_at] == [timedelta(0), timedelta(hours=6), timedelta(hours=12)]
    assert told_at[0][1] == failure_message("eis_rss", told_at[0][2], "EIS answers 503")
    assert told_at[1][1] == failure_message("eis_rss", told_at[1][2], "EIS answers 503", failing_since=start)
    assert "Обходы не удаются с 10.03 12:00 МСК." in told_at[2][1]


async def test_serve_says_what_each_cycle_did(engine, snapshot):
    """Issue 17: `serve` printed nothing of its crawls between the start and the stop."""
    crawl, sender = FakeCrawl(engine), RecordingSender()
    pipeline = make_pipeline(engine, crawl, sender)
    said: list[str] = []
    pipeline.announce = said.append
    crawl.queue = [p.latest.notice for p in snapshot.purchases]
    cycle = await pipeline.crawl_cycle("eis")
    assert cycle is not None
    assert (
        f"crawl of eis: ok, 40 new, 0 changed, 0 unchanged, 0 errors; {cycle.matches_new} new matches; "
        f"0 alerts queued, {cycle.seeded} recorded (first run)"
    ) in said


class HeldCrawl(FakeCrawl):
    """A crawl that is still running when the service's time is up, until the test lets it end."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.started, self.go_on = threading.Event(), threading.Event()

    def __call__(self, source: str, **options):
        self.started.set()
        assert self.go_on.wait(30)
        return super().__call__(source, **options)


@pytest.mark.parametrize("out_of_time", [True, False], ids=["out of time", "stopped"])
async def test_a_bounded_run_out_of_time_still_matches_and_sends_its_last_crawl(
    engine, snapshot, out_of_time
):
    """Issue 17 item 9: ``serve --for`` that runs out of time lets the running crawl finish, and what
    it stored is matched and alerted before the service exits; Ctrl-C or SIGTERM does neither."""
    crawl, sender = HeldCrawl(engine), RecordingSender()
    pipeline = make_pipeline(engine, crawl, sender, alert_on_first_run=True)
    crawl.queue = [p.latest.notice for p in snapshot.purchases]
    expected = alertable(crawl.queue)
    cycle = asyncio.create_task(pipeline.crawl_cycle("eis"))
    await asyncio.to_thread(crawl.started.wait, 10)
    pipeline.request_stop(terminate_crawls=not out_of_time)
    crawl.go_on.set()
    await pipeline.wait_stopped(grace=30)
    report = await cycle
    assert report is not None and report.outcome == "ok"
    if out_of_time:
        assert report.matches_new >= len(expected) > 0
        assert set(alerted(sender, expected).values()) == {1}  # each match alerted once
    else:
        assert sender.sent == []  # a signal stops the service: the next start sends them


async def test_the_daily_digest_sends_each_near_miss_once_apart_from_the_alerts(engine):
    sender = RecordingSender()
    pipeline = make_pipeline(engine, FakeCrawl(engine), sender)
    pipeline.profiles = parse_profiles([{"name": "laptops", "keywords": ["ноутбук"]}])
    pipeline.near_miss_threshold = 0.55
    now = datetime.now(UTC)
    common = {"law": "44-FZ", "kind": "auction", "submission_deadline": now + timedelta(days=5), "version": 1}
    with session_scope(engine) as session:
        upsert_notices(
            session,
            [
                Notice(reg_number="0373200000126000001", title="Поставка ноутбуков", **common),
                Notice(reg_number="0373200000126000002", title="Поставка планшетов для школы", **common),
            ],
        )
    report = await asyncio.to_thread(pipeline._match, now)
    assert (report.new, report.near_misses) == (1, 1)

    assert await pipeline.near_misses() == 1
    [digest] = sender.to(CHAT)
    assert digest.startswith(
        "<b>🤔 Возможно, интересно: 1 закупка</b>\n\n1. <b>Поставка планшетов для школы</b>"
    )
    assert "Профиль «laptops»: «планшетов» по смыслу близко к «ноутбук» (0,73)" in digest
    assert "ноутбуков" not in digest  # the rule match is an alert, not part of this digest
    assert await pipeline.near_misses() == 0  # the next day's run does not repeat it
    assert len(sender.to(CHAT)) == 1
