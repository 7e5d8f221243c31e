"""Market segments: how purchases like this one ended, computed by the database.

A segment is an OKPD2 prefix × the customer's region × the procedure kind × an NMCK band
(``data.results.NMCK_BANDS``); ``None`` in a coordinate means "any". Statistics are taken over
purchases with a final outcome (``purchase_results``): the discount distribution (nearest-rank
quartiles of ``discount_bp``), the participants per purchase, the shares of single-application
and failed procedures. The aggregation is one SQL statement with window functions, the same on
SQLite and PostgreSQL: no row is loaded into Python.

A thin segment says little: ``stats_with_backoff`` widens it step by step (OKPD2 4 digits → 2
digits → any, then any region, then any price band, then any kind) until it holds enough
purchases, and says which segment it used.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from data.models import PURCHASE_RESULTS
from data.results import FAILED_OUTCOMES
from data.results import FINAL_OUTCOMES
from data.results import band_label
from data.results import nmck_band

MIN_SEGMENT_PURCHASES = 20
"""Below this many finished purchases a segment's quartiles are noise: widen it."""
OKPD2_GROUP = 5
"""Characters of an OKPD2 code that make its 4-digit group («26.20»); 2 make its class («26»)."""

R = PURCHASE_RESULTS.c


@dataclass(frozen=True)
class Segment:
    """The purchases whose results stand for a notice's market: the same OKPD2 group, region, kind
    and price band; a None leaves that coordinate open, so a segment widens by dropping them."""

    okpd2: str | None = None
    """An OKPD2 prefix: «26.20» (4 digits) or «26» (2 digits); None for any."""
    region: str | None = None
    kind: str | None = None
    nmck_band: int | None = None

    def describe(self) -> str:
        """«ОКПД2 26.20 · регион 77 · auction · 1–5 млн ₽»; «все закупки» for the widest."""
        parts = [
            f"ОКПД2 {self.okpd2}" if self.okpd2 else None,
            f"регион {self.region}" if self.region else None,
            self.kind,
            band_label(self.nmck_band) if self.nmck_band is not None else None,
        ]
        return " · ".join(p for p in parts if p) or "все закупки"

    def wider(self) -> Iterator[Segment]:
        """The segments tried after this one, narrowest first, ending with "any purchase"."""
        okpd2 = self.okpd2
        codes = [okpd2[:OKPD2_GROUP], okpd2[:2], None] if okpd2 else [None]
        seen = {self}
        for region in dict.fromkeys((self.region, None)):
            for code in dict.fromkeys(codes):
                candidate = replace(self, okpd2=code, region=region)
                if candidate not in seen:
                    seen.add(candidate)
                    yield candidate
        for candidate in (
            Segment(kind=self.kind, nmck_band=self.nmck_band),
            Segment(kind=self.kind),
            Segment(),
        ):
            if candidate not in seen:
                seen.add(candidate)
                yield candidate


def segment_of(*, okpd2: str | None, region: str | None, kind: str | None, nmck: Decimal | None) -> Segment:
    """The narrowest segment of a purchase: its first OKPD2 code's 4-digit group, its customer's
    region, its kind and its NMCK band."""
    return Segment(
        okpd2=okpd2[:OKPD2_GROUP] if okpd2 else None, region=region, kind=kind, nmck_band=nmck_band(nmck)
    )


@dataclass(frozen=True)
class SegmentSample:
    """What a calibrated competitor model is drawn from (``bidder.auction.EmpiricalPrior``)."""

    segment: Segment
    discounts_bp: list[int]
    """Winning discounts of the auctions with two or more applications, ascending."""
    applications: list[int]
    """Applications of every finished purchase."""


@dataclass(frozen=True)
class SegmentStats:
    """A segment and its figures, flat: the rows of ``report segments`` as they are."""

    okpd2: str | None
    region: str | None
    kind: str | None
    nmck_band: int | None
    purchases: int
    """Finished purchases in the segment (a winner, one application, none, or all rejected)."""
    with_discount: int
    """Of those, with a final price and an NMCK to take a discount from."""
    discount_q1: float | None
    discount_median: float | None
    discount_q3: float | None
    """Discount quartiles as fractions of the NMCK (0.125 is 12.5 %; nearest rank)."""
    participants_median: int | None
    single_share: float | None
    failed_share: float | None
    """Shares (0-1) of single-application procedures and of all failed ones (no or one application,
    all rejected). Statistics, not money: floats, rounded to three places."""
    nmck_range: str | None = field(init=False)
    """The NMCK band in words («0.5–1 млн ₽»)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "nmck_range", None if self.nmck_band is None else band_label(self.nmck_band))

    @property
    def segment(self) -> Segment:
        return Segment(okpd2=self.okpd2, region=self.region, kind=self.kind, nmck_band=self.nmck_band)

    @property
    def thin(self) -> bool:
        return self.purchases < MIN_SEGMENT_PURCHASES


def _const(value: int) -> sa.ColumnElement[Any]:
    """An integer written into the SQL, not bound: SQLite only sees that two ``substr(okpd2, 1, 5)``
    are the same expression (one sort for every window over that partition) when the arguments
    are literals; bound ones made the statement 1.6 times slower (bench_segments.py)."""
    return sa.literal_column(str(int(value)))


def _okpd2_prefix(length: int) -> sa.ColumnElement[Any]:
    return sa.func.substr(R.okpd2, _const(1), _const(length))


def conditions(
    segment: Segment, *, before: datetime | None = None, since: datetime | None = None
) -> list[sa.ColumnElement[bool]]:
    """The finished purchases of ``segment`` (any prefix length of OKPD2), decided before ``before``
    and at or after ``since`` when given."""
    where: list[sa.ColumnElement[bool]] = [R.outcome.in_(sorted(FINAL_OUTCOMES))]
    if before is not None:  # a backtest calibrates on what was known before the auction it predicts
        where.append(R.decided_at < before)
    if since is not None:
        where.append(R.decided_at >= since)
    if segment.okpd2:
        where.append(_okpd2_prefix(len(segment.okpd2)) == segment.okpd2)
    if segment.region:
        where.append(R.region == segment.region)
    if segment.kind:
        where.append(R.kind == segment.kind)
    if segment.nmck_band is not None:
        where.append(R.nmck_band == segment.nmck_band)
    return where


def ranked(
    partition: list[sa.ColumnElement[Any]],
    conditions: list[sa.ColumnElement[bool]],
    *columns: sa.ColumnElement[Any],
) -> sa.Subquery:
    """``purchase_results`` rows under ``conditions`` with, for each of ``columns``, each row's rank
    (``<name>_rank``) and the count of values (``<name>_n``) within its partition: what
    ``nearest_rank`` takes a quantile from.

    NULLs sort last on both backends (SQLite puts them first by default, PostgreSQL last), so
    ranks 1..n are exactly the rows that have a value and n counts them.
    """
    window: dict[str, Any] = {"partition_by": partition or None}

    def rank(column: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
        nulls_last = sa.case((column.is_(None), _const(1)), else_=_const(0))
        return sa.func.row_number().over(**window, order_by=(nulls_last, column))

    ranks = [
        label
        for column in columns
        for label in (
            rank(column).label(f"{column.key}_rank"),
            sa.func.count(column).over(**window).label(f"{column.key}_n"),
        )
    ]
    return sa.select(*partition, R.outcome, *columns, *ranks).where(*conditions).subquery()


def nearest_rank(ranked_rows: sa.Subquery, name: str, num: int, den: int) -> sa.ColumnElement[Any]:
    """The ``num/den`` quantile of column ``name`` of ``ranked`` rows, per group: the smallest
    value whose rank r has r/n >= num/den (nearest rank), in integers only."""
    c = ranked_rows.c
    value, at, count = c[name], c[f"{name}_rank"], c[f"{name}_n"]
    return sa.func.min(sa.case((sa.and_(value.is_not(None), at * _const(den) >= count * _const(num)), value)))


def _aggregates(ranked_rows: sa.Subquery) -> list[sa.ColumnElement[Any]]:
    c = ranked_rows.c

    def share(outcomes: frozenset[str]) -> sa.ColumnElement[Any]:
        return sa.func.sum(sa.case((c.outcome.in_(sorted(outcomes)), _const(1)), else_=_const(0)))

    return [
        sa.func.count().label("purchases"),
        sa.func.count(c.discount_bp).label("with_discount"),
        nearest_rank(ranked_rows, "discount_bp", 1, 4).label("q1"),
        nearest_rank(ranked_rows, "discount_bp", 1, 2).label("median"),
        nearest_rank(ranked_rows, "discount_bp", 3, 4).label("q3"),
        nearest_rank(ranked_rows, "applications", 1, 2).label("participants_median"),
        share(frozenset(("single_application",))).label("single"),
        share(FAILED_OUTCOMES).label("failed"),
    ]


def _fraction(bp: int | None) -> float | None:
    return None if bp is None else bp / 10_000


def _ratio(part: int | None, whole: int | None) -> float | None:
    return None if not whole else round((part or 0) / whole, 3)


def _stats(segment: Segment, aggregates: Sequence[Any]) -> SegmentStats:
    """A segment's figures from the values of ``_aggregates`` (in its order: read by position,
    which is several times faster than by name over the ~90,000 rows of every segment)."""
    purchases, with_discount, q1, median, q3, p_median, single, failed = aggregates
    return SegmentStats(
        okpd2=segment.okpd2,
        region=segment.region,
        kind=segment.kind,
        nmck_band=segment.nmck_band,
        purchases=purchases or 0,
        with_discount=with_discount or 0,
        discount_q1=_fraction(q1),
        discount_median=_fraction(median),
        discount_q3=_fraction(q3),
        participants_median=p_median,
        single_share=_ratio(single, purchases),
        failed_share=_ratio(failed, purchases),
    )


def segment_stats(session: Session, segment: Segment, *, before: datetime | None = None) -> SegmentStats:
    """The statistics of one segment (one SQL statement); ``before``: purchases decided before it only."""
    rows = ranked([], conditions(segment, before=before), R.discount_bp, R.applications)
    row = session.connection().execute(sa.select(*_aggregates(rows))).one()
    return _stats(segment, tuple(row))


def stats_with_backoff(
    session: Session,
    segment: Segment,
    *,
    min_purchases: int = MIN_SEGMENT_PURCHASES,
    before: datetime | None = None,
) -> SegmentStats:
    """The narrowest segment, from ``segment`` widening (``Segment.wider``), that holds at least
    ``min_purchases`` finished purchases; the widest one tried when none does."""
    stats = segment_stats(session, segment, before=before)
    for wider in segment.wider():
        if stats.purchases >= min_purchases:
            break
        stats = segment_stats(session, wider, before=before)
    return stats


def segment_sample(
    session: Session, segment: Segment, *, before: datetime | None = None, limit: int = 5000
) -> SegmentSample:
    """The segment's ``limit`` most recently decided purchases, as a competitor model needs them."""
    query = (
        sa.select(R.outcome, R.applications, R.discount_bp)
        .where(*conditions(segment, before=before))
        .order_by(R.decided_at.desc(), R.id.desc())
        .limit(limit)
    )
    rows = session.connection().execute(query).all()
    discounts = sorted(
        discount
        for outcome, applications, discount in rows
        if outcome == "winner" and discount is not None and (applications or 0) >= 2
    )
    return SegmentSample(
        segment=segment,
        discounts_bp=discounts,
        applications=[applications for _, applications, _ in rows if applications is not None],
    )


def all_segment_stats(session: Session, *, okpd2_digits: int = 4) -> list[SegmentStats]:
    """Every segment at one granularity (OKPD2 4 or 2 digits × region × kind × band) in one statement,
    largest first: the market overview a bid manager reads, and the benchmark's subject."""
    prefix = _okpd2_prefix(OKPD2_GROUP if okpd2_digits == 4 else 2).label("okpd2")
    partition: list[sa.ColumnElement[Any]] = [prefix, R.region, R.kind, R.nmck_band]
    rows = ranked(partition, conditions(Segment()), R.discount_bp, R.applications)
    keys = [rows.c.okpd2, rows.c.region, rows.c.kind, rows.c.nmck_band]
    query = sa.select(*keys, *_aggregates(rows)).group_by(*keys).order_by(sa.desc("purchases"), *keys)
    return [
        _stats(Segment(okpd2=okpd2, region=region, kind=kind, nmck_band=band), aggregates)
        for okpd2, region, kind, band, *aggregates in session.connection().execute(query)
    ]


def decided_auctions(session: Session, *, limit: int) -> list[sa.Row[Any]]:
    """The ``limit`` most recently decided auctions with a winner, a known NMCK and a discount, at
    least two applications: what a backtest can score. Rows of (nmck, discount_bp,
    runner_up_price, okpd2, region, kind, decided_at), newest first."""
    r = PURCHASE_RESULTS.c
    query = (
        sa.select(r.nmck, r.discount_bp, r.runner_up_price, r.okpd2, r.region, r.kind, r.decided_at)
        .where(
            r.outcome == "winner",
            r.kind == "auction",
            r.discount_bp.is_not(None),
            r.nmck.is_not(None),
            r.decided_at.is_not(None),
            r.applications >= 2,
        )
        .order_by(r.decided_at.desc(), r.id.desc())
        .limit(limit)
    )
    return list(session.connection().execute(query).all())
