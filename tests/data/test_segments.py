"""Segment statistics computed by the database agree with the same figures computed by hand,
on SQLite and PostgreSQL, and a thin segment is widened step by step."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from data.models import PURCHASE_RESULTS
from data.models import utcnow
from data.store.segments import Segment
from data.store.segments import all_segment_stats
from data.store.segments import segment_stats
from data.store.segments import stats_with_backoff


def row(number: int, **values: Any) -> dict[str, Any]:
    base = {
        "law": "44-FZ",
        "purchase_number": f"{number:019d}",
        "outcome": "winner",
        "applications": 3,
        "admitted": 3,
        "discount_bp": 1000,
        "okpd2": "26.20.15.000",
        "region": "77",
        "kind": "auction",
        "nmck_band": 2,
        "notice_linked": True,
        "updated_at": utcnow(),
    }
    return base | values


def insert(session: Session, rows: list[dict[str, Any]]) -> None:
    session.connection().execute(sa.insert(PURCHASE_RESULTS), rows)
    session.commit()


def nearest_rank(values: list[int], p: float) -> int:
    ordered = sorted(values)
    return ordered[math.ceil(p * len(ordered)) - 1]


def test_quartiles_and_shares_match_a_hand_computation(session: Session) -> None:
    rng = random.Random(7)
    discounts = [rng.randrange(0, 4000) for _ in range(101)]
    applications = [rng.randrange(1, 9) for _ in range(101)]
    rows = [
        row(i, discount_bp=d, applications=a)
        for i, (d, a) in enumerate(zip(discounts, applications, strict=True))
    ]
    rows += [row(200, outcome="single_application", applications=1, discount_bp=None)]
    rows += [row(201, outcome="no_applications", applications=0, discount_bp=None)]
    rows += [row(202, outcome="offers", discount_bp=0)]  # not finished: never counted
    rows += [row(203, region="50")]  # another segment
    insert(session, rows)
    stats = segment_stats(session, Segment(okpd2="26.20", region="77", kind="auction", nmck_band=2))
    assert (stats.purchases, stats.with_discount) == (103, 101)
    assert stats.discount_q1 == nearest_rank(discounts, 0.25) / 10_000
    assert stats.discount_median == nearest_rank(discounts, 0.5) / 10_000
    assert stats.discount_q3 == nearest_rank(discounts, 0.75) / 10_000
    every = [*applications, 1, 0]
    assert stats.participants_median == nearest_rank(every, 0.5)
    assert (stats.single_share, stats.failed_share) == (0.01, 0.019)


def test_every_segment_at_once_agrees_with_one_segment_at_a_time(session: Session) -> None:
    rng = random.Random(11)
    rows = [
        row(
            i,
            discount_bp=rng.randrange(0, 3000),
            applications=rng.randrange(1, 6),
            region=rng.choice(["77", "50"]),
            okpd2=rng.choice(["26.20.15.000", "26.20.40.110", "43.21.10.290"]),
            nmck_band=rng.choice([1, 2]),
        )
        for i in range(400)
    ]
    insert(session, rows)
    every = all_segment_stats(session)
    assert sum(s.purchases for s in every) == 400
    assert len(every) == 2 * 2 * 2  # okpd2 groups 26.20 and 43.21 × regions × bands
    for stats in every:
        assert segment_stats(session, stats.segment) == stats
    assert [s.purchases for s in every] == sorted((s.purchases for s in every), reverse=True)


def test_a_thin_segment_backs_off_to_the_two_digit_class_then_any_region(session: Session) -> None:
    rows = [row(i, okpd2="26.20.15.000") for i in range(5)]
    rows += [row(100 + i, okpd2="26.30.11.110") for i in range(20)]  # same class 26, another group
    rows += [row(200 + i, okpd2="43.21.10.290", region="50") for i in range(30)]
    insert(session, rows)
    narrow = Segment(okpd2="26.20", region="77", kind="auction", nmck_band=2)
    used = stats_with_backoff(session, narrow, min_purchases=20)
    assert (used.segment, used.purchases) == (
        Segment(okpd2="26", region="77", kind="auction", nmck_band=2),
        25,
    )
    wide = stats_with_backoff(session, narrow, min_purchases=40)
    assert (wide.segment, wide.purchases) == (Segment(kind="auction", nmck_band=2), 55)
    none = stats_with_backoff(session, narrow, min_purchases=1000)
    assert (none.segment, none.purchases) == (Segment(), 55)  # the widest, however thin
    assert stats_with_backoff(session, Segment(okpd2="99.99"), min_purchases=1).purchases == 55


def test_an_empty_database_gives_an_empty_segment_not_an_error(session: Session) -> None:
    stats = segment_stats(session, Segment(okpd2="26.20"))
    assert (stats.purchases, stats.discount_median, stats.single_share) == (0, None, None)
    assert all_segment_stats(session) == []


@pytest.mark.parametrize(
    ("segment", "words"),
    [
        (
            Segment(okpd2="26.20", region="77", kind="auction", nmck_band=3),
            "ОКПД2 26.20 · регион 77 · auction · 1–5 млн ₽",
        ),
        (Segment(nmck_band=5), "от 20 млн ₽"),
        (Segment(), "все закупки"),
    ],
)
def test_a_segment_says_what_it_is(segment: Segment, words: str) -> None:
    assert segment.describe() == words
