"""Politeness per site across every worker: one turn at a site per ``crawler.download_delay``.

Scrapy's ``DOWNLOAD_DELAY`` spaces the requests of one process; two workers would each keep it
and together ask twice as often. With a shared frontier the local delay is off and every request
first reserves a turn at its site's gate: one Lua script on Redis keeps the time of the site's
next free turn, so the turns are spaced for all workers together, on any machine. The spacing
is drawn from 0.5-1.5 times the delay, as Scrapy's ``RANDOMIZE_DOWNLOAD_DELAY`` does, so the
requests do not come like a clock. Redis's clock is the one clock every worker shares.
"""

from __future__ import annotations

import logging
import os
import random
from urllib.parse import urlsplit

from redis import Redis
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.utils.asyncio import sleep

from crawler.frontier import DEFAULT_NAMESPACE
from crawler.frontier import FRONTIER_URL_ENV
from crawler.frontier import namespace_of
from crawler.frontier import redis_from_environment

log = logging.getLogger(__name__)

GATE_DELAY_SETTING = "TENDERWATCH_FRONTIER_DELAY"
"""Seconds between two requests to one site from all workers (the runner passes
``crawler.download_delay``; the local ``DOWNLOAD_DELAY`` is 0 with a shared frontier)."""

_RESERVE = """
-- KEYS[1]: the site's next free turn (seconds); ARGV[1]: spacing after this turn;
-- ARGV[2]: now in seconds, or '' for Redis's clock. Returns the wait before this turn, in seconds.
local now
if ARGV[2] ~= '' then
  now = tonumber(ARGV[2])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local turn = math.max(now, free)
local after = turn + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.6f', after), 'PX', math.ceil((after - now) * 1000) + 60000)
return string.format('%.6f', turn - now)
"""


class SiteGate:
    """Turns at one site for every worker that shares the Redis."""

    def __init__(
        self, server: Redis, delay: float, *, jitter: bool = True, namespace: str = DEFAULT_NAMESPACE
    ) -> None:
        self.server = server
        self.namespace = namespace
        self.delay = max(0.0, delay)
        self.jitter = jitter
        self._reserve = server.register_script(_RESERVE)

    def key(self, host: str) -> str:
        return f"{self.namespace}:politeness:{host}"

    def reserve(self, host: str, *, now: float | None = None) -> float:
        """Seconds to wait for this request's turn at ``host`` (0 when its turn is now)."""
        spacing = self.delay * (random.uniform(0.5, 1.5) if self.jitter else 1.0)
        args = [repr(spacing), "" if now is None else repr(now)]
        return float(self._reserve(keys=[self.key(host)], args=args))


class SiteGateMiddleware:
    """Holds each request until its site's turn (without blocking the reactor)."""

    def __init__(self, crawler: Crawler) -> None:
        delay = crawler.settings.getfloat(GATE_DELAY_SETTING, 0.0)
        shared = bool(os.environ.get(FRONTIER_URL_ENV)) and delay > 0
        namespace = namespace_of(crawler.settings)
        self.gate = SiteGate(redis_from_environment(), delay, namespace=namespace) if shared else None
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteGateMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        if self.gate is None:
            return
        wait = self.gate.reserve(urlsplit(request.url).netloc)
        if wait > 0:
            self.crawler.stats.inc_value("tenderwatch/frontier/gate_waits")
            await sleep(wait)
