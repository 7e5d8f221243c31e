"""The near-miss report: notices a profile nearly matched by meaning (``bidder.near_miss``), apart
from the matches, so a bid manager sees what the words missed and can widen the profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from bidder.near_miss import NearMiss
from bidder.reports.common import ALL_TIME
from bidder.reports.common import Period
from bidder.reports.common import _now
from bidder.reports.common import notice_columns
from bidder.reports.common import region_columns
from bidder.reports.matches import check_profile
from data.store.reports import near_misses_found


@dataclass(frozen=True)
class NearMissReportRow:
    found_at: datetime
    profile: str
    similarity: float
    reason: str
    reg_number: str
    law: str
    title: str
    customer: str
    region: str
    region_name: str
    nmck: Decimal | None
    deadline: datetime | None
    url: str


def near_misses_report(
    session: Session, *, period: Period = ALL_TIME, profile: str | None = None, now: datetime | None = None
) -> list[NearMissReportRow]:
    """Near misses found in ``period``, newest first, closest first within a run; none of a profile
    that now matches the notice by its rules, none of an inactive profile."""
    _now(now)
    if profile is not None:
        check_profile(session, profile)
    return [
        NearMissReportRow(
            found_at=row.created_at,
            profile=name,
            similarity=row.similarity,
            reason=NearMiss(name, row.similarity, row.keyword, row.word).reason,
            **notice_columns(notice),
            **region_columns(notice),
            deadline=notice.submission_deadline,
        )
        for row, notice, name in near_misses_found(
            session, start=period.start, end=period.end, profile=profile
        )
    ]
