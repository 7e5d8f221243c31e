"""The shared queue of requests, on scrapy-redis's queue base, where a taken request is *leased*.

scrapy-redis's own queues pop: a worker killed between the pop and storing what it fetched loses
those requests for good. Here a pop moves the request, in one Lua script, from the waiting set to
the lease hashes with its worker's id; ``ack`` drops the lease once what the request produced is
stored, ``push`` of the same request again (a retry) replaces its lease in the same step, and
``requeue_dead`` puts back the leases of workers whose heartbeat stopped (``job.Job.beat``).
"""

from __future__ import annotations

import scrapy
from redis import Redis
from scrapy_redis.queue import Base

from crawler.frontier import codec
from crawler.frontier.job import JobKeys

_PUSH = """
local sequence = redis.call('INCR', KEYS[4])
redis.call('ZADD', KEYS[1], ARGV[1], string.format('%012d:', sequence) .. ARGV[2])
if ARGV[3] ~= '' then
  redis.call('HDEL', KEYS[2], ARGV[3])
  redis.call('HDEL', KEYS[3], ARGV[3])
end
return sequence
"""
_POP = """
local item = redis.call('ZPOPMIN', KEYS[1])
if #item == 0 then return false end
redis.call('HSET', KEYS[2], ARGV[1], item[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2] .. '|' .. item[2])
return item[1]
"""
_ACK = """
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('HDEL', KEYS[3], ARGV[1])
"""
_REQUEUE = """
-- ARGV[1]: prefix of the heartbeat keys; ARGV[2]: a worker whose leases all go back, or '' for
-- the leases of every worker without a heartbeat; ARGV[3]: one lease only, or ''.
local owners = redis.call('HGETALL', KEYS[3])
local moved = 0
for i = 1, #owners, 2 do
  local lease, held = owners[i], owners[i + 1]
  local bar = string.find(held, '|', 1, true)
  local worker, score = string.sub(held, 1, bar - 1), string.sub(held, bar + 1)
  local back
  if ARGV[3] ~= '' then
    back = (lease == ARGV[3])
  elseif ARGV[2] ~= '' then
    back = (worker == ARGV[2])
  else
    back = (redis.call('EXISTS', ARGV[1] .. worker) == 0)
  end
  if back then
    local request = redis.call('HGET', KEYS[2], lease)
    if request then redis.call('ZADD', KEYS[1], score, request) end
    redis.call('HDEL', KEYS[2], lease)
    redis.call('HDEL', KEYS[3], lease)
    moved = moved + 1
  end
end
return moved
"""


class LeasedQueue(Base):
    """Requests by priority (highest first, then first in first out), leased while in work."""

    def __init__(self, server: Redis, spider: scrapy.Spider, keys: JobKeys, worker: str) -> None:
        super().__init__(server, spider, keys.queue, serializer=codec)
        self.keys = keys
        self.worker = worker
        self._leases = 0
        self._push = server.register_script(_PUSH)
        self._pop = server.register_script(_POP)
        self._ack = server.register_script(_ACK)
        self._requeue = server.register_script(_REQUEUE)

    def _keys(self) -> list[str]:
        return [self.keys.queue, self.keys.leases, self.keys.owners, self.keys.sequence]

    def __len__(self) -> int:
        return int(self.server.zcard(self.keys.queue))

    def push(self, request: scrapy.Request, replaces: str | None = None) -> None:
        """Queue ``request``; ``replaces``: the lease of the request it is a retry of, dropped at once."""
        data = self._encode_request(request)
        self._push(keys=self._keys(), args=[-request.priority, data, replaces or ""])

    def take(self) -> tuple[str, scrapy.Request] | None:
        """The next request and its lease, or None when nothing waits."""
        self._leases += 1
        lease = f"{self.worker}:{self._leases}"
        entry = self._pop(keys=self._keys(), args=[lease, self.worker])
        if entry is None:
            return None
        data = entry.split(b":", 1)[1] if isinstance(entry, bytes) else entry.split(":", 1)[1]
        request: scrapy.Request = self._decode_request(data)
        return lease, request

    def ack(self, lease: str) -> None:
        self._ack(keys=self._keys(), args=[lease])

    def requeue(self, lease: str) -> int:
        """One lease back to the queue now (its request failed in a way another try may mend)."""
        return int(self._requeue(keys=self._keys(), args=[self.keys.workers, "", lease]))

    def requeue_mine(self) -> int:
        """Every lease of this worker back to the queue (it stops before finishing them)."""
        return int(self._requeue(keys=self._keys(), args=[self.keys.workers, self.worker, ""]))

    def requeue_dead(self) -> int:
        """The leases of workers whose heartbeat stopped back to the queue."""
        return int(self._requeue(keys=self._keys(), args=[self.keys.workers, "", ""]))
