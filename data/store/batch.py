"""One batch of writes in one transaction: retried when a concurrent writer got in the way.

Every batched writer (notices, results) has the same needs: commit the whole batch or nothing,
retry a deadlock, serialization failure or a unique-key race with another worker, report a
read-only or full database as such (it is not the batch's fault) and name the batch otherwise.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from data.db import database_error
from data.db import database_unavailable
from data.errors import BatchFailed
from data.store.plan import MAX_BATCH_ATTEMPTS
from data.store.plan import TRANSIENT_SQLSTATES

log = logging.getLogger(__name__)

T = TypeVar("T")


def run_batch(session: Session, what: str, apply: Callable[[sa.Connection], T]) -> T:
    """``apply`` on the session's connection, committed; ``what`` («batch of 12 notices (first …)»)
    names the batch in the retry warning and in :class:`BatchFailed`."""
    for attempt in range(1, MAX_BATCH_ATTEMPTS + 1):
        try:
            with cyclic_gc_paused():
                result = apply(session.connection())
                session.commit()
            return result
        except SQLAlchemyError as exc:
            session.rollback()
            if isinstance(exc, DBAPIError) and _is_transient(exc) and attempt < MAX_BATCH_ATTEMPTS:
                log.warning("%s hit a concurrent writer (%s); retrying", what, exc.orig)
                continue
            if database_unavailable(exc):  # read-only, full, no grants: not this batch's fault
                raise database_error(session.get_bind().engine, exc) from exc
            problem = getattr(exc, "orig", None) or exc
            raise BatchFailed(f"{what} was rolled back: {problem}") from exc
        except BaseException:
            session.rollback()
            raise
    raise AssertionError("unreachable: the last attempt returns or raises")


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for one batch, as it was afterwards.

    A batch allocates hundreds of thousands of short-lived objects (rows, mappings, notices), which
    reference counting frees at once; but each allocation burst also sets off the collector, whose
    older generations re-scan every long-lived object of the process (a crawl or a match run holds
    hundreds of thousands). Measured on ``benchmarks/bench_store.py --full`` (SQLite, 500 a batch,
    2026-12-04): changed notices 4,049-4,094/s with the collector on, 5,470-5,973/s with it paused;
    unchanged 10,030-10,629/s against 15,341-16,295/s. Cycles made during the batch
    (SQLAlchemy's) are collected at the first collection after it; a batch is bounded by
    ``database.batch_size``, so the memory it can hold meanwhile is too.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _is_transient(exc: DBAPIError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in TRANSIENT_SQLSTATES:
        return True
    return "database is locked" in str(exc.orig)
