"""Monte Carlo auctions per second: the NumPy engine against a pure-Python loop over the same model.

Run: ``.venv/bin/python benchmarks/bench_auction.py [--quick|--full]``. The baseline plays the
same auctions (same walk-aways and strategies) one offer at a time in plain Python for a small
sample and is extrapolated; both figures come from this run on this machine.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bidder.auction import AuctionRules
from bidder.auction import CompetitorModel
from bidder.auction import SimulationParams
from bidder.auction import run_auctions
from bidder.auction import simulate
from bidder.auction.money import to_kopecks
from bidder.auction.montecarlo import AGGRESSIVE
from bidder.auction.montecarlo import SNIPER

NMCK = Decimal("1000000.00")


def python_auction(walks: list[int], codes: list[int], nmck: int, step_min: int, step_max: int, our_step: int,
                   miss: float, rnd: random.Random) -> tuple[int, int]:  # fmt: skip
    """One auction of the Monte Carlo model, offer by offer."""
    price, leader = nmck, -1
    while True:
        willing = [b for b, w in enumerate(walks) if b != leader and w <= price - step_min]
        if not willing:
            return price, leader
        eager = [b for b in willing if codes[b] != SNIPER]
        bidder = rnd.choice(eager or willing)
        if not eager and rnd.random() < miss:
            return price, leader
        if bidder == 0:
            jump = our_step
        elif codes[bidder] == AGGRESSIVE:
            jump = rnd.randint(step_min, step_max)
        else:
            jump = step_min
        price, leader = max(price - jump, walks[bidder]), bidder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="20,000 auctions, 500 in the Python baseline")
    size.add_argument("--full", action="store_true", help="1,000,000 auctions, 20,000 in the Python baseline")
    args = parser.parse_args()
    runs, baseline_runs = (
        (20_000, 500) if args.quick else (1_000_000, 20_000) if args.full else (100_000, 4_000)
    )

    rules = AuctionRules.for_44fz(NMCK)
    model = CompetitorModel()
    nmck, step_min, step_max = to_kopecks(NMCK), to_kopecks(rules.step_min), to_kopecks(rules.step_max)
    rng = np.random.default_rng(2025)
    walks = model.prior.sample_kopecks(rng, nmck, (runs, model.count))
    codes = model.draw_strategies(rng, runs)
    our_walk = np.full(runs, to_kopecks(Decimal("660000.00")), dtype=np.int64)

    started = time.perf_counter()
    outcomes = run_auctions(rules, our_walk, step_min, walks, codes, rng)
    numpy_seconds = time.perf_counter() - started

    rnd = random.Random(2025)
    started = time.perf_counter()
    python_wins = 0
    for run in range(baseline_runs):
        row = [int(our_walk[run]), *map(int, walks[run])]
        row_codes = [3, *map(int, codes[run])]
        _, winner = python_auction(row, row_codes, nmck, step_min, step_max, step_min, 0.05, rnd)
        python_wins += winner == 0
    python_seconds = time.perf_counter() - started

    numpy_rate, python_rate = runs / numpy_seconds, baseline_runs / python_seconds
    print(f"auctions: {runs:,} NumPy ({outcomes.rounds} rounds), {baseline_runs:,} pure-Python baseline")
    print(f"NumPy engine : {numpy_seconds:8.3f} s  {numpy_rate:12,.0f} auctions/s")
    print(
        f"pure Python  : {python_seconds:8.3f} s  {python_rate:12,.0f} auctions/s "
        f"(extrapolated {runs / python_rate:.1f} s for {runs:,})"
    )
    print(f"speed-up     : {numpy_rate / python_rate:8.1f}x")
    print(
        f"win rate check: NumPy {outcomes.we_win.mean():.3f}, Python {python_wins / baseline_runs:.3f} "
        "(same model, different random streams)"
    )
    started = time.perf_counter()
    simulate(
        SimulationParams(
            nmck=NMCK, cost=Decimal("600000.00"), margin_percent=Decimal("10"), runs=runs, seed=1
        )
    )
    print(f"simulate() end to end with the win curve, {runs:,} runs: {time.perf_counter() - started:.3f} s")


if __name__ == "__main__":
    main()
