"""What every report shares: the period and region filters, Moscow days, decisions and who took a tender."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from decimal import Decimal
from typing import Literal
from typing import TypedDict
from typing import get_args

from sqlmodel import Session

from bidder.errors import BidderError
from data.formatting import person_label
from data.formatting import read_from
from data.models import DecisionRow
from data.models import NoticeRow
from data.notice import MOSCOW
from data.notice import Notice
from data.reference.okpd2 import normalize_okpd2
from data.reference.regions import region_name
from data.reference.regions import resolve_region
from data.store.places import PlaceFound
from data.store.places import notices_placed_in

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)

Status = Literal["new", "taken", "skipped"]
STATUSES: tuple[str, ...] = get_args(Status)


class NoticeColumns(TypedDict):
    """The columns every report row about a tender carries, in one wording."""

    reg_number: str
    law: str
    title: str
    nmck: Decimal | None
    customer: str
    """Empty when the notice names none (a listing seen before its card)."""
    url: str
    """Empty when the notice has no link."""


class RegionColumns(TypedDict):
    region: str
    region_name: str


def notice_columns(notice: NoticeRow | Notice) -> NoticeColumns:
    return NoticeColumns(
        reg_number=notice.reg_number,
        law=notice.law,
        title=notice.title,
        nmck=notice.nmck,
        customer=notice.customer_name or "",
        url=notice.url or "",
    )


def region_columns(notice: NoticeRow | Notice) -> RegionColumns:
    """The customer's region code and its name (codes alone mean nothing to most readers)."""
    region = notice.customer_region or ""
    return RegionColumns(region=region, region_name=(region_name(region) or "") if region else "")


def delivery_column(notice: NoticeRow | Notice, places: Sequence[PlaceFound] = ()) -> str:
    """Where the tender delivers, in one cell: the card's delivery regions, then the places the
    match run read from its words with where it read them («54 (из названия: «Новосибирске»)»),
    so a sheet shows the branch a head office buys for, as the alert does."""
    codes = list(notice.delivery_regions or [])
    read = [f"{p.region} ({read_from(p.source, p.words)})" for p in places if p.region not in codes]
    return ", ".join([*codes, *read])


class ReportError(BidderError):
    """A report was asked for with impossible filters; the message names the option and the value."""


@dataclass(frozen=True)
class Period:
    """Half-open interval [start, end) of aware datetimes; None leaves that side open."""

    start: datetime | None = None
    end: datetime | None = None

    def contains(self, moment: datetime | None) -> bool:
        if moment is None:
            return self.start is None and self.end is None
        return (self.start is None or moment >= self.start) and (self.end is None or moment < self.end)


ALL_TIME = Period()
"""No bound on either side: what a report covers when it is given no period."""


def moscow_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=MOSCOW)


def make_period(
    *, since: date | None = None, until: date | None = None, days: int | None = None, now: datetime
) -> Period:
    """``since``..``until`` as whole Moscow days (both inclusive), or the last ``days`` days up to ``now``."""
    _require_aware(now)
    if days is not None:
        if since is not None or until is not None:
            raise ReportError("give either --days or --since/--until, not both")
        if days <= 0:
            raise ReportError(f"--days must be a positive number of days, got {days}")
        return Period(start=now - days * DAY, end=None)
    if since is not None and until is not None and until < since:
        raise ReportError(f"--until {until.isoformat()} is before --since {since.isoformat()}")
    return Period(
        start=moscow_midnight(since) if since else None,
        end=moscow_midnight(until + DAY) if until else None,
    )


def region_code(text: str) -> str:
    """The two-digit subject code for what a user typed (code, name, alias, capital)."""
    region = resolve_region(text)
    if region is None:
        raise ReportError(f"--region {text!r} is not a known region code or name")
    return region.code


def okpd2_prefix(text: str) -> str:
    """The canonical dotted OKPD2 code a user typed as a prefix ("26.20", "262", "26.20.1")."""
    code = normalize_okpd2(text)
    if code is None:
        raise ReportError(f"--okpd2 {text!r} is not an OKPD2 code (expected e.g. 26.20 or 26.20.15)")
    return code


@dataclass(frozen=True)
class RegionFilter:
    """A report's ``--region``: a notice is in when its customer is there, its card delivers
    there, or its words name it as the place of delivery (``notice_places``, what the matcher read:
    a head office in Moscow buying for its Novosibirsk branch is in 54)."""

    code: str
    placed: frozenset[int]
    """The notices whose words name ``code``."""

    def holds(self, row: NoticeRow) -> bool:
        return (
            row.customer_region == self.code
            or self.code in (row.delivery_regions or [])
            or row.id in self.placed
        )


def region_filter(session: Session, text: str | None) -> RegionFilter | None:
    """The filter for what a user typed (code, name, alias, capital); None when nothing was."""
    if text is None:
        return None
    code = region_code(text)
    return RegionFilter(code, frozenset(notices_placed_in(session.connection(), code)))


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ReportError(f"report time must be timezone-aware, got {now.isoformat()}")


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    _require_aware(now)
    return now


def person_of(decision: DecisionRow) -> str:
    return person_label(decision.user_name, decision.user_id)


def status_of(decisions: Sequence[DecisionRow]) -> Status:
    """Triage state of a notice: someone took it > someone skipped it > nobody decided yet."""
    actions = {d.action for d in decisions}
    if "take" in actions:
        return "taken"
    if "skip" in actions:
        return "skipped"
    return "new"


def _takers(decisions: Sequence[DecisionRow]) -> str:
    return ", ".join(dict.fromkeys(person_of(d) for d in decisions if d.action == "take"))
