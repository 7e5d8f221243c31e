"""The matches report: matches found in a period, with the notice essentials and why each matched."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from bidder.reports.common import (
    STATUSES,
    Period,
    ReportError,
    _now,
    _takers,
    in_region,
    notice_columns,
    region_code,
    region_columns,
    status_of,
)
from data.formatting import reason_text
from data.models import (
    DecisionRow,
    MatchRow,
    NoticeRow,
)
from data.store import reports as reads


@dataclass(frozen=True)
class MatchReportRow:
    matched_at: datetime
    profile: str
    status: str
    taken_by: str
    reg_number: str
    law: str
    title: str
    customer: str
    region: str
    region_name: str
    nmck: Decimal | None
    deadline: datetime | None
    url: str
    reasons: str


def check_profile(session: Session, profile: str) -> None:
    names = reads.profile_names(session)
    if profile not in names:
        listed = ", ".join(names) or "none stored"
        raise ReportError(f"--profile {profile!r} is not a stored profile (known: {listed})")


def matches_report(
    session: Session,
    *,
    period: Period | None = None,
    profile: str | None = None,
    region: str | None = None,
    status: str | None = None,
    now: datetime | None = None,
) -> list[MatchReportRow]:
    """Matches found in ``period`` (by when the matcher found them), newest first, with reasons.

    ``region`` is a code or name (customer or delivery region); ``status`` is new, taken or skipped.
    """
    _now(now)
    period = period or Period()
    if status is not None and status not in STATUSES:
        raise ReportError(f"--status {status!r} is not one of {', '.join(STATUSES)}")
    code = region_code(region) if region is not None else None
    if profile is not None:
        check_profile(session, profile)
    matches = reads.matches_found(session, start=period.start, end=period.end, profile=profile)
    found = [(m, n, p) for m, n, p in matches if code is None or in_region(n, code)]
    decisions = reads.decisions_of(session, (n.id for _, n, _ in found if n.id is not None))
    rows = []
    for match, notice, profile_name in found:
        decided = decisions.get(notice.id or 0, [])
        row_status = status_of(decided)
        if status is not None and row_status != status:
            continue
        rows.append(_match_row(match, notice, profile_name, row_status, decided))
    return rows


def _match_row(
    match: MatchRow, notice: NoticeRow, profile: str, status: str, decided: Sequence[DecisionRow]
) -> MatchReportRow:
    return MatchReportRow(
        matched_at=match.created_at,
        profile=profile,
        status=status,
        taken_by=_takers(decided),
        **notice_columns(notice),
        **region_columns(notice),
        deadline=notice.submission_deadline,
        reasons="; ".join(reason_text(r) for r in match.reasons or []),
    )
