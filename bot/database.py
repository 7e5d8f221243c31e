"""The bot's database work, run in a worker thread, one transaction per call.

The bot's event loop also polls Telegram and sends alerts. With SQLite, a write waits up to the
30 s busy timeout while a crawl holds the write lock for a batch; done on the loop, that wait froze
every chat. Every handler and the notifier therefore hand their database work to ``in_session``
and answer Telegram after it returned: never inside an open transaction, never blocking the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from data.db import session_scope

T = TypeVar("T")


async def in_session(engine: Engine, work: Callable[[Session], T]) -> T:
    """``work(session)`` in a worker thread, committed when it returns (rolled back if it raises)."""
    return await asyncio.to_thread(_in_session, engine, work)


def _in_session(engine: Engine, work: Callable[[Session], T]) -> T:
    with session_scope(engine) as session:
        return work(session)
