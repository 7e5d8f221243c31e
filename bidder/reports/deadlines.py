"""The deadlines report: matched and taken tenders whose submission closes soon, soonest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from bidder.reports.common import DAY
from bidder.reports.common import ReportError
from bidder.reports.common import _now
from bidder.reports.common import _takers
from bidder.reports.common import notice_columns
from bidder.reports.common import status_of
from data.models import DecisionRow
from data.models import NoticeRow
from data.notice import time_left
from data.store import reports as reads


@dataclass(frozen=True)
class DeadlineRow:
    deadline: datetime
    days_left: int
    hours_left: int
    """Hours beyond the whole days: 2 days 5 hours is days_left=2, hours_left=5."""
    status: str
    profiles: str
    taken_by: str
    reg_number: str
    law: str
    title: str
    customer: str
    nmck: Decimal | None
    url: str


def deadlines_report(session: Session, *, days: int = 7, now: datetime | None = None) -> list[DeadlineRow]:
    """Matched or taken tenders whose submission closes within ``days`` from ``now``, soonest first.

    Tenders everyone skipped (and nobody took) are left out: they are decided. Matches count only
    for active profiles.
    """
    now = _now(now)
    if days <= 0:
        raise ReportError(f"--days must be a positive number of days, got {days}")
    notices = reads.notices_due(session, after=now, until=now + days * DAY)
    profiles = reads.matched_profiles(session, list(notices))
    decisions = reads.decisions_of(session, notices)
    rows = []
    for notice_id, notice in notices.items():
        decided = decisions.get(notice_id, [])
        status = status_of(decided)
        if status == "skipped" or (status == "new" and notice_id not in profiles):
            continue
        rows.append(_deadline_row(notice, status, profiles.get(notice_id, []), decided, now))
    return sorted(rows, key=lambda r: (r.deadline, r.reg_number))


def _deadline_row(
    notice: NoticeRow, status: str, profiles: list[str], decided: Sequence[DecisionRow], now: datetime
) -> DeadlineRow:
    assert notice.submission_deadline is not None
    days_left, hours_left = time_left(notice.submission_deadline, now)
    return DeadlineRow(
        deadline=notice.submission_deadline,
        days_left=days_left,
        hours_left=hours_left,
        status=status,
        profiles=", ".join(profiles),
        taken_by=_takers(decided),
        **notice_columns(notice),
    )
