"""Every Art. 49 validator rule, with an allowed and a refused offer, and the right-to-conclude switch."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bidder.auction import AuctionRules
from bidder.auction import AuctionState
from bidder.auction import OfferRefused
from bidder.auction import Refusal
from bidder.errors import InvalidInput

T0 = datetime(2025, 3, 10, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))
NMCK = Decimal("1000000.00")
D = Decimal


def minutes(m: float) -> datetime:
    return T0 + timedelta(minutes=m)


@pytest.fixture
def state() -> AuctionState:
    return AuctionState(AuctionRules.for_44fz(NMCK), started_at=T0)


def test_44fz_band_in_kopecks() -> None:
    rules = AuctionRules.for_44fz(NMCK)
    assert (rules.step_min, rules.step_max) == (D("5000.00"), D("50000.00"))
    assert rules.right_to_conclude_threshold == D("5000.00")
    assert rules.timer == timedelta(minutes=10)


def test_step_amounts_round_half_up_to_kopecks() -> None:
    rules = AuctionRules.for_44fz(D("1234567.89"))
    assert rules.step_min == D("6172.84")  # 6172.83945
    assert rules.step_max == D("61728.39")  # 61728.3945
    assert rules.step_amount(D("1")) == D("12345.68")  # 12345.6789


@pytest.mark.parametrize(
    ("amount", "allowed", "code"),
    [
        (D("995000.00"), True, None),  # exactly the minimum step
        (D("950000.00"), True, None),  # exactly the maximum step
        (D("972345.67"), True, None),
        (D("995000.01"), False, Refusal.STEP_TOO_SMALL),
        (D("949999.99"), False, Refusal.STEP_TOO_LARGE),
        (D("1000000.00"), False, Refusal.OWN_PREVIOUS),  # a first offer is compared with NMCK
        (D("0"), False, Refusal.NON_POSITIVE),
        (D("-5.00"), False, Refusal.NON_POSITIVE),
        (D("994999.999"), False, Refusal.NOT_KOPECKS),
    ],
)
def test_first_offer(state: AuctionState, amount: Decimal, allowed: bool, code: Refusal | None) -> None:
    check = state.check("A", amount, minutes(1))
    assert (check.allowed, check.code) == (allowed, code)
    assert check.kind == ("improving" if allowed else None)


def test_non_leading_offers_rank_but_do_not_lead(state: AuctionState) -> None:
    state.submit("A", D("995000.00"), minutes(1))
    assert state.check("B", D("996000.00"), minutes(2)).kind == "ranking"
    assert state.check("B", D("995000.00"), minutes(2)).kind == "ranking"  # equal to the best: allowed
    refused = state.check("B", D("994000.00"), minutes(2))  # between best - 0.5% and best
    assert refused.code is Refusal.STEP_TOO_SMALL
    state.submit("B", D("996000.00"), minutes(2))
    assert (state.best, state.leader) == (D("995000.00"), "A")
    assert state.check("B", D("997000.00"), minutes(3)).code is Refusal.OWN_PREVIOUS
    assert state.check("B", D("996000.00"), minutes(3)).code is Refusal.OWN_PREVIOUS
    assert state.check("B", D("995500.00"), minutes(3)).allowed


def test_leader_cannot_undercut_itself(state: AuctionState) -> None:
    state.submit("A", D("995000.00"), minutes(1))
    check = state.check("A", D("990000.00"), minutes(2))
    assert check.code is Refusal.LEADER_SELF
    assert "995000.00" in check.message_en and "лидер" in check.message_ru
    assert state.check("B", D("990000.00"), minutes(2)).allowed


def test_submit_raises_with_the_reason(state: AuctionState) -> None:
    with pytest.raises(OfferRefused) as caught:
        state.submit("A", D("999999.00"), minutes(1))
    assert caught.value.check.code is Refusal.STEP_TOO_SMALL
    assert str(caught.value) == "999999.00 improves on 1000000.00 by less than the minimum step 5000.00"
    assert state.offers == []


def test_timer_runs_from_start_and_resets_on_new_best_only(state: AuctionState) -> None:
    assert state.deadline == minutes(10)
    state.submit("A", D("995000.00"), minutes(9))
    assert state.deadline == minutes(19)
    state.submit("B", D("996000.00"), minutes(18))  # a ranking offer does not reset the timer
    assert state.deadline == minutes(19)
    assert state.check("B", D("990000.00"), minutes(19)).allowed  # at the deadline itself
    late = state.check("B", D("990000.00"), minutes(19) + timedelta(seconds=1))
    assert late.code is Refusal.POST_CLOSE_IMPROVEMENT


def test_reset_on_any_offer_flag() -> None:
    state = AuctionState(AuctionRules.for_44fz(NMCK, reset_on_any_offer=True), started_at=T0)
    state.submit("A", D("995000.00"), minutes(9))
    state.submit("B", D("996000.00"), minutes(18))
    assert state.deadline == minutes(28)


def test_post_close_window_accepts_ranking_offers_only(state: AuctionState) -> None:
    state.submit("A", D("995000.00"), minutes(1))
    in_window = minutes(11) + timedelta(seconds=30)
    assert state.check("B", D("995000.00"), in_window).kind == "post_close_ranking"
    assert state.check("B", D("990000.00"), in_window).code is Refusal.POST_CLOSE_IMPROVEMENT
    assert state.check("A", D("995000.00"), in_window).code is Refusal.OWN_PREVIOUS
    state.submit("B", D("995000.00"), in_window)
    assert state.deadline == minutes(11)  # the window never reopens bidding
    assert state.check("C", D("999000.00"), minutes(21) + timedelta(seconds=1)).code is Refusal.CLOSED


def test_without_post_close_window_the_close_is_final() -> None:
    state = AuctionState(AuctionRules.for_44fz(NMCK, post_close_window=None), started_at=T0)
    check = state.check("B", D("999000.00"), minutes(10) + timedelta(seconds=1))
    assert check.code is Refusal.CLOSED
    assert check.message_ru == "процедура подачи предложений завершилась в 2025-03-10T10:10:00+03:00"


def test_time_order_and_awareness(state: AuctionState) -> None:
    assert state.check("A", D("995000.00"), T0 - timedelta(seconds=1)).code is Refusal.NOT_STARTED
    state.submit("A", D("995000.00"), minutes(5))
    assert state.check("B", D("990000.00"), minutes(4)).code is Refusal.OUT_OF_ORDER
    with pytest.raises(InvalidInput, match="timezone-aware"):
        state.check("B", D("990000.00"), datetime(2025, 3, 10, 10, 6))
    with pytest.raises(InvalidInput, match="not float"):
        state.check("B", 990000.0, minutes(6))  # type: ignore[arg-type]


def test_outcome_ranks_by_price_then_time(state: AuctionState) -> None:
    state.submit("A", D("995000.00"), minutes(1))
    state.submit("C", D("996000.00"), minutes(2))
    state.submit("B", D("996000.00"), minutes(3))
    outcome = state.outcome()
    assert (outcome.winner, outcome.price, outcome.failed) == ("A", D("995000.00"), False)
    assert outcome.ranking == (("A", D("995000.00")), ("C", D("996000.00")), ("B", D("996000.00")))


@pytest.mark.parametrize(
    ("policy", "price", "failed"), [("review_at_nmck", NMCK, False), ("failed", None, True)]
)
def test_no_offers_policy(policy: str, price: Decimal | None, failed: bool) -> None:
    state = AuctionState(AuctionRules.for_44fz(NMCK, no_offers_policy=policy), started_at=T0)
    outcome = state.outcome()
    assert (outcome.winner, outcome.price, outcome.failed) == (None, price, failed)


def _drive_to(state: AuctionState, target: Decimal) -> int:
    """Alternate A and B with maximum steps down to ``target``; returns the minute of the last offer."""
    bidders, minute, price = ("A", "B"), 0, NMCK
    while price - state.rules.step_max > target:
        minute += 1
        price -= state.rules.step_max
        state.submit(bidders[minute % 2], price, minutes(minute))
    minute += 1
    state.submit(bidders[minute % 2], target, minutes(minute))
    return minute


def test_price_just_above_half_percent_stays_descending(state: AuctionState) -> None:
    _drive_to(state, D("5000.01"))
    assert (state.mode, state.best) == ("descending", D("5000.01"))


def test_switch_to_upward_bidding_at_half_percent(state: AuctionState) -> None:
    minute = _drive_to(state, D("5000.00"))
    leader = state.leader
    other = "A" if leader == "B" else "B"
    assert (state.mode, state.best) == ("right_to_conclude", D("0.00"))
    at = minutes(minute + 1)
    assert state.check(leader, D("5000.00"), at).code is Refusal.LEADER_SELF
    assert state.check(other, D("4999.99"), at).code is Refusal.STEP_TOO_SMALL
    assert state.check(other, D("50000.01"), at).code is Refusal.STEP_TOO_LARGE
    assert state.check(other, D("5000.00"), at).kind == "improving"
    state.submit(other, D("50000.00"), at)
    assert state.check(leader, D("40000.00"), at).kind == "ranking"  # a payment not above the best
    assert state.check(leader, D("55000.00"), at).allowed
    outcome = state.outcome()
    assert (outcome.winner, outcome.price, outcome.mode) == (other, D("-50000.00"), "right_to_conclude")


def test_right_to_conclude_cap_and_maximum_deal() -> None:
    rules = AuctionRules(nmck=NMCK, right_to_conclude_cap=D("7000.00"))
    state = AuctionState(rules, started_at=T0)
    minute = _drive_to(state, D("4000.00"))
    other = "A" if state.leader == "B" else "B"
    at = minutes(minute + 1)
    assert state.check(other, D("7000.01"), at).code is Refusal.ABOVE_CAP
    assert state.check(other, D("7000.00"), at).allowed
    refused = state.check(other, D("6000.00"), at, max_deal=D("5999.99"))
    assert refused.code is Refusal.ABOVE_MAX_DEAL
    assert "5999.99" in refused.message_en


def test_223fz_uses_the_customers_band_and_timer() -> None:
    rules = AuctionRules.for_223fz(
        NMCK, step_min_percent=D("1"), step_max_percent=D("2"), timer=timedelta(minutes=5)
    )
    state = AuctionState(rules, started_at=T0)
    assert state.check("A", D("995000.00"), minutes(1)).code is Refusal.STEP_TOO_SMALL
    assert state.check("A", D("979999.99"), minutes(1)).code is Refusal.STEP_TOO_LARGE
    state.submit("A", D("990000.00"), minutes(1))
    assert state.check("B", D("980000.00"), minutes(6) + timedelta(seconds=1)).code is Refusal.CLOSED


def test_44fz_band_cannot_be_overridden() -> None:
    with pytest.raises(InvalidInput, match="set by law"):
        AuctionRules.for_44fz(NMCK, step_min_percent=D("1"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"nmck": D("0")}, "NMCK must be positive"),
        ({"nmck": D("100.001")}, "fractions of a kopeck"),
        ({"nmck": NMCK, "step_min_percent": D("6")}, "step band"),
        ({"nmck": NMCK, "timer": timedelta(0)}, "timer must be positive"),
    ],
)
def test_impossible_rules_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        AuctionRules(**kwargs)
