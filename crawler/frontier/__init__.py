"""A crawl frontier shared by several ``tenderwatch crawl`` workers, on Redis.

One machine crawling politely cannot read a day of all of Russia; several can, if they never ask
the site the same thing twice and keep the site's politeness between them. With
``crawler.frontier_url`` set, every search crawl (``eis``, ``eis_rss``) of the same search joins
one *job* on that Redis:

* one worker, the *lister*, reads the listing (its pages and the parts of a split search) as a
  single crawl would, and keeps the high-water mark; its card requests go to the shared queue;
* every worker, the lister too, takes card requests from the queue (``queue.LeasedQueue``): a
  taken request is *leased* to its worker until what it produced is stored, so a worker killed
  mid-crawl loses nothing (its leases go back to the queue once its heartbeat stops) and a card is
  fetched once across the workers (scrapy-redis's duplicate filter, shared);
* every request to a site waits for its turn at that site's gate (``politeness.SiteGate``), one
  turn per ``crawler.download_delay`` whatever the number of workers;
* when the lister dies, another worker takes the listing over from the top (what is queued or
  stored is not asked again); the job ends when the listing is done, the queue is empty and no
  lease is left, and the lister then moves the mark and clears the job's keys.

Without ``crawler.frontier_url`` nothing here is loaded: one crawl is one process, as before.
docs/scaling.md has the figures and how to run the workers.
"""

from __future__ import annotations

import os

from redis import Redis
from redis.exceptions import RedisError
from scrapy.settings import BaseSettings

from crawler.errors import CrawlSettingsError
from data.db import mask_url

FRONTIER_URL_ENV = "TENDERWATCH_CRAWLER__FRONTIER_URL"
"""The Redis URL reaches the crawl process in the environment (it may carry a password)."""
FRONTIER_SOURCES = ("eis", "eis_rss")
"""The crawls a shared frontier takes: the search crawls, whose cards are the many requests."""
NAMESPACE_SETTING = "TENDERWATCH_FRONTIER_NAMESPACE"
"""The first part of every Redis key (default ``tenderwatch``): installations (or tests) sharing
one Redis keep apart by it."""
DEFAULT_NAMESPACE = "tenderwatch"
SCHEDULER = "crawler.frontier.scheduler.FrontierScheduler"


def namespace_of(settings: BaseSettings) -> str:
    return settings.get(NAMESPACE_SETTING) or DEFAULT_NAMESPACE


def connect(url: str) -> Redis:
    """The frontier's Redis, answering; else a ``CrawlSettingsError`` naming it (password masked)."""
    try:
        server = Redis.from_url(url)
        server.ping()
    except (RedisError, ValueError) as exc:
        raise CrawlSettingsError(
            f"crawler.frontier_url {mask_url(url)}: Redis does not answer ({exc})"
        ) from None
    return server


def redis_from_environment() -> Redis:
    """The Redis of a crawl process (the runner passes its URL in the environment), answering."""
    url = os.environ.get(FRONTIER_URL_ENV, "")
    if not url:
        raise CrawlSettingsError(f"{FRONTIER_URL_ENV} is not set: a shared frontier needs a Redis URL")
    return connect(url)
