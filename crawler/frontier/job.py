"""One shared crawl (a *job*) on Redis: its keys, the workers' heartbeats, who lists, when it is done.

A job is named by the source and its search (``job_name``): workers started for the same search
on any machine meet in it; a different search is a different job. Every key lives below
``tenderwatch:frontier:<job>:`` and expires ``JOB_TTL_SECONDS`` after the last heartbeat, so a job
every worker of which died does not stay in Redis for ever (its next crawl re-lists from the mark).
"""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

from redis import Redis

from crawler.frontier import DEFAULT_NAMESPACE

HEARTBEAT_SECONDS = 2.0
"""How often a worker says it is alive, returns dead workers' leases and checks the listing."""
WORKER_TTL_SECONDS = 10.0
"""A worker not heard from for this long is dead: its leases go back to the queue, and if it was
the lister, another worker takes the listing over (``TENDERWATCH_FRONTIER_WORKER_TTL``: shorter
returns a dead worker's work sooner, but a worker stalled that long by its machine is then taken
for dead and what it was fetching is fetched twice)."""
WORKER_TTL_SETTING = "TENDERWATCH_FRONTIER_WORKER_TTL"
JOB_TTL_SECONDS = 2 * 24 * 3600


def job_name(source: str, search_key: str) -> str:
    """The job of a source's search: workers with the same ``[crawler.search]`` share it."""
    digest = hashlib.sha1(search_key.encode("utf-8")).hexdigest()[:12]
    return f"{source}:{digest}"


def new_worker_id() -> str:
    """Unique across machines and restarts; no ``|`` (the lease records use it as a separator)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}".replace("|", "-")


class _Key:
    """A key of the job: the job's prefix and the attribute's name (or ``suffix``)."""

    def __init__(self, suffix: str | None = None) -> None:
        self.suffix = suffix

    def __set_name__(self, owner: type, name: str) -> None:
        self.suffix = self.suffix or name

    def __get__(self, keys: JobKeys, owner: type | None = None) -> str:
        return keys.prefix + (self.suffix or "")


@dataclass(frozen=True)
class JobKeys:
    prefix: str

    @classmethod
    def of(cls, job: str, namespace: str = DEFAULT_NAMESPACE) -> JobKeys:
        return cls(f"{namespace}:frontier:{job}:")

    queue = _Key()
    """Sorted set of waiting requests (score: minus the priority)."""
    leases = _Key()
    """Hash lease id -> the taken request, as it was queued."""
    owners = _Key()
    """Hash lease id -> ``worker|score``: who holds it, and where it goes back in the queue."""
    sequence = _Key()
    seen = _Key()
    """scrapy-redis's duplicate filter: fingerprints of every request queued in this job."""
    run = _Key()
    """The id of the job's current run: workers that joined a run that has ended leave."""
    lister = _Key()
    listed = _Key()
    oldest_failed = _Key()
    workers = _Key("workers:")
    """Prefix of the workers' heartbeat keys (``workers:<id>``, expiring)."""

    def lasting(self) -> list[str]:
        """The keys that live as long as the job (not the lister's claim, which expires with it)."""
        fixed = [self.queue, self.leases, self.owners, self.sequence, self.seen]
        return [*fixed, self.run, self.listed, self.oldest_failed]


_BEAT = """
-- KEYS[1]: this worker's heartbeat; KEYS[2..]: the job's lasting keys. ARGV: worker TTL in ms, job TTL in s.
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
for i = 2, #KEYS do redis.call('EXPIRE', KEYS[i], ARGV[2]) end
return 1
"""
_STATE = """
-- KEYS: listed, queue, leases, lister. Returns {listed, waiting, leased, lister held}.
return {redis.call('EXISTS', KEYS[1]), redis.call('ZCARD', KEYS[2]), redis.call('HLEN', KEYS[3]),
        redis.call('EXISTS', KEYS[4])}
"""
_KEEP_IF_MINE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_DROP_IF_MINE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
_KEEP_OLDEST = """
local held = redis.call('GET', KEYS[1])
if (not held) or tonumber(ARGV[1]) < tonumber(held) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1
"""


class Job:
    """This worker's view of a job: its heartbeat, its claim on the listing, the job's end."""

    def __init__(
        self, server: Redis, keys: JobKeys, worker: str, ttl_seconds: float = WORKER_TTL_SECONDS
    ) -> None:
        self.server = server
        self.ttl_ms = int(ttl_seconds * 1000)
        self.keys = keys
        self.worker = worker
        self.lists = False
        self._keep_if_mine = server.register_script(_KEEP_IF_MINE)
        self._keep_oldest = server.register_script(_KEEP_OLDEST)
        self._drop_if_mine = server.register_script(_DROP_IF_MINE)
        self._beat = server.register_script(_BEAT)
        self._state = server.register_script(_STATE)
        self.run = self._join()

    def _join(self) -> str:
        """The job's run: the one under way, or a new one this worker starts. A run whose work is
        all done but that no lister closed (it died after its listing, or every worker stopped at
        a block page) is closed here, without moving the mark: the new run lists from the mark."""
        self.server.set(self.keys.run, uuid.uuid4().hex, nx=True, ex=JOB_TTL_SECONDS)
        if self._over_without_lister():
            self.remove()
            self.server.set(self.keys.run, uuid.uuid4().hex, nx=True, ex=JOB_TTL_SECONDS)
        held: Any = self.server.get(self.keys.run)
        return held.decode() if isinstance(held, bytes) else str(held)

    def _work_left(self) -> tuple[bool, bool]:
        """(all done: listed, nothing waiting, nothing leased; a lister holds the listing)."""
        keys = [self.keys.listed, self.keys.queue, self.keys.leases, self.keys.lister]
        listed, waiting, leased, lister = self._state(keys=keys)
        return bool(listed) and waiting == 0 and leased == 0, bool(lister)

    def _over_without_lister(self) -> bool:
        done, lister = self._work_left()
        return done and not lister

    def close_if_orphaned(self) -> bool:
        """Remove the job when its work is done and no lister is left to (see ``_join``)."""
        if self.ended() or not self._over_without_lister():
            return False
        self.remove()
        return True

    def ended(self) -> bool:
        """The run this worker joined is over (its lister removed it, or a new one began)."""
        held: Any = self.server.get(self.keys.run)
        return held is None or held.decode() != self.run

    def beat(self) -> bool:
        """Alive for ``WORKER_TTL_SECONDS`` more; the listing stays this worker's if it lists.
        False when it listed and lost the listing: it was silent so long that it was taken for
        dead, and another worker may list now (this one must then neither move the mark nor
        remove the job)."""
        keys = [self.keys.workers + self.worker, *self.keys.lasting()]
        self._beat(keys=keys, args=[self.ttl_ms, JOB_TTL_SECONDS])
        if self.lists and not self._keep_if_mine(keys=[self.keys.lister], args=[self.worker, self.ttl_ms]):
            self.lists = False
            return False
        return True

    def claim_listing(self) -> bool:
        """Become the lister if the listing is neither done nor held by a live worker."""
        if self.server.exists(self.keys.listed) or self.ended():
            return False
        claimed = self.server.set(self.keys.lister, self.worker, nx=True, px=self.ttl_ms)
        self.lists = bool(claimed)
        return self.lists

    def listing_done(self) -> None:
        self.server.set(self.keys.listed, self.worker, ex=JOB_TTL_SECONDS)

    def is_done(self) -> bool:
        """The listing is done, nothing waits and nothing is leased: every card is stored (or the
        run this worker joined was ended by its lister)."""
        return self.ended() or self._work_left()[0]

    def note_failed(self, updated_at: datetime) -> None:
        """A card that failed for good: the mark must stay below it, whoever lists (see
        ``ListingSpider.crawl_mark``)."""
        self._keep_oldest(keys=[self.keys.oldest_failed], args=[repr(updated_at.timestamp())])

    def oldest_failed(self) -> datetime | None:
        held: Any = self.server.get(self.keys.oldest_failed)
        return datetime.fromtimestamp(float(held), UTC) if held is not None else None

    def leave(self) -> None:
        self.server.delete(self.keys.workers + self.worker)
        if self.lists:
            self._drop_if_mine(keys=[self.keys.lister], args=[self.worker])

    def remove(self) -> None:
        """The job is over: its keys go (the next crawl of the search is a new job)."""
        self.server.delete(*self.keys.lasting(), self.keys.lister)
