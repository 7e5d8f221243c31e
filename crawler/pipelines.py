"""Item pipeline: notices (and protocols, contracts) -> the database in batches, each batch one transaction.

A batch is stored whole or not at all (``upsert_notices`` commits once), so a crawl killed midway
leaves only complete batches behind; the next crawl finds the rest unstored and fetches it, and
the upsert on (law, registry number) makes storing anything twice a no-op. What the batches did
is counted in the crawl stats (``tenderwatch/notices/{new,changed,unchanged}``) for the run row.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.database import CrawlDatabase, crawl_database
from data.errors import StoreError
from data.notice import Notice
from data.results import ContractRecord, ProtocolResult
from data.store import ResultDocument

log = logging.getLogger(__name__)

BATCH_SIZE_SETTING = "TENDERWATCH_BATCH_SIZE"


class StorePipeline:
    """Buffers notices and result documents and upserts them every ``TENDERWATCH_BATCH_SIZE`` items
    and when the spider closes."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.batch_size = max(1, crawler.settings.getint(BATCH_SIZE_SETTING, 100))
        self.buffer: list[Notice] = []
        self.results: list[ResultDocument] = []
        self.database: CrawlDatabase | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.database = crawl_database(self.crawler)

    def process_item(self, item: object) -> Notice | ResultDocument:
        if isinstance(item, Notice):
            self.buffer.append(item)
        elif isinstance(item, ProtocolResult | ContractRecord):
            self.results.append(item)
        else:
            raise DropItem(f"not a notice, protocol or contract: {type(item).__name__}")
        if len(self.buffer) + len(self.results) >= self.batch_size:
            self.flush()
        return item

    def close_spider(self) -> None:
        self.flush()

    def flush(self) -> None:
        """Notices first: a result stored in the same flush is then summed up with its notice."""
        self.flush_notices()
        self.flush_results()

    def flush_results(self) -> None:
        if not self.results or self.database is None:
            return
        batch, self.results = self.results, []
        stats = self.crawler.stats
        spider = self.crawler.spider
        try:
            stored = self.database.upsert_results(batch, source=spider.name if spider else None)
        except StoreError as exc:  # as for notices: nothing of the batch is stored, the next crawl asks again
            stats.inc_value("tenderwatch/errors/store", len(batch))
            log.error("storing a batch of %d result documents failed: %s", len(batch), exc)
            return
        stats.inc_value("tenderwatch/results/new", stored.new)
        stats.inc_value("tenderwatch/results/changed", stored.changed)
        stats.inc_value("tenderwatch/results/unchanged", stored.unchanged)
        log.info(
            "stored a batch of %d result documents: %d new, %d changed, %d unchanged",
            len(batch),
            stored.new,
            stored.changed,
            stored.unchanged,
        )

    def flush_notices(self) -> None:
        if not self.buffer or self.database is None:
            return
        batch, self.buffer = self.buffer, []
        stats = self.crawler.stats
        spider = self.crawler.spider
        try:
            result = self.database.upsert(
                batch,
                source=spider.name if spider else None,
                requests=int(stats.get_value("downloader/request_count", 0)),
                pages=int(stats.get_value("tenderwatch/pages", 0)),
            )
        except StoreError as exc:
            # Nothing of the batch is stored; its notices stay unstored and the next crawl fetches them.
            stats.inc_value("tenderwatch/errors/store", len(batch))
            log.error("storing a batch of %d notices failed: %s", len(batch), exc)
            return
        stats.inc_value("tenderwatch/batches")
        stats.inc_value("tenderwatch/notices/new", result.new)
        stats.inc_value("tenderwatch/notices/changed", result.changed)
        stats.inc_value("tenderwatch/notices/unchanged", result.unchanged)
        log.info(
            "stored a batch of %d notices: %d new, %d changed, %d unchanged",
            len(batch),
            result.new,
            result.changed,
            result.unchanged,
        )
