"""What the crawler raises. Callers catch ``CrawlerError``; the subclasses say where and why."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest


class CrawlerError(Exception):
    """Base of every crawler failure a caller may report rather than crash on."""


class SpiderArgumentError(CrawlerError, ValueError):
    """A spider argument (``from_date``, ``max_pages``, ``sample``...) is unusable; raised before crawling."""


class SourcePaused(CrawlerError):
    """The site blocked the last crawl of this source: crawls wait out the pause (a circuit breaker)."""


class CrawlSettingsError(CrawlerError, ValueError):
    """A crawler setting (search filters, base URL, database URL) is unusable; raised before crawling."""


class CrawlProcessError(CrawlerError):
    """The crawl subprocess could not be started or ended without recording its outcome (runner)."""


class BadPage(IgnoreRequest):
    """A 200 response that is no EIS data (maintenance, captcha, empty), after its retries ran out.

    Raised by ``ErrorPageMiddleware`` so the request's errback records it as an error for that URL.
    """

    def __init__(self, kind: str, problem: str, url: str) -> None:
        self.kind = kind
        self.problem = problem
        self.url = url
        super().__init__(f"{url}: {problem}")
