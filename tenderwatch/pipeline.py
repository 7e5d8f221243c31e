"""One crawl cycle of ``tenderwatch serve`` end to end: crawl a source, match, alert; reminders; a clean stop.

The crawl runs as a subprocess (``crawler.runner``) in a worker thread so the event loop (and the
bot polling in it) never blocks; matching and enqueueing are serialized by a lock because two
sources may finish at once and the matcher's high-water mark is shared. Sending goes through the
notifier's claim/settle protocol, so a stop at any moment leaves the outbox consistent and a
restart neither loses nor repeats an alert. A source that fails (or keeps coming back with its
listing incomplete) and a database that refuses writes are outages the admins hear of.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections import Counter
from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from functools import partial
from typing import Literal

from sqlalchemy.engine import Engine

from bidder.profiles import Profile
from bot.database import in_session
from bot.notifier import DrainReport
from bot.notifier import Notifier
from bot.notifier import tell_admins
from bot.render import database_failure_message
from bot.render import database_recovery_message
from bot.render import failure_message
from bot.render import recovery_message
from bot.render import register_line
from crawler.errors import CrawlerError
from crawler.runner import KILL_GRACE_SECONDS
from crawler.runner import CrawlConfig
from crawler.runner import CrawlSummary
from crawler.runner import run_crawl
from crawler.spiders.eis_rnp import RNP_SOURCE
from data.db import session_scope
from data.errors import StoreError
from data.models import utcnow
from data.notice import moscow_date
from data.store import advance_high_water
from data.store import outbox
from data.store.unfair import RegisterStatus
from data.store.unfair import register_status
from tenderwatch.config import SchedulerSettings
from tenderwatch.config import TelegramSettings
from tenderwatch.matching import MatchRunReport
from tenderwatch.matching import run_match
from tenderwatch.seeding import SEED_STATE_SOURCE
from tenderwatch.seeding import SEEDED_KEY
from tenderwatch.seeding import first_run_pending

log = logging.getLogger(__name__)

NEAR_MISS_WINDOW = timedelta(hours=26)
"""How far back the daily digest looks: a day, and two hours for a job that ran late yesterday."""
ENQUEUE_OVERLAP = timedelta(hours=1)
"""Incremental enqueues re-scan this much before the last cycle (enqueueing twice inserts nothing)."""

INCOMPLETE_LISTING_REPEATS = 2
"""A source whose listing is not read to its end this many crawls in a row is reported like a
failing one: one cut-off page is retried by the next crawl, a repeating one loses notices."""
FALLBACK_SOURCES = {"eis_rss": "eis"}
"""When the feed is cut short, the search (same filters, all pages) lists what it missed."""
DATABASE = "database"
"""The outage key of the service's own database (beside the sources' keys)."""

FAILURE_REPEAT_INTERVAL = timedelta(hours=6)
"""While a source keeps failing, admins are reminded at most this often. The first failure is
told at once and the recovery too; in between, an EIS outage of a day must not become one
message per crawl interval (every 15 minutes, per source) in the admins' chats."""

CrawlFunction = Callable[..., CrawlSummary]
Announce = Callable[[str], None]


@dataclass
class CycleReport:
    """What one crawl cycle did (kept for the service summary and the tests)."""

    source: str
    outcome: str
    reason: str | None = None
    crawl: CrawlSummary | None = None
    """The crawl's own summary; None when the crawl could not even start."""
    seeding: bool = False
    """The crawl started while the database's first run was pending: its matches are seeded."""
    matches_new: int = 0
    enqueued: int = 0
    """Alert rows queued for the chats."""
    seeded: int = 0
    """Alert rows recorded as delivered without a message (the first run's backlog)."""
    sent: int = 0

    @property
    def run_id(self) -> int | None:
        return self.crawl.run_id if self.crawl else None

    def summary(self) -> str:
        """What ``serve`` prints after each cycle: the crawl's outcome and figures, then what
        matching and alerting made of them."""
        crawl = f"crawl of {self.source}: {self.outcome}"
        if self.crawl is not None:
            crawl += f", {self.crawl.counts_line()}"
            if not (self.crawl.new or self.crawl.changed or self.crawl.unchanged) and self.crawl.reason:
                crawl += f" ({self.crawl.reason})"  # a result crawl stores no notices: say what it did
        alerts = f"{self.enqueued} alerts queued" + (
            f", {self.seeded} recorded (first run)" if self.seeded else ""
        )
        return f"{crawl}; {self.matches_new} new matches; {alerts}"

    @property
    def new(self) -> int:
        return self.crawl.new if self.crawl else 0

    @property
    def changed(self) -> int:
        return self.crawl.changed if self.crawl else 0

    @property
    def listing_complete(self) -> bool | None:
        return self.crawl.listing_complete if self.crawl else None


@dataclass
class Totals:
    """Everything the service did since it started: what ``serve`` prints when it stops."""

    crawls: Counter[str] = field(default_factory=Counter)
    """Crawl cycles by outcome."""
    notices: Counter[str] = field(default_factory=Counter)
    """Stored notices by what the crawl did to them (new, changed)."""
    matches_new: int = 0
    alerts: Counter[str] = field(default_factory=Counter)
    """Alert rows: queued, seeded (recorded without a message on the first run), sent, reminders."""
    messages_sent: int = 0
    """Telegram messages; a digest carries several alert rows in one."""

    def add(self, cycle: CycleReport) -> None:
        self.crawls[cycle.outcome] += 1
        self.notices.update(new=cycle.new, changed=cycle.changed)
        self.matches_new += cycle.matches_new
        self.alerts.update(queued=cycle.enqueued, seeded=cycle.seeded)

    def add_drain(self, report: DrainReport) -> None:
        self.messages_sent += report.messages
        self.alerts["sent"] += report.sent

    def summary(self) -> str:
        crawls = ", ".join(f"{n} {outcome}" for outcome, n in sorted(self.crawls.items())) or "none"
        return (
            f"crawls: {crawls}; notices: {self.notices['new']} new, {self.notices['changed']} changed; "
            f"{self.matches_new} new matches; alerts: {self.alerts['queued']} queued, "
            f"{self.alerts['seeded']} recorded without alerting (first run), "
            f"{self.alerts['sent']} sent in {self.messages_sent} messages"
        )


@dataclass
class Outage:
    """A source failing since ``since``; admins were last told at ``told``."""

    since: datetime
    told: datetime


def company_status(status: RegisterStatus | None) -> str:
    if status is None:
        return "not looked up yet (eis_rnp looks it up first)"
    if status.entries:
        until = f" until {status.until:%d.%m.%Y}" if status.until else ""
        return f"LISTED, {status.entries} entr{'y' if status.entries == 1 else 'ies'} in force{until}"
    return f"not listed (looked up {status.checked_on:%d.%m.%Y})"


class Pipeline:
    """Crawl -> match -> enqueue -> drain for one source at a time; reminders; a clean stop."""

    def __init__(
        self,
        *,
        engine: Engine,
        notifier: Notifier,
        profiles: list[Profile],
        crawl_config: CrawlConfig,
        scheduler_settings: SchedulerSettings,
        telegram_settings: TelegramSettings,
        match_batch_size: int = 500,
        near_miss_threshold: float | None = None,
        crawl: CrawlFunction = run_crawl,
        announce: Announce = print,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.notifier = notifier
        self.profiles = profiles
        self.crawl_config = crawl_config
        self.scheduling = scheduler_settings
        self.telegram = telegram_settings
        self.match_batch_size = match_batch_size
        self.near_miss_threshold = near_miss_threshold
        self.crawl = crawl
        self.announce = announce
        self.clock = clock
        self.totals = Totals()
        self.cycles: list[CycleReport] = []
        self._process_lock = asyncio.Lock()
        self._running: dict[str, int] = {}
        self._tasks: set[asyncio.Task[object]] = set()
        self._enqueue_since: datetime | None = None
        self._outages: dict[str, Outage] = {}
        self._incomplete: Counter[str] = Counter()
        self._stopping = False
        self._terminate_crawls = True

    # --- a crawl cycle ---------------------------------------------------------------------------

    async def crawl_cycle(self, source: str) -> CycleReport | None:
        """Crawl ``source`` once, then match and alert what is new; never raises (the service goes on)."""
        if self._stopping:
            return None
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            cycle = await self._crawl(source)
            if self._stopping and self._terminate_crawls:  # we stopped it: no failure to report
                self.announce(f"crawl of {source} stopped by the shutdown: {cycle.outcome}")
            else:
                await self._judge_source(cycle)
            if not (self._stopping and self._terminate_crawls):  # out of time: its crawl still counts
                await self._process(cycle)
                await self._database_recovered()
                self.announce(cycle.summary())
            self.cycles.append(cycle)
            self.totals.add(cycle)
            await self._fall_back(source, cycle)
            if source == RNP_SOURCE and cycle.outcome != "failed":
                await self.report_company()
            return cycle
        except StoreError as exc:  # the database refuses writes: the admins must hear of it
            await self.report_database_failure(str(exc))
            return None
        except Exception:  # a bug in one cycle must not stop the schedule; the next cycle retries
            log.exception("crawl cycle of %s failed", source)
            return None
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def _fall_back(self, source: str, cycle: CycleReport) -> None:
        """A feed that did not list down to its mark (cut at the site's cap, a page lost) leaves
        notices unlisted: the search lists them now rather than at its next turn."""
        fallback = FALLBACK_SOURCES.get(source)
        if fallback is None or cycle.listing_complete is not False or self._stopping:
            return
        if fallback in self._running:
            return  # already listing
        self.announce(f"{source} did not list down to its mark: crawling {fallback} now")
        await self.crawl_cycle(fallback)

    async def _crawl(self, source: str) -> CycleReport:
        seeding = await asyncio.to_thread(self._first_run_pending)
        try:
            summary = await asyncio.to_thread(self._run_crawl, source)
        except (CrawlerError, StoreError) as exc:
            log.error("crawl of %s could not run: %s", source, exc)
            return CycleReport(source=source, outcome="failed", reason=str(exc), seeding=seeding)
        finally:
            self._running.pop(source, None)
        log.info("crawl run %d of %s: %s, %s", summary.run_id, source, summary.outcome, summary.counts_line())
        return CycleReport(
            source=source, outcome=summary.outcome, reason=summary.reason, crawl=summary, seeding=seeding
        )

    def _first_run_pending(self) -> bool:
        """Decide, before the crawl writes anything, whether this database is on its first run."""
        with session_scope(self.engine) as session:
            return first_run_pending(session, now=self.clock())

    def _run_crawl(self, source: str) -> CrawlSummary:
        return self.crawl(
            source, config=self.crawl_config, on_start=lambda pid: self._crawl_started(source, pid)
        )

    def _crawl_started(self, source: str, pid: int) -> None:
        self._running[source] = pid
        if self._stopping and self._terminate_crawls:  # the stop came while the process was spawning
            _signal_group(pid, signal.SIGTERM)

    async def _judge_source(self, cycle: CycleReport) -> None:
        """A failed crawl, or a listing left incomplete crawl after crawl, is an outage of the source."""
        source = cycle.source
        if cycle.listing_complete is False:
            self._incomplete[source] += 1
        elif cycle.outcome != "failed":
            self._incomplete.pop(source, None)
        repeats = self._incomplete[source]
        if cycle.outcome == "failed":
            await self._report_failure(cycle, cycle.reason or "no reason recorded")
        elif repeats >= INCOMPLETE_LISTING_REPEATS:
            why = f"listing not read to its end in {repeats} crawls in a row: {cycle.reason or ''}"
            await self._report_failure(cycle, why)
        elif source in self._outages and not repeats:
            await self._report_recovery(cycle)

    async def _report_failure(self, cycle: CycleReport, reason: str) -> None:
        """Every failure is announced; admins hear of the first one, then every FAILURE_REPEAT_INTERVAL."""
        self.announce(f"crawl of {cycle.source} {cycle.outcome}: {reason}")
        since = self._outage(cycle.source)
        if since is not False:
            text = failure_message(cycle.source, cycle.run_id, reason, failing_since=since)
            await self._tell_admins(text, f"the {cycle.outcome} crawl of {cycle.source}")

    async def report_database_failure(self, reason: str) -> None:
        self.announce(f"database failure: {reason}")
        log.error("the service cannot use its database: %s", reason)
        since = self._outage(DATABASE)
        if since is not False:
            await self._tell_admins(database_failure_message(reason, failing_since=since), "the database")

    def _outage(self, key: str) -> datetime | Literal[False] | None:
        """Record an occurrence of an outage: False when admins were told recently, else None for
        the first occurrence or the time it started for a reminder."""
        now = self.clock()
        outage = self._outages.get(key)
        if outage is None:
            self._outages[key] = Outage(since=now, told=now)
            return None
        if now - outage.told >= FAILURE_REPEAT_INTERVAL:
            outage.told = now
            return outage.since
        log.info("%s still failing since %s; admins already told", key, outage.since)
        return False

    async def _report_recovery(self, cycle: CycleReport) -> None:
        outage = self._outages.pop(cycle.source)
        self.announce(f"crawl of {cycle.source} recovered: {cycle.outcome}")
        await self._tell_admins(recovery_message(cycle.source, cycle.outcome, outage.since), "the recovery")

    async def _database_recovered(self) -> None:
        outage = self._outages.pop(DATABASE, None)
        if outage is not None:
            self.announce("database writes work again")
            await self._tell_admins(database_recovery_message(outage.since), "the database")

    async def report_company(self) -> None:
        """Our own company in the register of unfair suppliers, as last looked up: said at start and
        after every look-up; admins are told whenever the register lists it."""
        inn = self.crawl_config.company_inn
        if not inn:
            return
        today = moscow_date(self.clock())
        statuses = await in_session(self.engine, partial(register_status, inns=[inn], today=today))
        status = statuses.get(inn)
        self.announce(
            f"our company (INN {inn}) in the register of unfair suppliers: {company_status(status)}"
        )
        if status is not None and status.entries:
            text = f"Наша компания (ИНН {inn}): " + register_line(
                status.entries, status.until, status.checked_on
            )
            await self._tell_admins(text, "our company in the register of unfair suppliers")

    async def _tell_admins(self, text: str, what: str) -> None:
        await tell_admins(self.notifier.sender, self.telegram.admins, text, what=what)

    async def _process(self, cycle: CycleReport) -> None:
        crawl_ok = cycle.outcome in ("ok", "partial")
        async with self._process_lock:
            now = self.clock()
            match = await asyncio.to_thread(self._match, now)
            cycle.matches_new = match.new
            cycle.enqueued, cycle.seeded = await asyncio.to_thread(
                self._enqueue, cycle.source, crawl_ok, now, cycle.seeding
            )
        if cycle.seeded:
            self.announce(
                f"first run ({cycle.source}): {cycle.seeded} matching notice(s) recorded without alerting "
                "(scheduler.alert_on_first_run = false)"
            )
        await self.drain()

    def _match(self, now: datetime) -> MatchRunReport:
        return run_match(
            self.engine,
            self.profiles,
            now=now,
            batch_size=self.match_batch_size,
            near_miss_threshold=self.near_miss_threshold,
        )

    def _enqueue(self, source: str, crawl_ok: bool, now: datetime, seeding: bool) -> tuple[int, int]:
        """Queue alerts and changes; returns (alerts queued to send, alerts recorded as seeded)."""
        since = self._enqueue_since
        with session_scope(self.engine) as session:
            created = outbox.enqueue_changes(session, since=since)
            if seeding and not crawl_ok:
                log.warning("first run: the crawl of %s did not complete; its matches wait for one", source)
                return created, 0
            before = outbox.last_row_id(session)
            alerts = outbox.enqueue_matches(
                session, default_chats=self.telegram.alert_chats, since=None if seeding else since, now=now
            )
            seeded = 0
            if seeding and not self.scheduling.alert_on_first_run:
                seeded = outbox.mark_seeded(session, after_id=before, now=now)
            if seeding:
                advance_high_water(session, source=SEED_STATE_SOURCE, search_key=SEEDED_KEY, seen=now)
        self._enqueue_since = now - ENQUEUE_OVERLAP
        return created + alerts - seeded, seeded

    async def drain(self) -> DrainReport:
        report = await self.notifier.drain_once()
        self.totals.add_drain(report)
        return report

    # --- reminders -------------------------------------------------------------------------------

    async def scheduled_reminders(self) -> None:
        """The reminder job of the schedule."""
        await self._scheduled(self.reminders, "reminder check failed; retrying on the next interval")

    async def _scheduled(self, job: Callable[[], Awaitable[int]], failed: str) -> None:
        """Run a job of the schedule: a failing database is reported, anything else logged, and the
        next run tries again (an exception would only reach APScheduler's log)."""
        try:
            await job()
        except StoreError as exc:
            await self.report_database_failure(str(exc))
        except Exception:
            log.exception(failed)

    async def reminders(self) -> int:
        """Queue the deadline reminders that are due and send them."""
        if self._stopping:
            return 0
        tg = self.telegram
        enqueue = partial(
            outbox.enqueue_reminders, now=self.clock(), days=tg.reminder_days, hours=tg.reminder_hours
        )
        created = await in_session(self.engine, enqueue)  # off the loop that also serves the bot
        self.totals.alerts["reminders"] += created
        if created:
            await self.drain()
        return created

    async def scheduled_near_misses(self) -> None:
        """The daily «Возможно, интересно» job of the schedule."""
        await self._scheduled(self.near_misses, "near-miss digest failed; retrying tomorrow")

    async def near_misses(self) -> int:
        """Queue the near misses of the last day (a day's window with margin: the outbox takes each
        (notice, chat) once) and send them, one digest per chat."""
        if self._stopping:
            return 0
        now = self.clock()
        enqueue = partial(
            outbox.enqueue_near_misses,
            default_chats=self.telegram.alert_chats,
            since=now - NEAR_MISS_WINDOW,
            now=now,
        )
        created = await in_session(self.engine, enqueue)
        self.totals.alerts["near misses"] += created
        if created:
            await self.drain()
        return created

    # --- stopping --------------------------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        return self._stopping

    def request_stop(self, *, terminate_crawls: bool = True) -> None:
        """Start no new work; the running crawls get SIGTERM (Scrapy records their outcome).

        ``terminate_crawls=False`` lets them finish instead (a bounded run that simply ran out of
        time: its last crawl is worth keeping, and it is no failure).
        """
        self._stopping = True
        self._terminate_crawls = terminate_crawls
        if not terminate_crawls:
            return  # the notifier keeps sending until the last crawl's alerts are out (``wait_stopped``)
        self.notifier.request_stop()
        for source, pid in list(self._running.items()):
            log.info("stopping the running crawl of %s (pid %d)", source, pid)
            _signal_group(pid, signal.SIGTERM)

    async def wait_stopped(self, grace: float = KILL_GRACE_SECONDS) -> None:
        """Wait for the cycles in flight (with their matching and alerts, when they were let finish);
        crawls still running after ``grace`` seconds are killed. Then the notifier sends no more."""
        pending = {t for t in self._tasks if not t.done()}
        if pending:
            _, pending = await asyncio.wait(pending, timeout=grace)
        if pending:
            for source, pid in list(self._running.items()):
                log.warning("crawl of %s did not stop within %.0f s; killing it", source, grace)
                _signal_group(pid, signal.SIGKILL)
            await asyncio.wait(pending)
        self.notifier.request_stop()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """The runner starts each crawl in its own process group: signal the whole crawl."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
