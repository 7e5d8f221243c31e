"""Customers and competitors as their results show them: the figures behind ``report customer``,
``report competitors`` and the customer line of an alert. Aggregated by the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from data.models import NOTICES
from data.models import PROTOCOL_BIDS
from data.models import PROTOCOLS
from data.models import PURCHASE_RESULTS
from data.models import SUPPLIERS
from data.notice import Stage
from data.notice import moscow_date
from data.notice import stage_of
from data.store.segments import Segment
from data.store.segments import conditions
from data.store.segments import nearest_rank
from data.store.segments import ranked
from data.store.unfair import RegisterStatus
from data.store.unfair import register_status

R = PURCHASE_RESULTS.c
WON = ("winner", "single_application")


@dataclass(frozen=True)
class Winner:
    inn: str
    name: str | None
    wins: int
    register: RegisterStatus | None = None
    """What the register of unfair suppliers says of it (None: never seen there nor looked up)."""

    @property
    def unfair(self) -> bool:
        return self.register is not None and self.register.entries > 0


@dataclass(frozen=True)
class CustomerFigures:
    inn: str
    purchases: int
    """Notices the customer published since the given moment."""
    cancelled: int
    finished: int
    """Purchases with a final result (winner, single application, none, all rejected)."""
    discount_mean: Decimal | None
    """Mean discount from the NMCK at the final price, percent, over the finished purchases that have one."""
    participants_mean: float | None
    winners: list[Winner]
    """Who won its purchases, most wins first."""

    @property
    def won(self) -> int:
        return sum(w.wins for w in self.winners)

    @property
    def top_winner_share(self) -> float | None:
        """How often its most frequent winner wins (0-1): one supplier taking most is a warning sign."""
        return None if not self.won else round(self.winners[0].wins / self.won, 3)


def customer_figures(session: Session, inn: str, *, since: datetime, today: date) -> CustomerFigures:
    """``today``: the Moscow day a register entry's planned exclusion is compared with."""
    conn = session.connection()
    statuses = conn.execute(
        sa.select(NOTICES.c.status).where(NOTICES.c.customer_inn == inn, NOTICES.c.published_at >= since)
    ).scalars()
    stages = [stage_of(status) for status in statuses]
    mine = [*conditions(Segment(), since=since), R.customer_inn == inn]
    finished, discount, participants = conn.execute(
        sa.select(sa.func.count(), sa.func.avg(R.discount_bp), sa.func.avg(R.applications)).where(*mine)
    ).one()
    winners = conn.execute(
        sa.select(R.winner_inn, sa.func.max(R.winner_name), sa.func.count().label("wins"))
        .where(*mine, R.outcome.in_(WON), R.winner_inn.is_not(None))
        .group_by(R.winner_inn)
        .order_by(sa.desc("wins"), R.winner_inn)
    ).all()
    registered = register_status(session, [row[0] for row in winners], today=today)
    return CustomerFigures(
        inn=inn,
        purchases=len(stages),
        cancelled=sum(stage == Stage.CANCELLED for stage in stages),
        finished=finished,
        discount_mean=None if discount is None else (Decimal(str(discount)) / 100).quantize(Decimal("0.1")),
        participants_mean=None if participants is None else round(float(participants), 1),
        winners=[
            Winner(inn=w_inn, name=name, wins=wins, register=registered.get(w_inn))
            for w_inn, name, wins in winners
        ],
    )


CUSTOMER_YEAR = timedelta(days=365)
"""How far back a customer line counts the customer's purchases and results."""


def customers_year(
    session: Session, inns: Iterable[str | None], *, now: datetime
) -> dict[str, CustomerFigures]:
    """The last year of each customer INN given (blanks skipped): what alerts, digests and cards show."""
    return {
        inn: customer_figures(session, inn, since=now - CUSTOMER_YEAR, today=moscow_date(now))
        for inn in sorted({i for i in inns if i})
    }


@dataclass(frozen=True)
class CompetitorRow:
    """A supplier in the purchases of a market: how often it applied, won, and how deep."""

    inn: str
    name: str | None
    region: str | None
    """Where the INN was issued."""
    applications: int
    """Applications it filed that a protocol names (2020 protocols are anonymous: not counted)."""
    wins: int
    win_rate: float | None
    """Wins per named application; None without any."""
    discount_median: float | None
    """Median discount of its wins as a fraction of the NMCK (0.12 is 12 %), like the segments'."""
    register_entries: int | None = None
    """Its entries in force in the register of unfair suppliers; None: never seen there nor looked up."""
    register_until: date | None = None
    """The latest planned exclusion among them."""
    register_checked: date | None = None
    """When a crawl last looked it up in the register."""

    def with_register(self, status: RegisterStatus | None) -> CompetitorRow:
        if status is None:
            return self
        return replace(
            self,
            register_entries=status.entries,
            register_until=status.until,
            register_checked=status.checked_on,
        )


def competitors(
    session: Session,
    *,
    okpd2: str | None,
    region: str | None,
    since: datetime,
    today: date,
    top: int = 30,
    inn: str | None = None,
) -> list[CompetitorRow]:
    """The suppliers that won or applied in the finished purchases of an OKPD2 prefix and a
    customer region since ``since``, most wins first; ``inn``: that supplier only. ``today``: the
    Moscow day a register entry's planned exclusion is compared with."""
    scope = conditions(Segment(okpd2=okpd2, region=region), since=since)
    purchases = sa.select(R.law, R.purchase_number).where(*scope).subquery()
    applied = (
        sa.select(PROTOCOL_BIDS.c.participant_inn.label("inn"), sa.func.count().label("applications"))
        .select_from(PROTOCOL_BIDS.join(PROTOCOLS, PROTOCOLS.c.id == PROTOCOL_BIDS.c.protocol_id))
        .join(
            purchases,
            (purchases.c.law == PROTOCOLS.c.law)
            & (purchases.c.purchase_number == PROTOCOLS.c.purchase_number),
        )
        .where(PROTOCOL_BIDS.c.participant_inn.is_not(None), PROTOCOLS.c.outcome != "offers")
        .group_by(PROTOCOL_BIDS.c.participant_inn)
        .subquery()
    )
    wins = (
        sa.select(R.winner_inn.label("inn"), sa.func.count().label("wins"))
        .where(*scope, R.outcome.in_(WON), R.winner_inn.is_not(None))
        .group_by(R.winner_inn)
        .subquery()
    )
    inns = sa.union(sa.select(applied.c.inn), sa.select(wins.c.inn)).subquery()
    query = (
        sa.select(
            inns.c.inn,
            SUPPLIERS.c.name,
            SUPPLIERS.c.region,
            sa.func.coalesce(applied.c.applications, 0),
            sa.func.coalesce(wins.c.wins, 0).label("wins"),
        )
        .select_from(inns)
        .outerjoin(applied, applied.c.inn == inns.c.inn)
        .outerjoin(wins, wins.c.inn == inns.c.inn)
        .outerjoin(SUPPLIERS, SUPPLIERS.c.inn == inns.c.inn)
        .where(sa.true() if inn is None else inns.c.inn == inn)
        .order_by(sa.desc("wins"), inns.c.inn)
        .limit(top)
    )
    rows = session.connection().execute(query).all()
    medians = _win_discount_medians(session, [row[0] for row in rows], scope)
    registered = register_status(session, [row[0] for row in rows], today=today)
    return [
        CompetitorRow(
            inn=inn,
            name=name,
            region=supplier_region,
            applications=applications,
            wins=won,
            win_rate=round(won / applications, 3) if applications else None,
            discount_median=medians.get(inn),
        ).with_register(registered.get(inn))
        for inn, name, supplier_region, applications, won in rows
    ]


def _win_discount_medians(
    session: Session, inns: list[str], scope: list[sa.ColumnElement[bool]]
) -> dict[str, float]:
    """Median discount of each supplier's wins (nearest rank), one statement for all of them."""
    if not inns:
        return {}
    rows = ranked([R.winner_inn], [*scope, R.outcome.in_(WON), R.winner_inn.in_(inns)], R.discount_bp)
    query = sa.select(rows.c.winner_inn, nearest_rank(rows, "discount_bp", 1, 2)).group_by(rows.c.winner_inn)
    return {inn: bp / 10_000 for inn, bp in session.connection().execute(query) if bp is not None}
