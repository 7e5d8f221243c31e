"""Scrapy settings of the Tenderwatch crawler. Every value that differs from Scrapy's default says why.

``crawler.runner`` (``tenderwatch crawl``) overrides the ``TENDERWATCH_*`` values and the politeness
settings from ``settings.toml`` with ``-s KEY=VALUE``; run by hand (``scrapy crawl eis``), the
values below and the environment apply. The crawler never imports ``tenderwatch``: the database URL
comes from ``TENDERWATCH_DATABASE__URL``, the same variable the application reads.
"""

from __future__ import annotations

import os

from crawler import certs  # lowercase: Scrapy reads only UPPERCASE names as settings

BOT_NAME = "tenderwatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- Tenderwatch ---------------------------------------------------------------------------------
TENDERWATCH_DATABASE_URL = os.environ.get("TENDERWATCH_DATABASE__URL", "sqlite:///var/tenderwatch.db")
TENDERWATCH_BASE_URL = os.environ.get("TENDERWATCH_CRAWLER__BASE_URL", "https://zakupki.gov.ru")
TENDERWATCH_SEARCH = os.environ.get("TENDERWATCH_CRAWLER__SEARCH", "{}")  # JSON table of [crawler.search]
TENDERWATCH_MAX_PAGES = 50
TENDERWATCH_OVERLAP_MINUTES = 60
TENDERWATCH_BATCH_SIZE = 100  # notices per transaction: small enough that a killed crawl loses little
# ... and no batch waits longer than this (seconds): at the real site's pace 100 cards take minutes.
TENDERWATCH_BATCH_SECONDS = 5.0
TENDERWATCH_ERROR_RATE_PARTIAL = 0.05
TENDERWATCH_ERROR_RATE_FAILED = 0.5
TENDERWATCH_BAD_PAGE_RETRY_TIMES = 2  # maintenance/captcha/truncated pages are fetched again this often
TENDERWATCH_429_RETRY_TIMES = 3
TENDERWATCH_429_DEFAULT_WAIT = 30.0  # seconds, when a 429 has no usable Retry-After
TENDERWATCH_429_MAX_WAIT = 300.0  # never hold a request longer than this, whatever the server says
TENDERWATCH_PROGRESS_INTERVAL = 1.0
TENDERWATCH_CA_BUNDLE = os.environ.get("TENDERWATCH_CRAWLER__CA_BUNDLE", "")

# --- Politeness: the EIS is a public service, not ours to load ----------------------------------
# Tell the operators who we are and how to reach us (the default names Scrapy only).
USER_AGENT = os.environ.get(
    "TENDERWATCH_CRAWLER__USER_AGENT",
    "Tenderwatch/0.1 (+procurement monitoring; contact: ops@example.invalid)",
)
# One request at a time to the EIS (default 16/8 would look like an attack; public scrapers of
# zakupki.gov.ru that keep working ask one page at a time, seconds apart).
CONCURRENT_REQUESTS = 1
CONCURRENT_REQUESTS_PER_DOMAIN = 1
# 3.5 s between requests (default 0); Scrapy's RANDOMIZE_DOWNLOAD_DELAY (on) draws each wait from
# 0.5-1.5 times this: 1.75-5.25 s, the 2-5 s with jitter that working scrapers use.
DOWNLOAD_DELAY = 3.5
# A crawl asks for at most this many pages and cards (retries not counted); what is left is
# listed by the next crawl, since the mark stays (TENDERWATCH_MAX_REQUESTS, crawler.max_requests).
TENDERWATCH_MAX_REQUESTS = 3000
# The most records the site lists of one query (crawler.eis_site.RESULT_CAP); tests lower it
# together with the replay's to meet the cap with a small snapshot.
TENDERWATCH_RESULT_CAP = 1000
# Back off when the site slows down (default off); start at the delay above, never above a minute.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# The search pages, RSS and print forms are public data pages meant to be read; robots.txt (default
# obeyed in new projects) would add a request to every crawl, also to "nothing new" re-crawls.
ROBOTSTXT_OBEY = False
# The EIS needs no session; cookies would only make requests differ between runs (default on).
COOKIES_ENABLED = False

# --- Faults ----------------------------------------------------------------------------------------
# Scrapy's retry handles 5xx, timeouts and connection errors, three times (default 2). 429 is left
# out (default includes it): RetryAfterMiddleware retries it after the server's Retry-After.
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
# A notice card answers in well under a second; 3 minutes (default) would stall a crawl on one URL.
DOWNLOAD_TIMEOUT = 30
# The parsers refuse documents above 32 MB; do not download more than that (default 1 GB).
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024

# Verify the site's certificate (default: accept any, so a man in the middle could feed us fake
# notices), against the system roots plus TENDERWATCH_CA_BUNDLE for the Russian root CA.
DOWNLOAD_VERIFY_CERTIFICATES = True
# Scrapy 2.19 deprecates this setting but has no other hook for an extra trust root: it is set
# only when a bundle is configured (the runner passes both), so the default crawl stays warning-free.
if TENDERWATCH_CA_BUNDLE:
    DOWNLOADER_CLIENTCONTEXTFACTORY = certs.CONTEXT_FACTORY

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.ProxyMiddleware": 110,
    "crawler.middlewares.DelayedRequestMiddleware": 540,
    # Only with a shared frontier (TENDERWATCH_CRAWLER__FRONTIER_URL and TENDERWATCH_FRONTIER_DELAY,
    # set by the runner): each request waits for its turn at the site, whichever worker sends it.
    "crawler.frontier.politeness.SiteGateMiddleware": 545,
    "crawler.middlewares.RetryAfterMiddleware": 560,
    "crawler.middlewares.ErrorPageMiddleware": 570,
}
ITEM_PIPELINES = {"crawler.pipelines.StorePipeline": 300}
EXTENSIONS = {"crawler.extensions.CrawlRunRecorder": 500}

# --- Operations --------------------------------------------------------------------------------------
# Both consoles execute code sent to them; a crawl subprocess needs neither (both default on).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
# One crawl is one process: cap its memory so a runaway page cannot take the host down (default off).
MEMUSAGE_ENABLED = True
MEMUSAGE_LIMIT_MB = 1024
# INFO shows the progress lines the runner reads; DEBUG (default) logs every request.
LOG_LEVEL = os.environ.get("TENDERWATCH_CRAWL_LOG_LEVEL", "INFO")
