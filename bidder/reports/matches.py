"""The matches report: matches found in a period, with the notice essentials and why each matched."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from bidder.reports.common import ALL_TIME
from bidder.reports.common import STATUSES
from bidder.reports.common import Period
from bidder.reports.common import ReportError
from bidder.reports.common import _now
from bidder.reports.common import _takers
from bidder.reports.common import delivery_column
from bidder.reports.common import notice_columns
from bidder.reports.common import region_columns
from bidder.reports.common import region_filter
from bidder.reports.common import status_of
from data.formatting import reason_text
from data.models import DecisionRow
from data.models import MatchRow
from data.models import NoticeRow
from data.store import reports as reads
from data.store.places import PlaceFound
from data.store.places import places_of


@dataclass(frozen=True)
class MatchReportRow:
    matched_at: datetime
    profile: str
    status: str
    taken_by: str
    reg_number: str
    law: str
    """``44-FZ`` or ``223-FZ``: with the number, what names a tender (the two registers number
    their purchases apart, so a number alone is not a key)."""
    title: str
    customer: str
    region: str
    region_name: str
    delivery: str
    """The card's delivery regions and the places read from the words (``delivery_column``)."""
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
    period: Period = ALL_TIME,
    profile: str | None = None,
    region: str | None = None,
    status: str | None = None,
    now: datetime | None = None,
) -> list[MatchReportRow]:
    """Matches found in ``period`` (by when the matcher found them), newest first, with reasons.

    ``region`` is a code or name (customer or delivery region, the places read from the words
    included: ``RegionFilter``); ``status`` is new, taken or skipped.
    """
    _now(now)
    if status is not None and status not in STATUSES:
        raise ReportError(f"--status {status!r} is not one of {', '.join(STATUSES)}")
    where = region_filter(session, region)
    if profile is not None:
        check_profile(session, profile)
    matches = reads.matches_found(session, start=period.start, end=period.end, profile=profile)
    found = [(m, n, p) for m, n, p in matches if where is None or where.holds(n)]
    ids = [n.id or 0 for _, n, _ in found]
    decisions = reads.decisions_of(session, ids)
    places = places_of(session.connection(), ids)
    rows = []
    for match, notice, profile_name in found:
        decided = decisions.get(notice.id or 0, [])
        row_status = status_of(decided)
        if status is not None and row_status != status:
            continue
        rows.append(_match_row(match, notice, profile_name, row_status, decided, places[notice.id or 0]))
    return rows


def _match_row(
    match: MatchRow,
    notice: NoticeRow,
    profile: str,
    status: str,
    decided: Sequence[DecisionRow],
    places: Sequence[PlaceFound],
) -> MatchReportRow:
    return MatchReportRow(
        matched_at=match.created_at,
        profile=profile,
        status=status,
        taken_by=_takers(decided),
        **notice_columns(notice),
        **region_columns(notice),
        delivery=delivery_column(notice, places),
        deadline=notice.submission_deadline,
        reasons="; ".join(reason_text(r) for r in match.reasons or []),
    )
