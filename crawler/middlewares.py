"""Downloader middlewares: the EIS's bad days (429 with Retry-After, 200 responses that are no data).

Order (``DOWNLOADER_MIDDLEWARES`` in settings): responses pass ``ErrorPageMiddleware`` (570) and
``RetryAfterMiddleware`` (560) before Scrapy's ``RetryMiddleware`` (550), which keeps handling
5xx, timeouts and connection errors with its own cap. Requests pass ``DelayedRequestMiddleware``
(540) on the way out, which is where a Retry-After wait happens.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Response
from scrapy.utils.asyncio import sleep

from crawler.errors import BadPage
from crawler.parsers import ParseError
from crawler.parsers import detect_format
from crawler.parsers.html import looks_like_error_page

log = logging.getLogger(__name__)

WAIT_META = "tenderwatch_wait"
PROXY_ENV = "TENDERWATCH_CRAWLER__PROXY"
"""The proxy URL reaches the crawl process in the environment (it may carry a password)."""
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
BROWSER_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8",
}
"""``crawler.browser_headers``: what a browser sends, for a site that turns away unknown clients
(public scrapers of zakupki.gov.ru send a browser User-Agent and ``Accept-Language: ru``)."""


def retry_after_seconds(
    value: bytes | str | None, *, default: float, cap: float, now: datetime | None = None
) -> float:
    """Seconds to wait for a ``Retry-After`` header (delta-seconds or an HTTP date), within [0, cap]."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    text = (value or "").strip()
    seconds: float = default
    if text.isdigit():
        seconds = float(text)
    elif text:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, min(seconds, cap))


def running_spider(crawler: Crawler) -> Spider:
    """The crawler's spider; a downloader middleware only sees requests while one runs."""
    if crawler.spider is None:
        raise RuntimeError("a request reached the middleware outside a crawl")
    return crawler.spider


class _Component:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler)


class DelayedRequestMiddleware(_Component):
    """Holds a request back for ``meta["tenderwatch_wait"]`` seconds without blocking the reactor.

    The wait is an asyncio sleep on the crawl's event loop: other requests keep flowing, and the
    delayed one keeps its concurrency slot, which is what a server asking us to slow down wants.
    """

    async def process_request(self, request: Request) -> None:
        wait = request.meta.pop(WAIT_META, 0)
        if wait > 0:
            log.info("waiting %.1f s before %s (server asked to retry later)", wait, request.url)
            await sleep(wait)


class ProxyMiddleware(_Component):
    """Every request through ``crawler.proxy`` (Scrapy's HttpProxyMiddleware, later in the chain,
    takes credentials out of the URL into a Proxy-Authorization header)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.proxy = os.environ.get(PROXY_ENV) or None

    def process_request(self, request: Request) -> None:
        if self.proxy and "proxy" not in request.meta:
            request.meta["proxy"] = self.proxy


class RetryAfterMiddleware(_Component):
    """HTTP 429: retry after the server's ``Retry-After`` (capped), a limited number of times.

    429 is taken out of ``RETRY_HTTP_CODES`` so Scrapy's retry, which would retry at once, never
    sees it. When the retries run out, the 429 response goes on to the spider's errback.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.max_retries = settings.getint("TENDERWATCH_429_RETRY_TIMES", 3)
        self.default_wait = settings.getfloat("TENDERWATCH_429_DEFAULT_WAIT", 30.0)
        self.max_wait = settings.getfloat("TENDERWATCH_429_MAX_WAIT", 300.0)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status != 429 or request.meta.get("dont_retry"):
            return response
        wait = retry_after_seconds(
            response.headers.get(b"Retry-After"), default=self.default_wait, cap=self.max_wait
        )
        retry = get_retry_request(
            request,
            spider=running_spider(self.crawler),
            reason="429 Too Many Requests",
            max_retry_times=self.max_retries,
            stats_base_key="retry_429",
        )
        if retry is None:
            return response
        retry.meta[WAIT_META] = wait
        self.crawler.stats.inc_value("tenderwatch/throttled_seconds", round(wait))
        return retry


def bad_page_kind(body: bytes) -> tuple[str, str] | None:
    """(kind, problem) when a 200 body is no EIS data: empty, maintenance, captcha/WAF; else None.

    A body that sniffs as XML, RSS or JSON is left to the parser (a notice *titled* «Технические
    работы» is data); truncation is found by the parser too, and the spider retries it.
    """
    if not body.strip():
        return "empty", "empty body"
    try:
        if detect_format(body) != "html":
            return None
    except ParseError:
        return None
    problem = looks_like_error_page(body)
    if problem is None:
        return None
    kind = "maintenance" if "maintenance" in problem else "captcha" if "captcha" in problem else "error_page"
    return kind, problem


SITE_DOWN_KINDS = frozenset({"maintenance", "captcha"})
"""Error pages that speak for the whole site, not one URL: fetching again only digs deeper."""


class ErrorPageMiddleware(_Component):
    """A 200 response that is an error page is fetched again a few times, then a ``BadPage`` error.

    A maintenance or captcha page is not retried: it is the site's answer to every URL for a
    while, so the spider ends the crawl on it (``BaseSpider.errback``) instead of asking again.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.max_retries = crawler.settings.getint("TENDERWATCH_BAD_PAGE_RETRY_TIMES", 2)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status != 200:
            return response
        found = bad_page_kind(response.body)
        if found is None:
            return response
        kind, problem = found
        if kind in SITE_DOWN_KINDS:
            raise BadPage(kind, problem, request.url)
        retry = get_retry_request(
            request,
            spider=running_spider(self.crawler),
            reason=f"error page: {kind}",
            max_retry_times=self.max_retries,
            stats_base_key="retry_error_page",
        )
        if retry is not None:
            return retry
        raise BadPage(kind, problem, request.url)
