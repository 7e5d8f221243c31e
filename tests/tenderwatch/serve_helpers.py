"""Shared by the service tests: test profiles, the ground truth of what must be alerted, waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from bidder.matcher import compile_profiles
from bidder.profiles import parse_profiles
from data.notice import Notice

PROFILES = [
    {"name": "it", "regions": "any", "okpd2": ["26.20", "62.01"]},
    {"name": "medical", "regions": "any", "okpd2": ["32.50"], "laws": ["44-FZ"]},
]


def alertable(notices: Iterable[Notice], profiles: list[dict] = PROFILES) -> set[str]:
    """Registry numbers that must be alerted: matching a profile, not cancelled, still open.

    The matcher runs on the snapshot's ground truth (what a perfect parser reads), independent of
    what the crawl stored.
    """
    matcher = compile_profiles(parse_profiles(profiles))
    now = datetime.now(UTC)
    return {
        n.reg_number
        for n in notices
        if matcher.match(n, now=now)
        and "отмен" not in (n.status or "").lower()
        and (n.submission_deadline is None or n.submission_deadline > now)
    }


async def until(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll ``predicate`` without blocking the loop; the timeout is a generous upper bound only."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"gave up after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.1)
