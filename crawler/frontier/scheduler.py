"""The Scrapy scheduler of a worker on a shared frontier: the listing local, the cards shared.

List requests stay in this worker (the lister's paging and split decide what comes next, so one
worker must see them in order); every other request goes to the job's ``LeasedQueue`` through
scrapy-redis's duplicate filter, and any worker may take it. A taken request is *in work* until
what it produced is stored: its callback (or errback) is wrapped so that the scheduler hears
when it has run, and the store pipeline says (``ITEMS_STORED``) when its items are in the
database; only then is the lease dropped. A callback that raised sends its lease back at once.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from typing import Any

import scrapy
from redis import Redis
from redis.exceptions import RedisError
from scrapy import signals
from scrapy.core.scheduler import BaseScheduler
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.asyncio import create_looping_call
from scrapy_redis.dupefilter import RFPDupeFilter

from crawler.errors import CrawlSettingsError
from crawler.extensions import SHARED_REQUESTS_STAT
from crawler.frontier import namespace_of
from crawler.frontier import redis_from_environment
from crawler.frontier.job import HEARTBEAT_SECONDS
from crawler.frontier.job import WORKER_TTL_SECONDS
from crawler.frontier.job import WORKER_TTL_SETTING
from crawler.frontier.job import Job
from crawler.frontier.job import JobKeys
from crawler.frontier.job import job_name
from crawler.frontier.job import new_worker_id
from crawler.frontier.queue import LeasedQueue
from crawler.pipelines import ITEMS_STORED
from crawler.spiders.base import ListingSpider

log = logging.getLogger(__name__)

WORK = "tenderwatch_frontier_work"
"""Meta key: the taken request's work id (a lease id, or ``local:N`` for a list request)."""
CALLBACKS = "tenderwatch_frontier_callbacks"
"""Meta key: the names of the callback and errback the work wrappers stand in for."""
LOCAL = "local:"


class WorkInProgress:
    """What each taken request still owes before it counts as done: its callback's end, and the
    storing of every item that callback produced."""

    def __init__(self, done: Callable[[str, bool], None]) -> None:
        self._done = done
        self._open_items: dict[str, int] = {}
        self._ran: set[str] = set()
        self._items: dict[int, tuple[object, str]] = {}

    def produced(self, work: str, element: object) -> None:
        if isinstance(element, scrapy.Request):
            return
        self._items[id(element)] = (element, work)
        self._open_items[work] = self._open_items.get(work, 0) + 1

    def ran(self, work: str, *, ok: bool) -> None:
        if not ok:
            self._open_items.pop(work, None)
            self._done(work, False)
            return
        self._ran.add(work)
        self._settle(work)

    def stored(self, items: Iterable[object]) -> None:
        for item in items:
            found = self._items.pop(id(item), None)
            if found is None or found[0] is not item:
                continue
            work = found[1]
            self._open_items[work] = self._open_items.get(work, 1) - 1
            self._settle(work)

    def _settle(self, work: str) -> None:
        if work in self._ran and self._open_items.get(work, 0) <= 0:
            self._ran.discard(work)
            self._open_items.pop(work, None)
            self._done(work, True)

    def __len__(self) -> int:
        return len(self._ran) + len(self._open_items)


class FrontierScheduler(BaseScheduler):
    def __init__(self, crawler: Crawler, server: Redis) -> None:
        self.crawler = crawler
        self.server = server
        self.worker = new_worker_id()
        self.spider: ListingSpider | None = None
        self.job: Job | None = None
        self.queue: LeasedQueue | None = None
        self.seen: RFPDupeFilter | None = None
        self.local: list[tuple[int, int, scrapy.Request]] = []
        self._order = itertools.count()
        self._local_work = itertools.count(1)
        self.local_in_work: set[str] = set()
        self.work = WorkInProgress(self._work_done)
        self._heartbeat: Any = None
        self.listing_started = False
        self.listed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierScheduler:
        scheduler = cls(crawler, redis_from_environment())
        crawler.signals.connect(scheduler._idle, signal=signals.spider_idle)
        crawler.signals.connect(scheduler.work.stored, signal=ITEMS_STORED)
        return scheduler

    # --- Scrapy's scheduler interface ------------------------------------------------------------

    def open(self, spider: scrapy.Spider) -> None:
        if not isinstance(spider, ListingSpider):
            raise CrawlSettingsError(f"a shared frontier takes the listing crawls, not {spider.name}")
        self.spider = spider
        keys = JobKeys.of(job_name(spider.name, spider.search_key), namespace_of(self.crawler.settings))
        ttl = self.crawler.settings.getfloat(WORKER_TTL_SETTING, WORKER_TTL_SECONDS)
        self.job = Job(self.server, keys, self.worker, ttl)
        self.queue = LeasedQueue(self.server, spider, keys, self.worker)
        self.seen = RFPDupeFilter(self.server, key=keys.seen)
        self.job.beat()
        self.crawler.stats.set_value(SHARED_REQUESTS_STAT, 0)
        spider.lists = self.job.claim_listing()
        spider.on_card_failed = self.job.note_failed
        log.info(
            "worker %s joined the shared crawl %s as %s (%d requests waiting)",
            self.worker,
            keys.prefix.rstrip(":"),
            "its lister" if spider.lists else "a card fetcher",
            len(self.queue),
        )
        self._heartbeat = create_looping_call(self._beat)
        self._heartbeat.start(min(HEARTBEAT_SECONDS, ttl / 3), now=False)

    def close(self, reason: str) -> None:
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        if self.job is None or self.queue is None:
            return
        back = self.queue.requeue_mine()
        if back:
            log.info("%d requests in work went back to the shared queue", back)
        if self.job.lists and reason == "finished" and self.job.is_done() and self.spider:
            self.spider.note_oldest_failed(self.job.oldest_failed())
            self.job.remove()
            log.info("the shared crawl is done: its keys are removed")
        elif self.job.close_if_orphaned():
            log.info("the shared crawl is done and its lister is gone: its keys are removed, the mark stays")
        self.job.leave()

    def has_pending_requests(self) -> bool:
        return bool(self.local) or (self.queue is not None and len(self.queue) > 0)

    def enqueue_request(self, request: scrapy.Request) -> bool:
        assert self.queue is not None and self.seen is not None  # opened
        work = self._unwrap(request)
        if request.meta.get("kind") == "list":  # the listing stays with its lister
            heapq.heappush(self.local, (-request.priority, next(self._order), request))
            if work:
                self.local_in_work.discard(work)
            return True
        if not request.dont_filter and self.seen.request_seen(request):
            self.crawler.stats.inc_value("tenderwatch/frontier/filtered")
            return False
        replaces = work if work and not work.startswith(LOCAL) else None
        self.queue.push(request, replaces=replaces)
        self.crawler.stats.inc_value("tenderwatch/frontier/queued")
        return True

    def next_request(self) -> scrapy.Request | None:
        assert self.queue is not None  # opened
        if self.local:
            request = heapq.heappop(self.local)[2]
            work = f"{LOCAL}{next(self._local_work)}"
            self.local_in_work.add(work)
            self.listing_started = True
        else:
            taken = self.queue.take()
            if taken is None:
                return None
            work, request = taken
            if not request.meta.get("retry_times"):
                self.crawler.stats.inc_value(SHARED_REQUESTS_STAT)
        self._wrap(request, work)
        return request

    # --- work in progress ------------------------------------------------------------------------

    def _wrap(self, request: scrapy.Request, work: str) -> None:
        """Stand wrappers in for the callbacks that tell when they have run (names kept, so a
        retry of the request is queued with the spider's own methods)."""
        callback, errback = request.callback, request.errback
        request.meta[WORK] = work
        request.meta[CALLBACKS] = (_name(callback), _name(errback))
        if callable(callback):
            request.callback = self._reporting(callback, work)
        request.errback = self._reporting(errback or _ignore, work)

    def _unwrap(self, request: scrapy.Request) -> str | None:
        """A request queued again (a retry) gets its own methods back; returns the work it replaces."""
        work = request.meta.pop(WORK, None)
        names = request.meta.pop(CALLBACKS, None)
        if names and self.spider is not None:
            callback, errback = names
            request.callback = getattr(self.spider, callback) if callback else None
            request.errback = getattr(self.spider, errback) if errback else None
        return work

    def _reporting(self, method: Callable[..., Any], work: str) -> Callable[..., Iterator[Any]]:
        def run(*args: Any, **kwargs: Any) -> Iterator[Any]:
            ok = False
            try:
                for element in method(*args, **kwargs) or ():
                    self.work.produced(work, element)
                    yield element
                ok = True
            finally:
                self.work.ran(work, ok=ok)

        return run

    def _work_done(self, work: str, ok: bool) -> None:
        assert self.queue is not None  # opened
        if work.startswith(LOCAL):
            self.local_in_work.discard(work)
        elif ok:
            self.queue.ack(work)
        else:
            self.queue.requeue(work)

    # --- the job ---------------------------------------------------------------------------------

    def _beat(self) -> None:
        assert self.job is not None and self.queue is not None  # opened
        try:
            if not self.job.beat() and self.spider is not None:
                log.error("this worker was taken for dead and lost the listing: it will not move the mark")
                self.spider.lists = False
            back = self.queue.requeue_dead()
            if back:
                log.warning("%d requests of a worker that stopped went back to the shared queue", back)
                self.crawler.stats.inc_value("tenderwatch/frontier/requeued", back)
            self._check_listing()
        except RedisError as exc:  # one missed beat is survivable; ten in a row lose the leases
            log.error("shared frontier: heartbeat failed: %s", exc)

    def _check_listing(self) -> None:
        """The lister says when its listing is done; another worker takes a dead lister's over."""
        assert self.job is not None  # opened
        if self.job.lists:
            if not self.listed and self.listing_started and not self.local and not self.local_in_work:
                self.job.listing_done()
                self.listed = True
            return
        if self.spider is not None and self.job.claim_listing():
            log.warning("the lister stopped before its listing was done: this worker lists from the top")
            self.crawler.engine.crawl(self.spider.begin_listing())

    def _idle(self) -> None:
        assert self.job is not None  # opened
        self._beat()
        if not self.job.is_done():
            raise DontCloseSpider


def _name(method: Callable[..., Any] | None) -> str | None:
    return getattr(method, "__name__", None) if method is not None else None


def _ignore(failure: Any) -> Iterable[Any]:
    log.warning("request failed with no errback to hear it: %s", failure)
    return ()
