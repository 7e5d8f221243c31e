"""Property tests: every offer the Monte Carlo makes, replayed through the validator, is allowed,
and every simulated final price and winner is what the rules give."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from bidder.auction import AuctionRules
from bidder.auction import AuctionState
from bidder.auction import CompetitorModel
from bidder.auction import WalkAwayPrior
from bidder.auction import run_auctions
from bidder.auction.money import from_kopecks
from bidder.auction.money import to_kopecks
from bidder.auction.montecarlo import SNIPER

T0 = datetime(2025, 3, 10, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))
RUNS = 12


@settings(max_examples=40, deadline=None)
@given(
    nmck_kopecks=st.integers(min_value=10_000_00, max_value=5_000_000_000_00),
    competitors=st.integers(min_value=1, max_value=4),
    strategy=st.sampled_from(["min_step", "aggressive", "sniper", "mixed"]),
    floor_share=st.integers(min_value=10, max_value=100),
    step_permille=st.integers(min_value=5, max_value=50),
    max_discount=st.floats(min_value=0.05, max_value=0.99),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_simulated_auctions_obey_every_rule(
    nmck_kopecks, competitors, strategy, floor_share, step_permille, max_discount, seed
) -> None:
    nmck = from_kopecks(nmck_kopecks)
    rules = AuctionRules.for_44fz(nmck)
    rng = np.random.default_rng(seed)
    model = CompetitorModel(
        count=competitors, strategy=strategy, prior=WalkAwayPrior(max_discount=max_discount)
    )
    our_walk = np.full(RUNS, max(nmck_kopecks * floor_share // 100, to_kopecks(rules.step_min) + 1), np.int64)
    walks = model.prior.sample_kopecks(rng, nmck_kopecks, (RUNS, competitors))
    strategies = model.draw_strategies(rng, RUNS)
    our_step = to_kopecks(rules.step_amount(Decimal(step_permille) / 10))
    outcomes = run_auctions(rules, our_walk, our_step, walks, strategies, rng, record_trace=True)
    all_walks = np.concatenate([our_walk[:, None], walks], axis=1)
    for run in range(RUNS):
        state = AuctionState(rules, started_at=T0)
        for index, (bidder, amount) in enumerate(outcomes.trace[run]):
            at = T0 + timedelta(seconds=30 * (index + 1))
            check = state.submit(str(bidder), from_kopecks(amount), at)
            assert check.kind == "improving"
            assert amount >= all_walks[run, bidder]  # nobody goes below their walk-away
        assert state.mode == "descending"
        final = from_kopecks(outcomes.final[run])
        assert final > rules.right_to_conclude_threshold
        # The auction closed only when no non-leader who bids in time (anyone but a sniper) could improve.
        for bidder in range(competitors + 1):
            if bidder != outcomes.winner[run] and (bidder == 0 or strategies[run, bidder - 1] != SNIPER):
                assert all_walks[run, bidder] > outcomes.final[run] - to_kopecks(rules.step_min)
        if outcomes.trace[run]:
            result = state.outcome()
            assert (result.winner, result.price) == (str(outcomes.winner[run]), final)
        else:
            assert final == nmck
