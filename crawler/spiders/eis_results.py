"""``eis_results``: the protocols and contracts of stored 44-FZ purchases, from the export service.

Domain: the export service of ``eis_export`` (needs its token); one ``getDocsByReestrNumber``
request per purchase, which brings every document of it: the notice's versions, its protocols
and, once signed, its contract.

Which purchases: the stored 44-FZ ones whose submission deadline crossed one of
``data.store.RESULT_MILESTONES`` (3 and 7 days for the protocol, 17 and 31 for the contract) since
the last complete crawl and that still lack what the milestone is for; those a profile matched or
a person took first. The high-water mark is this crawl's start, so each purchase is asked at each
milestone once, however often the crawl runs; a crawl with a failed request or with more purchases
than its budget keeps the mark, and the next crawl asks that window again (upserts make asking
twice harmless).

Caveats: 223-FZ purchases are not asked (no 223-FZ protocol is parsed: no public sample, issue 10).
Without a token, ``eis_site_results`` reads the protocols from the site's result pages instead.

Spider arguments: none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from collections.abc import Collection
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import ClassVar

import scrapy
from scrapy.crawler import Crawler

from crawler.database import CrawlDatabase
from crawler.spiders.eis_export import EisExportSpider

RESULTS_SOURCE = "eis_results"
REQUESTS_PER_PURCHASE = 2
"""What a purchase costs of ``crawler.max_requests``: the SOAP request and one archive here; the
results tab and the protocol's bid list on the site (``eis_site_results``)."""
MILESTONES_KEY = "milestones"


@dataclass
class ResultWindow:
    """Which stored purchases a result crawl asks about, and the mark it may leave: the purchases
    that crossed a milestone between the last complete crawl (or ``days_back`` days before this
    one) and this crawl's start, at most ``limit`` of them. Both result crawls use it."""

    started: datetime
    limit: int
    asked: list[str] = field(default_factory=list)

    @classmethod
    def for_budget(cls, budget: int) -> ResultWindow:
        """``budget``: ``crawler.max_requests`` (0: no limit)."""
        return cls(datetime.now(UTC), max(1, budget // REQUESTS_PER_PURCHASE) if budget else 1_000_000)

    def choose(
        self,
        database: CrawlDatabase,
        *,
        source: str,
        days_back: int,
        since: datetime | None = None,
        wanted: Collection[str] = ("protocol", "contract"),
    ) -> list[str]:
        """``since``: look back to then instead of the mark (a crawl with ``from_date``);
        ``wanted``: the kinds of result the crawl can bring (``data.store.RESULT_MILESTONES``)."""
        if since is None:
            mark = database.high_water(source=source, search_key=MILESTONES_KEY)
            since = mark or self.started - timedelta(days=days_back)
        self.asked = database.awaiting_results(
            since=since, until=self.started, limit=self.limit, wanted=wanted
        )
        return self.asked

    def stop_reason(self) -> str:
        if not self.asked:
            return "no stored purchase crossed a result milestone since the last crawl"
        reason = f"asked for the results of {len(self.asked)} purchase(s)"
        if len(self.asked) >= self.limit:
            reason += f"; more than the budget of {self.limit} waited: the next crawl asks again"
        return reason

    def mark(self, *, failed: bool) -> datetime | None:
        """This crawl's start, when every purchase of the window was asked and answered."""
        return None if failed or len(self.asked) >= self.limit else self.started


class EisResultsSpider(EisExportSpider):
    name = RESULTS_SOURCE
    arguments_accepted: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.milestones = ResultWindow.for_budget(0)

    def configure(self, crawler: Crawler) -> None:
        super().configure(crawler)
        self.search_key = MILESTONES_KEY
        self.milestones = ResultWindow.for_budget(crawler.settings.getint("TENDERWATCH_MAX_REQUESTS", 0))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        assert self.database is not None  # configure() opened it
        asked = self.milestones.choose(self.database, source=self.name, days_back=self.days_back)
        self.stop_reason = self.milestones.stop_reason()
        self.idle = not asked
        for request in self.purchase_requests(asked):
            yield request

    def crawl_mark(self) -> datetime | None:
        return self.milestones.mark(failed=bool(self.failed_days))
