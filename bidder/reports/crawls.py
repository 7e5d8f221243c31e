"""The crawls report: crawl health per source, the last runs, their outcome, figures and error rate."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bidder.reports.common import ReportError
from data.models import CrawlRun
from data.store import reports as reads


@dataclass(frozen=True)
class CrawlRunRow:
    source: str
    run_id: int
    started_at: datetime
    finished_at: datetime | None
    duration_seconds: int | None
    outcome: str
    requests: int
    pages: int
    notices_new: int
    notices_changed: int
    errors: int
    error_rate: float | None
    """Errors per request the crawl asked for, retries not counted: the rate of the crawl's own line
    (may exceed 1: one request can fail several ways); None without requests."""
    reason: str


def crawls_report(
    session: Session, *, last: int = 10, source: str | None = None, known_sources: Collection[str] = ()
) -> list[CrawlRunRow]:
    """The last ``last`` runs of every source (or of ``source``), by source, newest run first.

    ``source`` must be one of ``known_sources`` (the crawler's, passed in by the caller: bidder
    does not import crawler) or have stored runs, so a typo is an error, not an empty report.
    """
    if last <= 0:
        raise ReportError(f"--last must be a positive number of runs, got {last}")
    if source is not None:
        _check_source(session, source, known_sources)
    return [_crawl_row(run) for run in reads.latest_crawl_runs(session, last=last, source=source)]


def _check_source(session: Session, source: str, known_sources: Collection[str]) -> None:
    stored = reads.crawl_sources(session)
    known = sorted({*known_sources, *stored})
    if source not in known:
        raise ReportError(f"--source {source!r} is not a crawl source (known: {', '.join(known) or 'none'})")


def _crawl_row(run: CrawlRun) -> CrawlRunRow:
    duration = run.finished_at - run.started_at if run.finished_at else None
    return CrawlRunRow(
        source=run.source,
        run_id=run.id or 0,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_seconds=int(duration.total_seconds()) if duration is not None else None,
        outcome=run.outcome,
        requests=run.requests,
        pages=run.pages,
        notices_new=run.notices_new,
        notices_changed=run.notices_changed,
        error_rate=_error_rate(run),
        errors=run.errors,
        reason=run.reason or "",
    )


def _error_rate(run: CrawlRun) -> float | None:
    """The crawl's own rate; runs recorded before it was kept (revision 0005) over every request sent."""
    asked = run.logical_requests if run.logical_requests is not None else run.requests
    return run.errors / asked if asked else None
