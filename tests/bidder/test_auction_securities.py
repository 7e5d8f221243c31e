"""Anti-dumping (Art. 37), bid and contract security bands, guarantee fees and kopeck rounding."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from bidder.auction import SecurityTerms
from bidder.auction import antidumping_applies
from bidder.auction import antidumping_threshold
from bidder.auction import bid_security
from bidder.auction import contract_security
from bidder.auction import guarantee_cost
from bidder.auction.money import percent_of
from bidder.auction.money import to_kopecks
from bidder.auction.securities import extra_guarantee_cost_kopecks
from bidder.errors import InvalidInput

D = Decimal
TEN_PERCENT = SecurityTerms(contract_percent=D("10"))


def test_antidumping_from_75_percent_of_nmck() -> None:
    nmck = D("1000000.00")
    assert antidumping_threshold(nmck) == D("750000.00")
    assert antidumping_applies(D("750000.00"), nmck)
    assert not antidumping_applies(D("750000.01"), nmck)


def test_antidumping_threshold_rounds_down_and_compares_exactly() -> None:
    nmck = D("1234567.89")  # 75% = 925925.9175
    assert antidumping_threshold(nmck) == D("925925.91")
    assert antidumping_applies(D("925925.91"), nmck)
    assert not antidumping_applies(D("925925.92"), nmck)


@pytest.mark.parametrize(("law", "kind"), [("223-FZ", "auction"), ("44-FZ", "quotation"), ("44-FZ", "other")])
def test_antidumping_only_for_44fz_auctions_and_competitions(law: str, kind: str) -> None:
    assert not antidumping_applies(D("1.00"), D("1000000.00"), law=law, kind=kind)
    assert antidumping_applies(D("1.00"), D("1000000.00"), law="44-FZ", kind="competition")


def test_security_times_one_and_a_half_above_15_mln() -> None:
    nmck = D("20000000.00")
    terms = SecurityTerms(contract_percent=D("10"), good_faith_proof=True)  # no alternative above 15 mln
    sec = contract_security(nmck, D("14000000.00"), terms)
    assert (sec.antidumping, sec.good_faith_alternative) == (True, False)
    assert (sec.base, sec.required, sec.extra) == (D("2000000.00"), D("3000000.00"), D("1000000.00"))
    assert sec.extra_guarantee_cost == D("30000.00")  # 3% a year for 365 days
    assert sec.guarantee_cost == D("90000.00")


def test_no_antidumping_above_75_percent() -> None:
    sec = contract_security(D("20000000.00"), D("15000000.01"), TEN_PERCENT)
    assert (sec.antidumping, sec.required, sec.extra, sec.extra_guarantee_cost) == (
        False,
        D("2000000.00"),
        D("0.00"),
        D("0.00"),
    )


def test_up_to_15_mln_good_faith_replaces_the_extra_security() -> None:
    nmck = D("15000000.00")
    without = contract_security(nmck, D("10000000.00"), TEN_PERCENT)
    assert (without.good_faith_alternative, without.required) == (True, D("2250000.00"))
    proof = SecurityTerms(contract_percent=D("10"), good_faith_proof=True)
    with_proof = contract_security(nmck, D("10000000.00"), proof)
    assert (with_proof.required, with_proof.extra) == (D("1500000.00"), D("0.00"))


def test_smp_reserved_security_is_computed_from_the_contract_price() -> None:
    terms = SecurityTerms(contract_percent=D("10"), smp_only=True)
    sec = contract_security(D("2000000.00"), D("1400000.00"), terms)
    assert (sec.base, sec.required) == (D("140000.00"), D("210000.00"))


def test_smp_exemption_covers_article_37() -> None:
    terms = SecurityTerms(contract_percent=D("10"), smp_exempt=True)
    sec = contract_security(D("20000000.00"), D("10000000.00"), terms)
    assert (sec.antidumping, sec.exempt, sec.required, sec.extra_guarantee_cost) == (
        True,
        True,
        D("0.00"),
        D("0.00"),
    )


def test_advance_above_30_percent_sets_the_security() -> None:
    terms = SecurityTerms(contract_percent=D("5"), advance=D("8000000.00"))
    assert contract_security(D("20000000.00"), D("18000000.00"), terms).required == D("8000000.00")
    assert contract_security(D("20000000.00"), D("14000000.00"), terms).required == D("12000000.00")


def test_unknown_contract_security_stays_unknown() -> None:
    sec = contract_security(D("20000000.00"), D("10000000.00"), SecurityTerms())
    assert (sec.antidumping, sec.base, sec.required, sec.extra_guarantee_cost) == (True, None, None, None)


@pytest.mark.parametrize(
    ("nmck", "smp", "required", "band"),
    [
        (D("1000000.00"), False, False, (D("0.00"), D("0.00"))),
        (D("1000000.01"), False, True, (D("5000.00"), D("10000.00"))),
        (D("20000000.00"), False, True, (D("100000.00"), D("200000.00"))),
        (D("30000000.00"), False, True, (D("150000.00"), D("1500000.00"))),
        (D("30000000.00"), True, True, (D("150000.00"), D("600000.00"))),
    ],
)
def test_bid_security_bands(nmck: Decimal, smp: bool, required: bool, band: tuple[Decimal, Decimal]) -> None:
    sec = bid_security(nmck, SecurityTerms(smp_only=smp))
    assert (sec.required, (sec.band_min, sec.band_max), sec.amount) == (required, band, None)


def test_bid_security_from_the_notice() -> None:
    assert bid_security(D("5000000.00"), SecurityTerms(bid_percent=D("1"))).amount == D("50000.00")
    assert bid_security(D("5000000.00"), SecurityTerms(bid_amount=D("25000.00"))).amount == D("25000.00")


def test_guarantee_cost_rounds_half_up() -> None:
    terms = SecurityTerms(guarantee_rate_percent=D("2.5"), guarantee_days=180)
    # 123456.78 * 0.025 * 180 / 365 = 1522.069...
    assert guarantee_cost(D("123456.78"), terms) == D("1522.07")
    assert percent_of(D("0.10"), D("5")) == D("0.01")  # 0.005 rounds half up


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"contract_amount": D("-1.00")}, "contract amount must not be negative"),
        ({"contract_percent": D("101")}, "within 0..100"),
        ({"guarantee_rate_percent": D("-1")}, "rate must not be negative"),
        ({"guarantee_days": 0}, "term must be positive"),
    ],
)
def test_impossible_terms(kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        SecurityTerms(**kwargs)


@settings(max_examples=60, deadline=None)
@given(
    nmck=st.integers(min_value=100_000, max_value=10**11),
    percent=st.decimals(min_value=D("0.5"), max_value=D("30"), places=2),
    rate=st.decimals(min_value=D("0"), max_value=D("20"), places=2),
    days=st.integers(min_value=1, max_value=1100),
    smp=st.booleans(),
    ratios=st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=20),
)
def test_vectorised_guarantee_cost_matches_decimal(nmck, percent, rate, days, smp, ratios) -> None:
    nmck_dec = D(nmck) / 100
    terms = SecurityTerms(
        contract_percent=percent, smp_only=smp, guarantee_rate_percent=rate, guarantee_days=days
    )
    prices = np.array([max(1, nmck * r // 1000) for r in ratios], dtype=np.int64)
    vectorised = extra_guarantee_cost_kopecks(prices, nmck_dec, terms)
    expected = [
        to_kopecks(contract_security(nmck_dec, D(int(p)) / 100, terms).extra_guarantee_cost) for p in prices
    ]
    assert vectorised.tolist() == expected
