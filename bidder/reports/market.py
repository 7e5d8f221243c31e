"""The market report: published notices, their count, total and median NMCK, overall, by method and by
ISO week (Moscow calendar)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

from sqlmodel import Session

from bidder.reports.common import ALL_TIME
from bidder.reports.common import Period
from bidder.reports.common import _now
from bidder.reports.common import okpd2_prefix
from bidder.reports.common import region_filter
from data.formatting import to_kopeck
from data.models import NoticeRow
from data.notice import Stage
from data.notice import moscow_date
from data.notice import stage_of
from data.reference.okpd2 import is_within
from data.store import reports as reads


@dataclass(frozen=True)
class MarketRow:
    """One group of the market report: the whole selection, one method, or one ISO week."""

    dimension: str
    """"total", "method" or "week"."""
    group: str
    """"all", the procurement kind, or the ISO week ("2026-W03")."""
    week_start: date | None
    notices: int
    priced: int
    """Notices with an NMCK (the total and median are over these)."""
    total_nmck: Decimal
    median_nmck: Decimal | None


def market_report(
    session: Session,
    *,
    okpd2: str | None = None,
    region: str | None = None,
    period: Period = ALL_TIME,
    now: datetime | None = None,
) -> list[MarketRow]:
    """Count, total and median NMCK of published notices, overall, by method and by ISO week.

    ``okpd2`` is a prefix on the classifier hierarchy (a notice is in when any of its codes is);
    ``region`` is a code or name (customer or delivery region, the places read from the words
    included: ``RegionFilter``); ``period`` filters on
    publication. Cancelled notices are left out: their prices never met the market. Weeks with
    no notices between the first and the last are listed with zeros so a trend has no gaps.
    """
    _now(now)
    prefix = okpd2_prefix(okpd2) if okpd2 is not None else None
    where = region_filter(session, region)
    chosen = [
        n
        for n in reads.notices_published(session, start=period.start, end=period.end)
        if not _cancelled(n)
        and (where is None or where.holds(n))
        and (prefix is None or any(is_within(c, prefix) for c in n.okpd2 or []))
    ]
    rows = [_market_row("total", "all", None, chosen)]
    by_kind: dict[str, list[NoticeRow]] = defaultdict(list)
    for n in chosen:
        by_kind[n.kind].append(n)
    rows += [_market_row("method", kind, None, by_kind[kind]) for kind in sorted(by_kind)]
    rows += _weekly(chosen)
    return rows


def _cancelled(row: NoticeRow) -> bool:
    """``Notice.cancelled`` on the row (no model validation for every notice)."""
    return stage_of(row.status) is Stage.CANCELLED


def _market_row(dimension: str, group: str, week_start: date | None, notices: list[NoticeRow]) -> MarketRow:
    prices = [n.nmck for n in notices if n.nmck is not None]
    return MarketRow(
        dimension=dimension,
        group=group,
        week_start=week_start,
        notices=len(notices),
        priced=len(prices),
        total_nmck=sum(prices, Decimal("0.00")),
        median_nmck=to_kopeck(statistics.median(prices)) if prices else None,
    )


def iso_week(day: date) -> tuple[str, date]:
    """("2026-W03", Monday of that week) for a day."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}", day - timedelta(days=day.weekday())


def _weekly(notices: list[NoticeRow]) -> list[MarketRow]:
    weeks: dict[date, list[NoticeRow]] = defaultdict(list)
    for n in notices:
        if n.published_at is not None:
            weeks[iso_week(moscow_date(n.published_at))[1]].append(n)
    if not weeks:
        return []
    rows = []
    monday, last = min(weeks), max(weeks)
    while monday <= last:
        rows.append(_market_row("week", iso_week(monday)[0], monday, weeks.get(monday, [])))
        monday += timedelta(days=7)
    return rows
