"""The deterministic ladder, the Monte Carlo engine and ``simulate``: hand-computed and seeded cases."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest

from bidder.auction import DEFAULT_PRIOR
from bidder.auction import AuctionRules
from bidder.auction import CompetitorModel
from bidder.auction import EmpiricalPrior
from bidder.auction import SecurityTerms
from bidder.auction import SimulationParams
from bidder.auction import build_ladder
from bidder.auction import run_auctions
from bidder.auction import simulate
from bidder.auction.montecarlo import AGGRESSIVE
from bidder.auction.montecarlo import MIN_STEP
from bidder.auction.montecarlo import SNIPER
from bidder.errors import InvalidInput
from bidder.errors import NoAuctionHeld

D = Decimal
NMCK = D("1000000.00")
RULES = AuctionRules.for_44fz(NMCK)
RUB = 100  # kopecks


def test_ladder_60_steps_to_700k_with_antidumping_from_750k() -> None:
    ladder = build_ladder(RULES, D("700000.00"), D("0.5"))
    assert (ladder.step, ladder.steps_to_floor, ladder.lowest_price) == (D("5000.00"), 60, D("700000.00"))
    assert ladder.antidumping_step == 50
    assert ladder.steps[50].price == D("750000.00") and ladder.steps[50].antidumping
    assert not ladder.steps[49].antidumping
    assert ladder.steps[60].elapsed == timedelta(minutes=600)
    assert ladder.duration == timedelta(minutes=610)
    assert ladder.right_to_conclude_step == 199  # 1 000 000 - 199 * 5 000 = 5 000 = 0.5% of NMCK
    assert ladder.steps[1].reduction_percent == D("0.50")


def test_ladder_off_grid_floor_and_bad_input() -> None:
    ladder = build_ladder(RULES, D("702500.00"), D("1"))
    assert (ladder.step, ladder.steps_to_floor, ladder.lowest_price) == (D("10000.00"), 29, D("710000.00"))
    with pytest.raises(InvalidInput, match="above NMCK"):
        build_ladder(RULES, D("1000000.01"), D("0.5"))
    with pytest.raises(InvalidInput, match="outside the allowed band"):
        build_ladder(RULES, D("700000.00"), D("5.5"))


def _walks(*rubles: int) -> np.ndarray:
    return np.array([[r * RUB for r in rubles]], dtype=np.int64)


def _play(our_walk: int, competitors: np.ndarray, strategies: list[int], runs: int, seed: int = 1, **kw):
    return run_auctions(
        RULES,
        np.full(runs, our_walk * RUB, dtype=np.int64),
        5000 * RUB,
        np.repeat(competitors, runs, axis=0),
        np.array([strategies] * runs, dtype=np.int8),
        np.random.default_rng(seed),
        **kw,
    )


def test_min_step_war_ends_one_step_around_the_second_walk_away() -> None:
    outcomes = _play(700_000, _walks(800_000), [MIN_STEP], runs=400)
    assert set(outcomes.winner.tolist()) == {0}
    assert set((outcomes.final // RUB).tolist()) == {795_000, 800_000}


def test_aggressive_competitor_never_goes_below_its_walk_away() -> None:
    outcomes = _play(900_000, _walks(800_000), [AGGRESSIVE], runs=400)
    assert set(outcomes.winner.tolist()) == {1}
    assert outcomes.final.min() >= 800_000 * RUB
    assert outcomes.final.max() < 905_000 * RUB  # we stop once a minimum step would cross 900 000
    assert len(set(outcomes.final.tolist())) > 10  # jumps of random size


def test_a_sniper_that_always_misses_loses_to_us() -> None:
    missing = _play(900_000, _walks(800_000), [SNIPER], runs=200, sniper_miss_probability=1.0)
    assert set(missing.winner.tolist()) == {0}
    assert set((missing.final // RUB).tolist()) == {995_000}
    hitting = _play(900_000, _walks(800_000), [SNIPER], runs=200, sniper_miss_probability=0.0)
    assert set(hitting.winner.tolist()) == {1}


@pytest.mark.parametrize(("policy", "winners"), [("review_at_nmck", {0, 1}), ("failed", {-1})])
def test_nobody_bids(policy: str, winners: set[int]) -> None:
    rules = AuctionRules.for_44fz(NMCK, no_offers_policy=policy)
    outcomes = run_auctions(
        rules,
        np.full(200, 999_000 * RUB, dtype=np.int64),
        5000 * RUB,
        np.full((200, 1), 999_000 * RUB, dtype=np.int64),
        np.zeros((200, 1), dtype=np.int8),
        np.random.default_rng(3),
    )
    assert set(outcomes.winner.tolist()) == winners
    assert set(outcomes.final.tolist()) == {1_000_000 * RUB}


def _params(**overrides) -> SimulationParams:
    values = dict(nmck=NMCK, cost=D("600000.00"), margin_percent=D("10"), runs=4000, seed=11)
    values.update(overrides)
    return SimulationParams(**values)


def test_seeded_simulation_is_reproducible() -> None:
    first, second = simulate(_params()).to_dict(), simulate(_params()).to_dict()
    assert first == second
    assert simulate(_params(seed=12)).to_dict()["win_probability"] != first["win_probability"]


def test_simulation_figures_are_consistent() -> None:
    result = simulate(_params(securities=SecurityTerms(contract_percent=D("10"))))
    assert (result.floor, result.cost, result.steps_to_floor) == (D("660000.00"), D("600000.00"), 68)
    assert 0.2 < result.win_probability < 0.8
    assert D("660000.00") <= result.expected_price <= NMCK
    assert result.expected_profit > 0
    assert result.at_floor.required == D("150000.00")
    assert result.at_floor.extra_guarantee_cost == D("1500.00")
    assert D("660000.00") <= result.recommended_walk_away < NMCK
    probabilities = [p.win_probability for p in result.curve]
    assert probabilities[0] > probabilities[-1]
    assert D("750000.01") in [p.walk_away for p in result.curve]
    for value in result.to_dict().values():
        assert not isinstance(value, float) or 0 <= value <= 1  # floats are probabilities, never money


def test_expensive_antidumping_pushes_the_walk_away_above_the_threshold() -> None:
    terms = SecurityTerms(contract_percent=D("30"), guarantee_rate_percent=D("100"))  # 150 000 a year
    result = simulate(_params(cost=D("700000.00"), margin_percent=D("0"), securities=terms))
    assert result.at_floor.extra_guarantee_cost == D("150000.00")
    assert result.recommended_walk_away > D("750000.00")


def test_single_application_gets_nmck() -> None:
    result = simulate(_params(competitors=CompetitorModel(count=0)))
    assert (result.win_probability, result.expected_price) == (1.0, NMCK)
    assert result.expected_profit == D("400000.00")


def test_floor_given_directly_is_the_break_even() -> None:
    result = simulate(_params(cost=None, margin_percent=D("0"), floor=D("700000.00")))
    assert (result.floor, result.cost, result.steps_to_floor) == (D("700000.00"), D("700000.00"), 60)


def test_floor_rounds_up_so_the_margin_is_kept() -> None:
    assert _params(cost=D("100.00"), margin_percent=D("3.333")).resolved_floor() == (D("103.34"), D("100.00"))


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"cost": None, "margin_percent": D("0"), "floor": D("1000000.01")}, InvalidInput, "above NMCK"),
        ({"cost": D("-1.00")}, InvalidInput, "cost must not be negative"),
        ({"cost": D("1.00"), "floor": D("2.00")}, InvalidInput, "not both"),
        ({"cost": D("4000.00")}, InvalidInput, "right to conclude"),
        ({"kind": "quotation"}, NoAuctionHeld, "quotation: no price bidding"),
        ({"step_percent": D("0.4")}, InvalidInput, "outside the allowed band"),
        ({"runs": 0}, InvalidInput, "runs must be"),
        ({"margin_percent": D("-5")}, InvalidInput, "margin must not be negative"),
        ({"seed": -1}, InvalidInput, "seed must be a non-negative integer, got -1"),
        ({"cost": None, "floor": D("700000.00")}, InvalidInput, "margin applies to a cost"),
        ({"nmck": "1e30"}, InvalidInput, r"NMCK: 1E\+30 is too large \(at most 1 000 000 000 000 000\)"),
        ({"cost": "1e400"}, InvalidInput, r"cost: 1E\+400 is too large"),
        ({"margin_percent": D("1e14")}, InvalidInput, "plus margin 1E\\+14% is above NMCK"),
    ],
)
def test_impossible_simulations(overrides: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        simulate(_params(**overrides))


def test_223fz_runs_on_explicit_customer_rules() -> None:
    rules = AuctionRules.for_223fz(
        NMCK, step_min_percent=D("1"), step_max_percent=D("3"), timer=timedelta(minutes=20)
    )
    result = simulate(_params(law="223-FZ", rules=rules, step_percent=D("1")))
    assert (result.step, result.antidumping_threshold, result.at_floor.antidumping) == (
        D("10000.00"),
        None,
        False,
    )
    assert result.ladder.duration == timedelta(minutes=20 * 35)
    assert any("Положение" in note for note in result.notes)


def test_the_default_prior_is_the_assumption_model() -> None:
    assert DEFAULT_PRIOR.mean_discount == pytest.approx(0.25)
    assert "default prior" in DEFAULT_PRIOR.source


def test_empirical_prior_draws_how_many_show_up() -> None:
    rng = np.random.default_rng(1)
    nobody = EmpiricalPrior(discounts=(0.2,) * 5, participants=(0,), source="s")
    assert (nobody.sample_kopecks(rng, 100_000, (50, 4)) == 100_000).all()  # NMCK: never bids
    three = EmpiricalPrior(discounts=(0.2,) * 5, participants=(3,), source="s")
    walks = three.sample_kopecks(rng, 100_000, (50, 5))
    assert (walks[:, :3] == 80_000).all() and (walks[:, 3:] == 100_000).all()
    mixed = EmpiricalPrior(discounts=(0.2,) * 5, participants=(1, 4), source="s")
    present = (mixed.sample_kopecks(rng, 100_000, (4000, 6)) < 100_000).sum(axis=1)
    assert set(np.unique(present)) == {1, 4}
    assert (present == 4).mean() == pytest.approx(0.5, abs=0.03)


def test_empirical_prior_makes_the_runner_up_of_five_as_deep_as_the_winners() -> None:
    """Winners' discounts uniform on 0..50 % with five bidders each: a descending auction ends at
    the second-deepest walk-away, so that order statistic of five drawn walk-aways must again be
    uniform on 0..50 % (median 25 %, quartiles 12.5 % and 37.5 %) while a single walk-away is
    shallower: its median is G's quantile at φ(1/2) = 0.1875, i.e. 9.4 %."""
    winners = tuple(i / 200 for i in range(101))  # 0, 0.5 % ... 50 %
    prior = EmpiricalPrior(discounts=winners, participants=(5,) * 9, source="s")
    assert prior.bidders == 5
    nmck = 10_000_000
    discounts = 1 - prior.sample_kopecks(np.random.default_rng(2), nmck, (20_000, 5)) / nmck
    runner_up = np.sort(discounts, axis=1)[:, -2]
    assert np.quantile(runner_up, [0.25, 0.5, 0.75]) == pytest.approx([0.125, 0.25, 0.375], abs=0.01)
    assert np.median(discounts) == pytest.approx(0.09375, abs=0.01)


@pytest.mark.parametrize(
    ("discounts", "participants", "problem"),
    [
        ((0.1,) * 4, (3,), "needs 5 auctions"),
        ((0.1,) * 5, (), "at least one purchase"),
        ((0.3, 0.1, 0.2, 0.4, 0.5), (3,), "sorted"),
    ],
)
def test_empirical_prior_refuses_what_calibrates_nothing(discounts, participants, problem) -> None:
    with pytest.raises(InvalidInput, match=problem):
        EmpiricalPrior(discounts=discounts, participants=participants, source="segment")


def test_simulate_says_which_prior_it_used() -> None:
    prior = EmpiricalPrior(
        discounts=(0.05, 0.1, 0.15, 0.2, 0.3), participants=(2, 3, 4), source="ОКПД2 26.20: 5 auctions"
    )
    params = _params(seed=3, runs=2000, competitors=CompetitorModel(count=4, prior=prior))
    result = simulate(params)
    assert result.prior is prior
    assert result.to_dict()["prior"] == "ОКПД2 26.20: 5 auctions"


def test_recommended_floor_reports_the_headline_figures() -> None:
    result = simulate(_params(cost=None, margin_percent=D("0"), floor=D("700000.00"), seed=1))
    assert result.recommended_walk_away == result.floor == D("700000.00")
    assert (result.recommended_win_probability, result.recommended_expected_profit) == (
        result.win_probability,
        result.expected_profit,
    )
    assert (result.win_probability, result.expected_profit) == (0.34925, D("22930.72"))
    # the curve's own floor point is a separate sample, which is why it is not reported as such
    assert (result.curve[0].win_probability, result.curve[0].expected_profit) == (0.3605, D("24518.25"))
    assert "win curve: 2000 auctions per walk-away price on common competitor draws" in result.notes[-2]
