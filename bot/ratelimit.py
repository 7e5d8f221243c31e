"""Telegram's flood limits, enforced before a request leaves (PTB's ``AIORateLimiter`` lacks one).

Telegram asks bots to stay under ~30 messages/s overall, 20 messages/min per group and ~1
message/s per private chat. PTB's reference limiter only knows the first two, so a burst of
alerts to one person would draw 429s. This limiter keeps exact sliding windows (timestamps of
the last sends) per level, so "never more than N in any window" holds, not just on average; that
is what the tests and the benchmark verify by counting what the fake server received.

``RetryAfter`` from Telegram pauses *every* request for the time it asks (a flood wait is per
bot), then the error goes to the caller (the notifier decides whether to retry the row).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


@dataclass(frozen=True)
class RateLimits:
    """Messages allowed per window (seconds) at each level; tests pass short windows."""

    overall: tuple[int, float] = (30, 1.0)
    group: tuple[int, float] = (20, 60.0)
    private: tuple[int, float] = (1, 1.0)


class SlidingWindow:
    """At most ``limit`` events in any ``window`` seconds (exact: it remembers the last ``limit``)."""

    def __init__(self, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError(f"rate limit needs limit >= 1 and window > 0, got {limit}/{window}s")
        self.limit = limit
        self.window = window
        self._events: deque[float] = deque(maxlen=limit)

    def wait_time(self, now: float) -> float:
        """Seconds until one more event fits (0 when it fits now)."""
        if len(self._events) < self.limit:
            return 0.0
        return max(0.0, self._events[0] + self.window - now)

    def record(self, now: float) -> None:
        self._events.append(now)


def chat_kind(chat_id: int | str | None) -> str | None:
    """'group' for negative ids and @usernames (channels, supergroups), 'private' for positive ids."""
    if chat_id is None:
        return None
    with contextlib.suppress(TypeError, ValueError):
        return "group" if int(chat_id) < 0 else "private"
    return "group"


class ChatRateLimiter(BaseRateLimiter[int]):
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

    async def acquire(self, chat_id: int | str) -> None:
        """Wait until a message to ``chat_id`` fits every window, then count it."""
        chat_window = self._window_for(chat_id)
        while True:
            async with self._lock:
                now = self._clock()
                wait = max(self._resume_at - now, self._overall.wait_time(now), chat_window.wait_time(now))
                if wait <= 0:
                    self._overall.record(now)
                    chat_window.record(now)
                    return
            await asyncio.sleep(wait)

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
        rate_limit_args: int | None,
    ) -> JSONResult:
        chat_id = data.get("chat_id")
        if chat_id is not None:
            await self.acquire(chat_id)
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            seconds = retry_after_seconds(exc)
            log.warning("Telegram flood wait on %s: pausing all requests for %.1f s", endpoint, seconds)
            self.pause(seconds)
            raise


def retry_after_seconds(exc: RetryAfter) -> float:
    """``RetryAfter.retry_after`` in seconds, whether PTB hands out an int or a timedelta."""
    value = exc._retry_after if hasattr(exc, "_retry_after") else exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
