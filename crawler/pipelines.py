"""Item pipeline: notices (and protocols, contracts) -> the database in batches, each batch one transaction.

A batch is stored whole or not at all (``upsert_notices`` commits once), so a crawl killed midway
leaves only complete batches behind; the next crawl finds the rest unstored and fetches it, and
the upsert on (law, registry number) makes storing anything twice a no-op. What the batches did
is counted in the crawl stats (``tenderwatch/notices/{new,changed,unchanged}``) for the run row.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from collections.abc import Sequence

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.database import CrawlDatabase
from crawler.database import crawl_database
from data.errors import StoreError
from data.notice import Notice
from data.results import ContractRecord
from data.results import ProtocolResult
from data.results import UnfairSupplierCheck
from data.results import UnfairSupplierEntry
from data.store import ResultDocument
from data.store import ResultsStored
from data.store import UpsertResult

log = logging.getLogger(__name__)

Counted = UpsertResult | ResultsStored
"""What storing a batch says it did: new, changed, unchanged."""

BATCH_SIZE_SETTING = "TENDERWATCH_BATCH_SIZE"
BATCH_SECONDS_SETTING = "TENDERWATCH_BATCH_SECONDS"
ITEMS_STORED = object()
"""Signal sent with ``items=`` once a batch is stored (or its storing failed and was counted), and
for an item dropped: what a shared frontier waits for before it lets go of a request's lease."""


class StorePipeline:
    """Buffers notices and result documents and upserts them every ``TENDERWATCH_BATCH_SIZE`` items,
    or once the oldest has waited ``TENDERWATCH_BATCH_SECONDS``, and when the spider is idle or closes.

    The time bound is for the real site's pace: at one card per 3.5 s a batch of 100 would hold
    six minutes of crawling, all of which a killed process loses and the next crawl (or, on a
    shared frontier, another worker) fetches again.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.batch_size = max(1, crawler.settings.getint(BATCH_SIZE_SETTING, 100))
        self.batch_seconds = crawler.settings.getfloat(BATCH_SECONDS_SETTING, 5.0)
        self.oldest_at: float | None = None
        self.buffer: list[Notice] = []
        self.results: list[ResultDocument] = []
        self.database: CrawlDatabase | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        pipeline = cls(crawler)
        # An idle crawl stores what it holds: a worker of a shared crawl waits for its peers with
        # its last items stored, and their requests' leases let go.
        crawler.signals.connect(pipeline.flush, signal=signals.spider_idle)
        return pipeline

    def open_spider(self) -> None:
        self.database = crawl_database(self.crawler)

    def process_item(self, item: object) -> Notice | ResultDocument:
        if isinstance(item, Notice):
            self.buffer.append(item)
        elif isinstance(item, ProtocolResult | ContractRecord | UnfairSupplierEntry | UnfairSupplierCheck):
            self.results.append(item)
        else:
            self._stored([item])
            raise DropItem(f"not a notice, protocol or contract: {type(item).__name__}")
        now = time.monotonic()
        if self.oldest_at is None:
            self.oldest_at = now
        if (
            len(self.buffer) + len(self.results) >= self.batch_size
            or now - self.oldest_at >= self.batch_seconds
        ):
            self.flush()
        return item

    def close_spider(self) -> None:
        self.flush()

    def flush(self) -> None:
        """Notices first: a result stored in the same flush is then summed up with its notice."""
        self.oldest_at = None
        self.flush_notices()
        self.flush_results()

    def flush_results(self) -> None:
        if not self.results or self.database is None:
            return
        batch, self.results = self.results, []
        database = self.database
        self._store("results", batch, lambda source: database.upsert_results(batch, source=source))

    def flush_notices(self) -> None:
        if not self.buffer or self.database is None:
            return
        batch, self.buffer = self.buffer, []
        database, stats = self.database, self.crawler.stats
        self._store(
            "notices",
            batch,
            lambda source: database.upsert(
                batch,
                source=source,
                requests=int(stats.get_value("downloader/request_count", 0)),
                pages=int(stats.get_value("tenderwatch/pages", 0)),
            ),
        )

    def _store(self, what: str, batch: Sequence[object], store: Callable[[str | None], Counted]) -> None:
        """One batch in one transaction, counted in the crawl stats (``tenderwatch/<what>/new``...).
        When it fails nothing of it is stored; the next crawl fetches those documents again."""
        stats = self.crawler.stats
        spider = self.crawler.spider
        try:
            done = store(spider.name if spider else None)
        except StoreError as exc:
            stats.inc_value("tenderwatch/errors/store", len(batch))
            log.error("storing a batch of %d %s failed: %s", len(batch), what, exc)
            self._stored(batch)
            return
        self._stored(batch)
        stats.inc_value("tenderwatch/batches")
        for name in ("new", "changed", "unchanged"):
            stats.inc_value(f"tenderwatch/{what}/{name}", getattr(done, name))
        log.info(
            "stored a batch of %d %s: %d new, %d changed, %d unchanged",
            len(batch),
            what,
            done.new,
            done.changed,
            done.unchanged,
        )

    def _stored(self, items: Sequence[object]) -> None:
        self.crawler.signals.send_catch_log(signal=ITEMS_STORED, items=items)
