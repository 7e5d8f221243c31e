"""``eis_export``: whole days of documents from the EIS export service (getDocsIP, needs a token).

Domain: https://int44.zakupki.gov.ru/eis-integration/services/getDocsIP (``crawler.export_url``).

For each day, region and document type one ``getDocsByOrgRegion`` request; the reply's archive
links are downloaded with the token and every document in them is parsed and stored (notices,
and protocols or contracts when a registry number brings them). With ``reg_numbers`` one
``getDocsByReestrNumber`` request per purchase instead: all of its documents, results included.

Caveats:
  * the service answers per whole day; the current day is left to the search (``eis``), which
    sees the fresh hour. Incremental: the high-water mark is the end of the last day every
    request of which was answered; the next crawl starts the day after (first crawl:
    ``crawler.export_days`` days back). A day with a failed request is asked again next time;
  * requests and links carry the token (a SOAP header and an HTTP header), never the URL; the
    token reaches this process in its environment (``TOKEN_ENV``) only;
  * a refused token ends the crawl at once (every request would be refused alike).

Spider arguments: ``from_date``, ``until_date`` (days, Moscow), ``reg_numbers``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from collections.abc import Generator
from collections.abc import Iterable
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any
from typing import ClassVar

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.archives import DocumentError
from crawler.archives import archive_documents_of_bytes
from crawler.database import CrawlDatabase
from crawler.database import crawl_database
from crawler.errors import CrawlSettingsError
from crawler.export_service import NOTICE_TYPES_44
from crawler.export_service import NOTICE_TYPES_223
from crawler.export_service import SERVICE_URL
from crawler.export_service import TOKEN_ENV
from crawler.export_service import TOKEN_HEADER
from crawler.export_service import ExportServiceError
from crawler.export_service import NotAReply
from crawler.export_service import RegionDay
from crawler.export_service import archive_urls
from crawler.export_service import reg_number_request
from crawler.export_service import region_day_request
from crawler.parsers import Document
from crawler.parsers import NotANotice
from crawler.parsers import ParseError
from crawler.parsers import parse_document
from crawler.parsers.common import MOSCOW
from crawler.spiders.base import TOKEN_REFUSED
from crawler.spiders.base import BaseSpider
from crawler.spiders.base import failed_request
from data.notice import Notice
from data.reference.regions import all_regions
from data.reference.regions import subject_codes

EXPORT_SOURCE = "eis_export"
EXPORT_URL_SETTING = "TENDERWATCH_EXPORT_URL"
EXPORT_REGIONS_SETTING = "TENDERWATCH_EXPORT_REGIONS"
EXPORT_DAYS_SETTING = "TENDERWATCH_EXPORT_DAYS"
ASKED_FOR: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("44-FZ", NOTICE_TYPES_44),
    ("223-FZ", NOTICE_TYPES_223),
)


def parse_regions(value: str | None) -> tuple[str, ...]:
    """Two-digit region codes, comma-separated; blank: every subject of the federation."""
    try:
        codes = subject_codes(c for c in (value or "").split(",") if c.strip())
    except ValueError as exc:
        raise CrawlSettingsError(f"crawler.export_regions: {exc}") from None
    return tuple(codes) or tuple(r.code for r in all_regions())


def token_missing(source: str) -> CrawlSettingsError:
    """The error of an export-service crawl started without the token (the runner says it first)."""
    return CrawlSettingsError(
        f"{source} needs the export service's token: set crawler.export_token ({TOKEN_ENV})"
    )


def end_of_day(day: date) -> datetime:
    """The last instant of a Moscow day: the mark after that day was read whole."""
    return datetime.combine(day + timedelta(days=1), time(), MOSCOW) - timedelta(microseconds=1)


class EisExportSpider(BaseSpider):
    name = EXPORT_SOURCE
    arguments_accepted: ClassVar[tuple[str, ...]] = ("from_date", "until_date", "reg_numbers")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.token = ""
        self.service_url = SERVICE_URL
        self.regions: tuple[str, ...] = ()
        self.days_back = 3
        self.database: CrawlDatabase | None = None
        self.search_key = ""
        self.days: list[date] = []
        self.failed_days: set[date] = set()
        self.listing_complete = True
        self.idle = False
        self.stop_reason = ""

    def configure(self, crawler: Crawler) -> None:
        super().configure(crawler)
        settings = crawler.settings
        self.token = os.environ.get(TOKEN_ENV, "").strip()
        if not self.token:
            raise token_missing(self.name)
        self.service_url = settings.get(EXPORT_URL_SETTING) or SERVICE_URL
        self.regions = parse_regions(settings.get(EXPORT_REGIONS_SETTING))
        self.days_back = max(1, settings.getint(EXPORT_DAYS_SETTING, 3))
        self.search_key = "regions=" + ",".join(self.regions)
        self.database = crawl_database(crawler)

    # --- what to ask ----------------------------------------------------------------------------

    def window(self, today: date) -> list[date]:
        """The days to ask for, oldest first: from the argument, else the day after the mark (or
        ``days_back`` days ago on a first crawl), to yesterday, the last whole day."""
        last = self.until_date or today - timedelta(days=1)
        first = self.from_date
        if first is None:
            mark = (
                self.database.high_water(source=self.name, search_key=self.search_key)
                if self.database
                else None
            )
            first = (
                mark.astimezone(MOSCOW).date() + timedelta(days=1)
                if mark
                else last - timedelta(days=self.days_back - 1)
            )
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def questions(self) -> Iterable[RegionDay]:
        for day in self.days:
            for region in self.regions:
                for law, types in ASKED_FOR:
                    for document_type in types:
                        yield RegionDay(region, day, law, document_type)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.reg_numbers:
            for request in self.purchase_requests(self.reg_numbers):
                yield request
            return
        self.days = self.window(datetime.now(MOSCOW).date())
        if not self.days:
            self.idle = True
            self.stop_reason = "every whole day up to yesterday was already read"
            return
        for ask in self.questions():
            yield self.soap_request(
                region_day_request(self.token, ask), "getDocsByOrgRegion", ask.label, ask.day
            )

    def purchase_requests(self, numbers: Iterable[str]) -> Iterable[scrapy.Request]:
        """One ``getDocsByReestrNumber`` question per purchase: every document of it."""
        for number in numbers:
            yield self.soap_request(reg_number_request(self.token, number), "getDocsByReestrNumber", number)

    def soap_request(
        self, body: bytes, operation: str, label: str, day: date | None = None
    ) -> scrapy.Request:
        return scrapy.Request(
            self.service_url,
            method="POST",
            body=body,
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
            callback=self.parse_reply,
            errback=self.request_failed,
            meta={"operation": operation, "label": label, "day": day},
            dont_filter=True,  # every question is one POST to the same URL
        )

    # --- what comes back ------------------------------------------------------------------------

    def parse_reply(self, response: Response) -> Generator[scrapy.Request, None, None]:
        meta = response.meta
        self.count("requests/list")  # counted when answered: Scrapy drains start() ahead of the downloads
        try:
            urls = archive_urls(response.body, meta["operation"])
        except NotAReply as exc:
            retry = self.retry(response, "unparsable_reply")
            if retry is not None:
                yield retry
                return
            self.failed(meta, "parse", response.url, f"{meta['label']}: {exc}")
            return
        except ExportServiceError as exc:
            if exc.token_refused:
                self.stop_reason = f"the export service refused the token: {exc.message}"
                self.listing_complete = False
                raise CloseSpider(TOKEN_REFUSED) from None
            self.failed(meta, "service", response.url, f"{meta['label']}: {exc}")
            return
        self.count("pages")
        for url in urls:
            yield scrapy.Request(
                url,
                headers={TOKEN_HEADER: self.token},
                callback=self.parse_archive,
                errback=self.request_failed,
                meta={"label": meta["label"], "day": meta["day"]},
            )

    def parse_archive(self, response: Response) -> Generator[Document | scrapy.Request, None, None]:
        self.count("requests/card")
        for label, content in archive_documents_of_bytes(response.body, response.url):
            if isinstance(content, DocumentError):
                retry = self.retry(response, "unreadable_archive") if label == response.url else None
                if retry is not None:  # the archive itself is unreadable (not one member): fetch it again
                    yield retry
                    return
                self.failed(response.meta, "archive", label, content.reason)
                continue
            try:
                documents = parse_document(content, url=label)
            except NotANotice:
                self.count("documents/skipped")  # a cancellation, a first-parts protocol: not ours to read
                continue
            except ParseError as exc:
                self.failed(response.meta, exc.kind, label, exc.problem)
                continue
            self.count("cards")
            for document in documents:
                yield self.as_item(document) if isinstance(document, Notice) else document

    def request_failed(self, failure: Failure) -> Iterable[Any]:
        self.failed_days.add(failed_request(failure).meta.get("day") or date.max)
        return self.step_failed(failure, self.parse_archive)

    def failed(self, meta: dict[str, Any], kind: str, url: str, problem: str) -> None:
        """One question or document lost: counted, and its day is asked again by the next crawl."""
        self.record_error(kind, url, problem)
        self.failed_days.add(meta.get("day") or date.max)

    # --- for the run recorder -------------------------------------------------------------------

    def crawl_mark(self) -> datetime | None:
        """The end of the last day before the first day with a failure; None when there is none
        (by registry number, or the first day failed): the mark stays."""
        if self.reg_numbers or not self.days:
            return None
        whole = [d for d in self.days if d < min(self.failed_days, default=date.max)]
        return end_of_day(whole[-1]) if whole else None
