"""The crawl-run recorder: one ``crawl_runs`` row per crawl, judged from the crawl's stats.

The outcome is judged from what happened (finish reason, list pages read, error rate against
``TENDERWATCH_ERROR_RATE_PARTIAL``/``_FAILED``), never from the exit code: ``scrapy crawl`` exits
0 after a crawl that failed every request. The recorder also moves the high-water mark when the
crawl saw everything it listed, and logs a progress line the runner shows while the crawl runs.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from scrapy import Spider
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.asyncio import create_looping_call

from crawler.database import CrawlDatabase
from crawler.database import crawl_database
from crawler.spiders.base import SITE_STOPPED
from crawler.spiders.base import errors_by_kind
from data.errors import StoreError
from data.process import this_process

log = logging.getLogger(__name__)

RUN_ID_SETTING = "TENDERWATCH_RUN_ID"
SHARED_REQUESTS_STAT = "tenderwatch/requests/shared"
"""Requests a worker of a shared crawl took from the shared queue (its retries not counted)."""
HEARTBEAT_SECONDS = 10.0
"""How often the run row hears from a live crawl (figures so far); see ``data.store.ABANDONED_AFTER``."""
_PROGRESS_LINE = re.compile(
    r"progress: (\d+) requests, (\d+) pages, (\d+) cards, "
    r"(\d+) new, (\d+) changed, (\d+) unchanged, (\d+) errors"
)


@dataclass
class CrawlProgress:
    """What a crawl has done so far. The crawl process logs it as a line (``line``) and the runner,
    in the parent process, reads it back (``from_line``): one class holds both ends of the format."""

    requests: int = 0
    pages: int = 0
    """Listing pages read (search result pages, feed pages): ``cards`` are the notices' own pages
    and documents."""
    cards: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: int = 0

    def line(self) -> str:
        return (
            f"progress: {self.requests} requests, {self.pages} pages, {self.cards} cards, {self.new} new, "
            f"{self.changed} changed, {self.unchanged} unchanged, {self.errors} errors"
        )

    @classmethod
    def from_line(cls, line: str) -> CrawlProgress | None:
        match = _PROGRESS_LINE.search(line)
        return cls(*(int(group) for group in match.groups())) if match else None


@dataclass
class CrawlFigures:
    """What a crawl did, read from its stats: its progress plus what judging it needs."""

    progress: CrawlProgress = field(default_factory=CrawlProgress)
    logical_requests: int = 0
    """List and card requests as the spider asked for them, retries not counted."""
    errors_by_kind: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_stats(cls, stats: Mapping[str, Any]) -> CrawlFigures:
        errors = errors_by_kind(stats)
        progress = CrawlProgress(
            requests=int(stats.get("downloader/request_count", 0)),
            pages=int(stats.get("tenderwatch/pages", 0)),
            cards=int(stats.get("tenderwatch/cards", 0)),
            new=int(stats.get("tenderwatch/notices/new", 0)),
            changed=int(stats.get("tenderwatch/notices/changed", 0)),
            unchanged=int(stats.get("tenderwatch/notices/unchanged", 0)),
            errors=sum(errors.values()),
        )
        # A worker of a shared crawl answers for the requests it took from the shared queue, not
        # for the cards its listing queued (other workers fetched most of those).
        cards = stats.get(SHARED_REQUESTS_STAT, stats.get("tenderwatch/requests/card", 0))
        logical = int(stats.get("tenderwatch/requests/list", 0)) + int(cards)
        return cls(progress=progress, logical_requests=logical, errors_by_kind=errors)

    @property
    def errors(self) -> int:
        return sum(self.errors_by_kind.values())


def judge(
    figures: CrawlFigures,
    *,
    finish_reason: str,
    partial_rate: float,
    failed_rate: float,
    stopped: str = "",
    listing_complete: bool = True,
    idle: bool = False,
    lists: bool = True,
) -> tuple[str, str]:
    """(outcome, reason): ``failed`` if the crawl ended early, stored nothing it should, or read no
    listing, or its error rate is above ``failed_rate``; ``partial`` above ``partial_rate`` or when
    the listing was not read to its end (a page lost loses every entry after it, however low the
    error rate looks); else ``ok``. ``idle``: the spider had nothing to ask (``ok``, not "nothing
    was requested"). ``lists``: False for a worker of a shared crawl that only fetched cards while
    another listed (judged on its cards alone)."""
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(figures.errors_by_kind.items()))
    rate = figures.errors / figures.logical_requests if figures.logical_requests else 0.0
    errors = f"{figures.errors} errors in {figures.logical_requests} requests ({rate:.0%})" + (
        f": {kinds}" if kinds else ""
    )
    if finish_reason == "shutdown":  # SIGTERM/SIGINT: a deliberate stop; what was stored is kept
        return "partial", f"crawl stopped before it finished (shutdown); {errors}"
    if finish_reason in SITE_STOPPED:  # the site's answer to every URL: stop, try later
        return "failed", f"{stopped or finish_reason}; {errors}"
    if finish_reason != "finished":
        return "failed", f"crawl ended early ({finish_reason}); {errors}"
    if figures.errors_by_kind.get("store"):
        return "failed", f"storing notices failed; {errors}"
    if figures.logical_requests == 0:
        return ("ok", stopped) if idle or not lists else ("failed", "nothing was requested")
    if figures.progress.pages == 0 and lists:
        return "failed", f"no listing page could be read: {stopped or 'no reason recorded'}; {errors}"
    summary = f"{stopped}; {errors}" if stopped else errors
    if rate > failed_rate:
        return "failed", f"error rate above {failed_rate:.0%}: {summary}"
    if rate > partial_rate:
        return "partial", f"error rate above {partial_rate:.0%}: {summary}"
    if not listing_complete:
        return "partial", f"listing not read to its end: {summary}"
    return "ok", summary


class CrawlRunRecorder:
    """Opens the crawl-run row (or adopts the runner's) and closes it with the crawl's figures."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.partial_rate = settings.getfloat("TENDERWATCH_ERROR_RATE_PARTIAL", 0.05)
        self.failed_rate = settings.getfloat("TENDERWATCH_ERROR_RATE_FAILED", 0.5)
        self.progress_interval = settings.getfloat("TENDERWATCH_PROGRESS_INTERVAL", 1.0)
        self.run_id: int | None = settings.getint(RUN_ID_SETTING) or None
        self.database: CrawlDatabase | None = None
        self._progress: Any = None
        self._last_heartbeat = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunRecorder:
        recorder = cls(crawler)
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def spider_opened(self, spider: Spider) -> None:
        self.database = crawl_database(self.crawler)
        if self.run_id is None:
            arguments = getattr(spider, "arguments", {})
            self.run_id = self.database.start_run(source=spider.name, arguments=arguments)
        else:  # the runner opened it: this process does the work, so it answers for the row now
            self.database.alive(run_id=self.run_id, owner=this_process())
        self.database.run_id = self.run_id
        log.info("crawl run %d of %s started", self.run_id, spider.name)
        if self.progress_interval > 0:
            self._progress = create_looping_call(self.log_progress)
            self._progress.start(self.progress_interval, now=False)

    def log_progress(self) -> None:
        f = CrawlFigures.from_stats(self.crawler.stats.get_stats())
        log.info("%s", f.progress.line())
        if self.database is not None and self.run_id is not None:
            now = time.monotonic()
            if now - self._last_heartbeat >= HEARTBEAT_SECONDS:
                self._last_heartbeat = now
                try:
                    self.database.alive(
                        run_id=self.run_id, requests=f.progress.requests, pages=f.progress.pages
                    )
                except StoreError as exc:  # a missed heartbeat is no reason to stop crawling
                    log.warning("crawl run %d: heartbeat not recorded: %s", self.run_id, exc)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._progress is not None and self._progress.running:
            self._progress.stop()
        self.log_progress()
        if self.database is None or self.run_id is None:
            return
        figures = CrawlFigures.from_stats(self.crawler.stats.get_stats())
        lists = bool(getattr(spider, "lists", True))
        listing_complete = bool(getattr(spider, "listing_complete", True)) or not lists
        outcome, why = judge(
            figures,
            finish_reason=reason,
            partial_rate=self.partial_rate,
            failed_rate=self.failed_rate,
            stopped=getattr(spider, "stop_reason", ""),
            listing_complete=listing_complete or getattr(spider, "sample", None) is not None,
            idle=bool(getattr(spider, "idle", False)),
            lists=lists,
        )
        try:
            # The notice counts are not passed: each stored batch counted itself into the row.
            self.database.finish_run(
                run_id=self.run_id,
                outcome=outcome,
                requests=figures.progress.requests,
                logical_requests=figures.logical_requests,
                pages=figures.progress.pages,
                errors_by_kind=figures.errors_by_kind,
                reason=why,
                listing_complete=listing_complete,
            )
            self._advance_mark(spider, outcome)
        except StoreError as exc:
            log.error("crawl run %d could not be recorded: %s", self.run_id, exc)
        log.info("crawl run %d finished: %s (%s)", self.run_id, outcome, why)
        self.database.close()

    def _advance_mark(self, spider: Spider, outcome: str) -> None:
        mark = spider.crawl_mark() if outcome != "failed" and hasattr(spider, "crawl_mark") else None
        if mark is None or self.database is None:
            return
        search_key = getattr(spider, "search_key", "")
        moved = self.database.advance_high_water(source=spider.name, search_key=search_key, seen=mark)
        log.info("high-water mark of %s is now %s", spider.name, moved.isoformat())
