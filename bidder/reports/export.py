"""The notices export: every stored notice of a period as one flat row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Session, select

from bidder.reports.common import Period, notice_columns, region_columns
from data.models import (
    NOTICES,
    NoticeRow,
)


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
    query = select(NoticeRow).order_by(NOTICES.c.published_at, NOTICES.c.id)
    if period.start is not None:
        query = query.where(NOTICES.c.published_at >= period.start)
    if period.end is not None:
        query = query.where(NOTICES.c.published_at < period.end)
    return [_export_row(n) for n in session.exec(query)]


def _export_row(n: NoticeRow) -> NoticeExportRow:
    return NoticeExportRow(
        **notice_columns(n),
        **region_columns(n),
        kind=n.kind,
        method=n.method or "",
        status=n.status or "",
        customer_inn=n.customer_inn or "",
        delivery_regions=", ".join(n.delivery_regions or []),
        currency=n.currency or "",
        okpd2=", ".join(n.okpd2 or []),
        published_at=n.published_at,
        deadline=n.submission_deadline,
        auction_date=n.auction_date,
        bid_security=n.bid_security,
        contract_security=n.contract_security,
        smp_only=n.smp_only,
    )
