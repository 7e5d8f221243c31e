"""Backtest: how well a competitor model predicted auctions that have already ended.

For each past auction (its NMCK, the real winning discount and, when the protocol ranks it, the
runner-up's discount) the model's competitors are drawn ``draws`` times with the same
``sample_kopecks`` the simulator uses. Two figures per model:

* **predicted winning discount**: the median over the draws of the second-deepest competitor
  walk-away (a descending auction ends one step below it; with fewer than two bidders there is
  no price competition and no discount). Compared with the real one: mean absolute error in
  percentage points.
* **win probability at a price**: the chance that a bidder who takes one participant's place and
  goes down to that price wins, i.e. that none of the other drawn participants walks away deeper.
  At the real winner's price the event happened (whoever bid down to it won: outcome 1); at the
  runner-up's price it did not (the winner went deeper: outcome 0). The Brier
  score is the mean squared difference over both events of every auction (0 is perfect; a
  model that always says 50 % scores 0.25).

Pure: the caller chooses each auction's model (``bidder.market`` calibrates it on the
results decided before that auction, so no model sees the auction it predicts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from bidder.auction.money import to_kopecks
from bidder.auction.montecarlo import CompetitorModel
from bidder.errors import InvalidInput


@dataclass(frozen=True)
class PastAuction:
    nmck: Decimal
    winning_discount: float
    """0-1: (NMCK - final price) / NMCK."""
    runner_up_discount: float | None = None


@dataclass(frozen=True)
class BacktestFigures:
    auctions: int
    discount_mae_points: float
    """Mean absolute error of the predicted winning discount, percentage points."""
    brier: float
    events: int
    """Win-probability events scored: the winner's price of every auction, the runner-up's where known."""
    predicted_median_discount: float
    actual_median_discount: float


def backtest(
    auctions: Sequence[PastAuction], models: Sequence[CompetitorModel], *, draws: int = 2000, seed: int = 0
) -> BacktestFigures:
    """Score ``models[i]`` on ``auctions[i]`` for every i."""
    if len(auctions) != len(models):
        raise InvalidInput(f"{len(auctions)} auctions but {len(models)} models")
    if not auctions:
        raise InvalidInput("no past auction to backtest on")
    rng = np.random.default_rng(seed)
    errors: list[float] = []
    squared: list[float] = []
    predicted: list[float] = []
    for auction, model in zip(auctions, models, strict=True):
        second, rivals = _draw(model, auction.nmck, draws, rng)
        predicted.append(float(np.median(second)))
        errors.append(abs(predicted[-1] - auction.winning_discount) * 100)
        squared.append((float((rivals < auction.winning_discount).mean()) - 1.0) ** 2)
        if auction.runner_up_discount is not None:
            squared.append(float((rivals < auction.runner_up_discount).mean()) ** 2)
    return BacktestFigures(
        auctions=len(auctions),
        discount_mae_points=float(np.mean(errors)),
        brier=float(np.mean(squared)),
        events=len(squared),
        predicted_median_discount=float(np.median(predicted)),
        actual_median_discount=float(np.median([a.winning_discount for a in auctions])),
    )


def _draw(
    model: CompetitorModel, nmck: Decimal, draws: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Per draw: the second-deepest participant's discount (where the auction ends) and the deepest
    of the participants but the first (the rivals of a bidder taking its place); 0 where nobody is."""
    if model.count == 0:
        zeros = np.zeros(draws)
        return zeros, zeros
    kopecks = to_kopecks(nmck)
    discounts = 1 - model.prior.sample_kopecks(rng, kopecks, (draws, model.count)) / kopecks
    ordered = np.sort(discounts, axis=1)
    second = ordered[:, -2] if model.count >= 2 else np.zeros(draws)
    rivals = discounts[:, 1:].max(axis=1) if model.count >= 2 else np.zeros(draws)
    return second, rivals
