"""The notices export: every stored notice of a period as one flat row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from bidder.reports.common import Period
from bidder.reports.common import delivery_column
from bidder.reports.common import notice_columns
from bidder.reports.common import region_columns
from bidder.reports.matches import MatchReportRow
from bidder.reports.matches import matches_report
from data.models import NoticeRow
from data.store import reports as reads
from data.store.places import PlaceFound
from data.store.places import places_of


@dataclass(frozen=True)
class NoticeExportRow:
    reg_number: str
    law: str
    kind: str
    method: str
    title: str
    status: str
    customer: str
    customer_inn: str
    region: str
    region_name: str
    delivery_regions: str
    """The card's delivery regions, then the places read from the words (``delivery_column``):
    where the goods go, which is not always the customer's region."""
    nmck: Decimal | None
    currency: str
    okpd2: str
    published_at: datetime | None
    deadline: datetime | None
    auction_date: date | None
    bid_security: Decimal | None
    contract_security: Decimal | None
    smp_only: bool
    url: str


def notices_export(session: Session, *, period: Period) -> list[NoticeExportRow]:
    """Notices published in ``period``, oldest first: the flat sheet Excel users filter themselves."""
    notices = reads.notices_published(session, start=period.start, end=period.end)
    places = places_of(session.connection(), (n.id or 0 for n in notices))
    return [_export_row(n, places[n.id or 0]) for n in notices]


def _export_row(n: NoticeRow, places: list[PlaceFound]) -> NoticeExportRow:
    return NoticeExportRow(
        **notice_columns(n),
        **region_columns(n),
        kind=n.kind,
        method=n.method or "",
        status=n.status or "",
        customer_inn=n.customer_inn or "",
        delivery_regions=delivery_column(n, places),
        okpd2=", ".join(n.okpd2 or []),
        published_at=n.published_at,
        deadline=n.submission_deadline,
        auction_date=n.auction_date,
        currency=n.currency or "",
        bid_security=n.bid_security,
        contract_security=n.contract_security,
        smp_only=n.smp_only,
    )


@dataclass(frozen=True)
class MatchExportRow:
    """One tender a profile matched, with every profile that matched it: a sheet a sales team
    filters and assigns without seeing a tender twice."""

    reg_number: str
    law: str
    method: str
    platform: str
    title: str
    customer: str
    customer_inn: str
    region: str
    region_name: str
    delivery_regions: str
    nmck: Decimal | None
    deadline: datetime | None
    bid_security: Decimal | None
    contract_security: Decimal | None
    smp_only: bool
    profiles: str
    status: str
    taken_by: str
    matched_at: datetime
    reasons: str
    url: str


def matches_export(session: Session, *, period: Period, now: datetime) -> list[MatchExportRow]:
    """The matches of ``period`` (``matches_report``), one row per tender, profiles joined."""
    by_tender: dict[tuple[str, str], list[MatchReportRow]] = {}
    for match in matches_report(session, period=period, now=now):
        by_tender.setdefault((match.law, match.reg_number), []).append(match)
    notices = {(n.law, n.reg_number): n for n in reads.notices_numbered(session, [k[1] for k in by_tender])}
    return [_match_export_row(notices[key], matches) for key, matches in by_tender.items() if key in notices]


def _match_export_row(n: NoticeRow, matches: list[MatchReportRow]) -> MatchExportRow:
    first = min(matches, key=lambda m: m.matched_at)
    return MatchExportRow(
        **notice_columns(n),
        **region_columns(n),
        delivery_regions=matches[0].delivery,
        method=n.method or "",
        platform=n.etp_name or "",
        customer_inn=n.customer_inn or "",
        deadline=n.submission_deadline,
        bid_security=n.bid_security,
        contract_security=n.contract_security,
        smp_only=n.smp_only,
        profiles=", ".join(dict.fromkeys(m.profile for m in matches)),
        status=first.status,
        taken_by=first.taken_by,
        matched_at=first.matched_at,
        reasons="; ".join(f"{m.profile}: {m.reasons}" for m in matches),
    )
