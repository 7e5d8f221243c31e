"""Telegram's flood limits, enforced before a request leaves (PTB's ``AIORateLimiter`` lacks one).

Telegram asks bots to stay under ~30 messages/s overall, 20 messages/min per group and ~1
message/s per private chat. PTB's reference limiter only knows the first two, so a burst of
alerts to one person would draw 429s. This limiter keeps exact sliding windows per level (see
``SlidingWindow`` for why they count from the answer), so "never more than N in any window"
holds at Telegram's end, not just on average; the tests and the benchmark verify it by counting
what the fake server received.

``RetryAfter`` from Telegram pauses *every* request for the time it asks (a flood wait is per
bot), then the error goes to the caller (the notifier decides whether to retry the row).

A caller may pass an "on the wire" hook as PTB's ``rate_limit_args``: it is called once the
request has its slot, right before it leaves. The notifier marks its outbox rows as maybe-sent
there, not before the wait (which may last a flood wait): a process killed while waiting has
sent nothing, and its rows are sent after a restart instead of being parked as maybe-sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections import deque
from collections.abc import Callable
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]
IN_FLIGHT_POLL = 0.01


@dataclass(frozen=True)
class RateLimits:
    """Messages allowed per window (seconds) at each level; tests pass short windows."""

    overall: tuple[int, float] = (30, 1.0)
    group: tuple[int, float] = (20, 60.0)
    private: tuple[int, float] = (1, 1.0)


class SlidingWindow:
    """At most ``limit`` messages in any ``window`` seconds, counted where Telegram counts them.

    A slot is taken when a request leaves and stamped when its answer is back. Telegram saw the
    request somewhere in between, so measuring the window from the answer (and counting requests
    still in flight as occupying their slot) guarantees the limit at the server, however late the
    event loop actually got the request out.
    """

    def __init__(self, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError(f"rate limit needs limit >= 1 and window > 0, got {limit}/{window}s")
        self.limit = limit
        self.window = window
        self.in_flight = 0
        self._done: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        """Seconds until one more request fits (0 when it fits now)."""
        while self._done and self._done[0] + self.window <= now:
            self._done.popleft()
        if len(self._done) + self.in_flight < self.limit:
            return 0.0
        if not self._done:  # every slot is in flight: look again shortly
            return min(self.window, IN_FLIGHT_POLL)
        return self._done[0] + self.window - now

    def take(self) -> None:
        self.in_flight += 1

    def finish(self, now: float) -> None:
        self.in_flight -= 1
        self._done.append(now)


def chat_kind(chat_id: int | str | None) -> str | None:
    """'group' for negative ids and @usernames (channels, supergroups), 'private' for positive ids."""
    if chat_id is None:
        return None
    with contextlib.suppress(TypeError, ValueError):
        return "group" if int(chat_id) < 0 else "private"
    return "group"


OnWire = Callable[[], None]
"""Called right before a request leaves; raising stops it (the caller no longer holds its rows)."""


class ChatRateLimiter(BaseRateLimiter[OnWire]):
    """Paces every request that addresses a chat: overall, per group and per private chat."""

    def __init__(
        self, limits: RateLimits | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or RateLimits()
        self._clock = clock
        self._overall = SlidingWindow(*self.limits.overall)
        self._per_chat: dict[str, SlidingWindow] = {}
        self._lock = asyncio.Lock()
        self._resume_at = 0.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def _window_for(self, chat_id: int | str) -> SlidingWindow:
        key = str(chat_id)
        window = self._per_chat.get(key)
        if window is None:
            limit, seconds = self.limits.group if chat_kind(chat_id) == "group" else self.limits.private
            window = self._per_chat[key] = SlidingWindow(limit, seconds)
        return window

    async def acquire(self, chat_id: int | str) -> SlidingWindow:
        """Wait until a message to ``chat_id`` fits every window, then hold its slot (see ``release``)."""
        chat_window = self._window_for(chat_id)
        while True:
            async with self._lock:
                now = self._clock()
                wait = max(self._resume_at - now, self._overall.wait_time(now), chat_window.wait_time(now))
                if wait <= 0:
                    self._overall.take()
                    chat_window.take()
                    return chat_window
            await asyncio.sleep(wait)

    def release(self, chat_window: SlidingWindow) -> None:
        """The answer is back: the slot counts from now for the rest of its window."""
        now = self._clock()
        self._overall.finish(now)
        chat_window.finish(now)

    def pause(self, seconds: float) -> None:
        """Hold every request for ``seconds`` (Telegram's flood wait applies to the whole bot)."""
        self._resume_at = max(self._resume_at, self._clock() + seconds)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: OnWire | None,
    ) -> JSONResult:
        chat_id = data.get("chat_id")
        window = await self.acquire(chat_id) if chat_id is not None else None
        try:
            if rate_limit_args is not None:
                await asyncio.to_thread(rate_limit_args)  # it writes to the database: off the loop
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            seconds = retry_after_seconds(exc)
            log.warning("Telegram flood wait on %s: pausing all requests for %.1f s", endpoint, seconds)
            self.pause(seconds)
            raise
        finally:
            if window is not None:
                self.release(window)


def retry_after_seconds(exc: RetryAfter) -> float:
    """``RetryAfter.retry_after`` in seconds. The public attribute is an int in PTB 22 (with a
    deprecation warning that it will become a timedelta, as it is already under PTB_TIMEDELTA):
    both shapes are read, so the warning says nothing to us and is silenced here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
