"""Crawl runs (opened, kept alive, closed, abandoned ones closed) and the crawler's high-water marks."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from data.db import upsert_into
from data.errors import StoreError
from data.models import CRAWL_OUTCOMES
from data.models import CRAWL_RUNS
from data.models import CRAWL_STATE
from data.models import CrawlRun
from data.models import utcnow
from data.process import is_gone
from data.process import this_process
from data.store.plan import UpsertResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunProgress:
    """The crawl run a batch belongs to, and the crawl's request and page counts so far."""

    run_id: int
    requests: int = 0
    pages: int = 0


ABANDONED_AFTER = timedelta(minutes=15)
"""A running crawl that gave no sign of life for this long is abandoned, wherever it ran (a live
crawl beats every few seconds; an owner on this host that is gone is noticed at once)."""


def start_crawl_run(
    session: Session,
    *,
    source: str,
    arguments: Mapping[str, Any] | None = None,
    started_at: datetime | None = None,
    owner: str | None = None,
) -> int:
    """Record that a crawl began (outcome 'running', visible at once) and return its id.

    ``owner`` is the process answerable for closing it (default: this one).
    """
    now = started_at or utcnow()
    run = CrawlRun(
        source=source,
        arguments=dict(arguments or {}),
        started_at=now,
        owner=owner or this_process(),
        heartbeat_at=now,
    )
    session.add(run)
    session.commit()
    assert run.id is not None
    return run.id


def crawl_run_alive(
    session: Session,
    *,
    run_id: int,
    owner: str | None = None,
    requests: int | None = None,
    pages: int | None = None,
) -> None:
    """A sign of life from the crawl: the heartbeat, the figures so far, and (once) its new owner.

    The crawl subprocess takes over a run its runner opened, so that the run is closed only when
    the process doing the work is gone, not the one that merely started it.
    """
    values = {"heartbeat_at": utcnow(), **_given(owner=owner, requests=requests, pages=pages)}
    session.execute(
        CRAWL_RUNS.update().where(CRAWL_RUNS.c.id == run_id, CRAWL_RUNS.c.outcome == "running").values(values)
    )
    session.commit()


def _count_into_run(conn: sa.Connection, run: RunProgress, result: UpsertResult) -> None:
    conn.execute(
        CRAWL_RUNS.update()
        .where(CRAWL_RUNS.c.id == run.run_id)
        .values(
            notices_new=CRAWL_RUNS.c.notices_new + result.new,
            notices_changed=CRAWL_RUNS.c.notices_changed + result.changed,
            notices_unchanged=CRAWL_RUNS.c.notices_unchanged + result.unchanged,
            requests=_at_least(CRAWL_RUNS.c.requests, run.requests),
            pages=_at_least(CRAWL_RUNS.c.pages, run.pages),
            heartbeat_at=utcnow(),
        )
    )


def _at_least(column: sa.Column[int], value: int) -> sa.ColumnElement[int]:
    """The larger of the column and ``value`` (portable: SQLite has no GREATEST)."""
    return sa.case((column < value, value), else_=column)


def finish_crawl_run(
    session: Session,
    *,
    run_id: int,
    outcome: str,
    requests: int | None = None,
    logical_requests: int | None = None,
    pages: int | None = None,
    result: UpsertResult | None = None,
    errors_by_kind: Mapping[str, int] | None = None,
    reason: str | None = None,
    finished_at: datetime | None = None,
    listing_complete: bool | None = None,
) -> CrawlRun:
    """Close a crawl run with its figures; ``errors`` is the sum of ``errors_by_kind``.

    Figures left out (None) keep what the row says: the notice counts of a crawl that stored
    with ``upsert_notices(run_id=...)`` are already exact there, whatever became of its process.
    """
    if outcome not in CRAWL_OUTCOMES or outcome == "running":
        raise StoreError(f"crawl run {run_id}: outcome must be ok, partial or failed, not {outcome!r}")
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise StoreError(f"crawl run {run_id} does not exist")
    values: dict[str, Any] = {
        "outcome": outcome,
        "reason": reason,
        "finished_at": finished_at or utcnow(),
        "listing_complete": listing_complete,
        **_given(requests=requests, logical_requests=logical_requests, pages=pages),
    }
    if result is not None:
        values.update(
            notices_new=result.new, notices_changed=result.changed, notices_unchanged=result.unchanged
        )
    if errors_by_kind is not None:
        kinds = {kind: int(n) for kind, n in errors_by_kind.items()}
        values.update(errors=sum(kinds.values()), errors_by_kind=kinds)
    run.sqlmodel_update(values)
    session.add(run)
    session.commit()
    return run


def _given(**figures: Any) -> dict[str, Any]:
    """The figures a caller gave: one left out (None) keeps what the row says."""
    return {name: value for name, value in figures.items() if value is not None}


def close_abandoned_runs(session: Session, *, now: datetime | None = None) -> list[CrawlRun]:
    """Close runs left 'running' by a process that is gone; returns the runs closed.

    Gone means: the owner is a process of this host that no longer runs (known at once), or the
    run gave no sign of life for ``ABANDONED_AFTER`` (an owner on another host, or none
    recorded). The counts stay what the row says, which is what the crawl stored.
    """
    now = now or utcnow()
    running = session.scalars(sa.select(CrawlRun).where(CRAWL_RUNS.c.outcome == "running")).all()
    closed = []
    for run in running:
        last_sign = run.heartbeat_at or run.started_at
        if is_gone(run.owner):
            why = f"abandoned: the crawl process ({run.owner}) is gone and never closed the run"
        elif now - last_sign >= ABANDONED_AFTER:
            why = f"abandoned: no sign of life since {last_sign.isoformat(timespec='seconds')}"
        else:
            continue
        run.sqlmodel_update(
            {"outcome": "failed", "reason": why, "finished_at": now, "listing_complete": False}
        )
        session.add(run)
        closed.append(run)
        log.warning("crawl run %d of %s closed: %s", run.id, run.source, why)
    session.commit()
    return closed


def last_finished_run(session: Session, *, source: str) -> CrawlRun | None:
    """The newest closed run of a source (the circuit breaker reads whether the site blocked it)."""
    return session.scalars(
        sa.select(CrawlRun)
        .where(CRAWL_RUNS.c.source == source, CRAWL_RUNS.c.outcome != "running")
        .order_by(CRAWL_RUNS.c.started_at.desc(), CRAWL_RUNS.c.id.desc())
        .limit(1)
    ).first()


def get_high_water(session: Session, *, source: str, search_key: str = "") -> datetime | None:
    """The newest ``updated_at`` the crawler has stored for this source and search (None: never)."""
    query = sa.select(CRAWL_STATE.c.high_water).where(
        CRAWL_STATE.c.source == source, CRAWL_STATE.c.search_key == search_key
    )
    return session.scalars(query).first()


def advance_high_water(session: Session, *, source: str, search_key: str = "", seen: datetime) -> datetime:
    """Move the mark forward to ``seen`` (never backwards, even with concurrent crawls) and return it."""
    conn = session.connection()
    table = CRAWL_STATE
    now = utcnow()
    conn.execute(
        upsert_into(conn, table)
        .values(source=source, search_key=search_key, high_water=seen, updated_at=now)
        .on_conflict_do_nothing(index_elements=["source", "search_key"])
    )
    conn.execute(
        table.update()
        .where(table.c.source == source, table.c.search_key == search_key)
        .where(sa.or_(table.c.high_water.is_(None), table.c.high_water < seen))
        .values(high_water=seen, updated_at=now)
    )
    session.commit()
    mark = get_high_water(session, source=source, search_key=search_key)
    assert mark is not None
    return mark
