"""Monte Carlo of the descending auction, vectorised over runs with NumPy (int64 kopecks inside).

Model, per run: we and ``count`` competitors each have a walk-away price (the lowest price one will
offer). Competitors' walk-aways come from a ``WalkAwayPrior``; ours is the floor being evaluated.
Each round one bidder who is not the leader and can still beat the best price by the minimum step
files an improving offer; the round loop ends when nobody can, when a sniper misses the close, or
when nobody bid at all. Offers follow the Art. 49 rules by construction (every offer improves the
best by at least the minimum and at most the maximum step and stays above the right-to-conclude
zone); ``tests/bidder/test_auction_properties.py`` replays traces through the validator.

Strategies (the CLI's ``--strategy``; ``mixed`` draws one per competitor and run from ``mix``):

* ``min_step``: improves by exactly the minimum step (0.5% of NMCK under 44-FZ);
* ``aggressive``: jumps by a uniformly drawn step in the whole band (0.5-5%), never below its walk-away;
* ``sniper``: bids the minimum step in the last seconds of the timer: it yields to anyone else who
  still wants to bid and, when it is the only one left, misses the close with
  ``sniper_miss_probability`` (default 5%; network latency at the last second), ending the auction.

We bid with our chosen step (clipped to the floor) as soon as we are outbid.

Two competitor priors (``CompetitorPrior``):

* the assumption model (``DEFAULT_PRIOR``, a ``WalkAwayPrior``): a competitor's maximum discount vs
  NMCK ~ Beta(2.5, 7.5), capped at 90%: mean 25%, 90% of competitors stop above a 41% discount.
  With 3-4 applicants per lot (reference §1.6: 3.12 in 2019, 3.42 in Q3 2020) the simulated average
  reduction is 25-30%, in line with the ~28% average 44-FZ reduction cited in §1.6 (anecdotal);
* the calibrated model (``EmpiricalPrior``): the number of competitors and their walk-aways drawn
  from the stored results of the purchase's market segment (``data.store.segments``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field
from typing import Literal
from typing import Protocol

import numpy as np

from bidder.auction.money import to_kopecks
from bidder.auction.rules import AuctionRules
from bidder.errors import InvalidInput

log = logging.getLogger(__name__)

Strategy = Literal["min_step", "aggressive", "sniper", "mixed"]
STRATEGIES: tuple[str, ...] = ("min_step", "aggressive", "sniper")
MIN_STEP, AGGRESSIVE, SNIPER, OURS = 0, 1, 2, 3
DEFAULT_MIX = (0.5, 0.3, 0.2)
"""Share of min-step, aggressive and sniping competitors in ``mixed`` (an assumption, not data)."""

US = 0
"""Our column in the bidder arrays; competitors are 1..count."""


@dataclass(frozen=True)
class WalkAwayPrior:
    """A competitor's maximum discount vs NMCK ~ Beta(alpha, beta), capped at ``max_discount``."""

    alpha: float = 2.5
    beta: float = 7.5
    max_discount: float = 0.9
    source: str = "default prior: discount ~ Beta(2.5, 7.5), mean 25% (reference §1.6)"

    def __post_init__(self) -> None:
        if self.alpha <= 0 or self.beta <= 0:
            raise InvalidInput(
                f"walk-away prior needs positive Beta parameters, got {self.alpha}, {self.beta}"
            )
        if not 0 < self.max_discount < 1:
            raise InvalidInput(f"walk-away prior max discount must be within (0, 1), got {self.max_discount}")

    @property
    def mean_discount(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    def sample_kopecks(
        self, rng: np.random.Generator, nmck_kopecks: int, shape: tuple[int, ...]
    ) -> np.ndarray:
        discount = np.minimum(rng.beta(self.alpha, self.beta, size=shape), self.max_discount)
        return nmck_kopecks - np.rint(discount * nmck_kopecks).astype(np.int64)


class CompetitorPrior(Protocol):
    """Where the competitors' walk-away prices come from (and, for the calibrated model, how many
    of the ``CompetitorModel.count`` columns show up in a run)."""

    @property
    def source(self) -> str: ...

    def sample_kopecks(
        self, rng: np.random.Generator, nmck_kopecks: int, shape: tuple[int, ...]
    ) -> np.ndarray:
        """Walk-away prices (kopecks) of shape ``(runs, competitors)``; NMCK for one who never bids."""
        ...


DEFAULT_PRIOR = WalkAwayPrior()

MIN_CALIBRATION_AUCTIONS = 5
"""Fewer auctions with a price competition than this calibrate nothing: the assumption model stays."""


@dataclass(frozen=True)
class EmpiricalPrior:
    """Competitors drawn from a market segment's stored auctions.

    Per run, the number of competitors is drawn from the segment's applications per purchase (0
    and 1 included: nobody, or one rival to beat). Each competitor's walk-away discount is drawn
    from the segment's *winning* discounts corrected for what a winning discount is: in a
    descending auction the winner only has to beat the runner-up, so the final price sits one
    step below the second-deepest walk-away of the ``k`` bidders. With F one bidder's walk-away
    distribution, the winners' G is then φ(F) with φ(p) = p^k + k·p^(k-1)·(1-p) (the second
    largest of k), so a walk-away is sampled as G's quantile at φ(U), U uniform. ``k`` is the
    median number of bidders of the segment's auctions that had a price competition. Without
    the correction every competitor would bid as deep as a typical winner's price.
    """

    discounts: tuple[float, ...]
    """Winning discounts (0-1) of the segment's auctions with two or more applications, ascending."""
    participants: tuple[int, ...]
    """Applications per finished purchase of the segment."""
    source: str

    def __post_init__(self) -> None:
        if len(self.discounts) < MIN_CALIBRATION_AUCTIONS:
            raise InvalidInput(
                f"{self.source}: needs {MIN_CALIBRATION_AUCTIONS} auctions with a winning discount, "
                f"got {len(self.discounts)}"
            )
        if not self.participants or min(self.participants) < 0:
            raise InvalidInput(f"{self.source}: needs the applications of at least one purchase")
        if any(b < a for a, b in zip(self.discounts, self.discounts[1:], strict=False)):
            raise InvalidInput(f"{self.source}: discounts must be sorted ascending")

    @property
    def bidders(self) -> int:
        """``k``: the median number of applications in auctions that had a price competition."""
        competitive = sorted(n for n in self.participants if n >= 2)
        return competitive[len(competitive) // 2] if competitive else 2

    @property
    def most_competitors(self) -> int:
        return max(self.participants)

    def sample_kopecks(
        self, rng: np.random.Generator, nmck_kopecks: int, shape: tuple[int, ...]
    ) -> np.ndarray:
        runs, width = shape
        discounts = np.asarray(self.discounts)
        u, k = rng.random(shape), self.bidders
        second_largest = u**k + k * u ** (k - 1) * (1 - u)  # φ(U): the correction of the docstring
        index = np.minimum((second_largest * discounts.size).astype(np.int64), discounts.size - 1)
        walks = nmck_kopecks - np.rint(discounts[index] * nmck_kopecks).astype(np.int64)
        present = np.minimum(rng.choice(np.asarray(self.participants), size=runs), width)
        walks[np.arange(width)[None, :] >= present[:, None]] = nmck_kopecks
        return walks


@dataclass(frozen=True)
class CompetitorModel:
    count: int = 3
    strategy: Strategy = "mixed"
    mix: tuple[float, float, float] = DEFAULT_MIX
    sniper_miss_probability: float = 0.05
    prior: CompetitorPrior = field(default=DEFAULT_PRIOR)

    def __post_init__(self) -> None:
        if not 0 <= self.count <= 50:
            raise InvalidInput(f"competitors must be between 0 and 50, got {self.count}")
        if self.strategy not in (*STRATEGIES, "mixed"):
            raise InvalidInput(
                f"unknown strategy {self.strategy!r}; use one of {', '.join((*STRATEGIES, 'mixed'))}"
            )
        if len(self.mix) != 3 or min(self.mix) < 0 or abs(sum(self.mix) - 1) > 1e-9:
            raise InvalidInput(f"strategy mix must be three non-negative shares summing to 1, got {self.mix}")
        if not 0 <= self.sniper_miss_probability <= 1:
            raise InvalidInput(
                f"sniper miss probability must be within 0..1, got {self.sniper_miss_probability}"
            )

    def draw_strategies(self, rng: np.random.Generator, runs: int) -> np.ndarray:
        if self.strategy == "mixed":
            return rng.choice(3, size=(runs, self.count), p=self.mix).astype(np.int8)
        return np.full((runs, self.count), STRATEGIES.index(self.strategy), dtype=np.int8)


@dataclass
class Outcomes:
    """Per run: the final price (kopecks), the winner's column (-1: no contract) and the offer trace."""

    final: np.ndarray
    winner: np.ndarray
    rounds: int
    trace: list[list[tuple[int, int]]] | None = None

    @property
    def we_win(self) -> np.ndarray:
        return self.winner == US


@dataclass
class _Batch:
    """The runs still going; compacted when enough of them have finished."""

    rows: np.ndarray
    price: np.ndarray
    leader: np.ndarray
    walk: np.ndarray
    jump_low: np.ndarray
    jump_high: np.ndarray
    priority: np.ndarray
    alive: np.ndarray

    def keep(self, mask: np.ndarray) -> _Batch:
        return _Batch(*(getattr(self, name)[mask] for name in self.__dataclass_fields__))


def run_auctions(
    rules: AuctionRules,
    our_walk: np.ndarray,
    our_step: int,
    competitor_walk: np.ndarray,
    strategies: np.ndarray,
    rng: np.random.Generator,
    *,
    sniper_miss_probability: float = 0.05,
    record_trace: bool = False,
) -> Outcomes:
    """Play ``len(our_walk)`` auctions at once; amounts are int64 kopecks, our column is 0."""
    runs = our_walk.shape[0]
    nmck = to_kopecks(rules.nmck)
    step_min, step_max = to_kopecks(rules.step_min), to_kopecks(rules.step_max)
    codes = np.concatenate([np.full((runs, 1), OURS, dtype=np.int8), strategies], axis=1)
    walk = np.concatenate([our_walk[:, None], competitor_walk], axis=1).astype(np.int64)
    walk = np.maximum(walk, _lowest_descending_price(rules))
    batch = _Batch(
        rows=np.arange(runs),
        price=np.full(runs, nmck, dtype=np.int64),
        leader=np.full(runs, -1, dtype=np.int64),
        walk=walk,
        jump_low=np.where(codes == OURS, our_step, step_min).astype(np.int64),
        jump_high=np.where(codes == OURS, our_step, np.where(codes == AGGRESSIVE, step_max, step_min)).astype(
            np.int64
        ),
        priority=np.where(codes == SNIPER, 2, 3).astype(np.float32),
        alive=np.ones(runs, dtype=bool),
    )
    final = np.full(runs, nmck, dtype=np.int64)
    winner = np.full(runs, -1, dtype=np.int64)
    trace: list[list[tuple[int, int]]] | None = [[] for _ in range(runs)] if record_trace else None
    rounds = 0
    while batch.rows.size:
        rounds += 1
        ended = _play_round(batch, step_min, rng, sniper_miss_probability, trace)
        final[batch.rows[ended]] = batch.price[ended]
        winner[batch.rows[ended]] = batch.leader[ended]
        if batch.alive.sum() < 0.85 * batch.alive.size:
            batch = batch.keep(batch.alive)
    _settle_no_offers(rules, winner, walk.shape[1], rng)
    return Outcomes(final=final, winner=winner, rounds=rounds, trace=trace)


def _play_round(
    batch: _Batch,
    step_min: int,
    rng: np.random.Generator,
    miss_probability: float,
    trace: list[list[tuple[int, int]]] | None,
) -> np.ndarray:
    """One improving offer in every live run that still has a willing bidder; returns runs that ended."""
    size, bidders = batch.walk.shape
    lines = np.arange(size)
    willing = batch.walk <= (batch.price - step_min)[:, None]
    led = batch.leader >= 0
    willing[lines[led], batch.leader[led]] = False
    willing &= batch.alive[:, None]
    anyone = willing.any(axis=1)
    # Random order among the willing; snipers wait until nobody else wants to bid.
    keys = rng.random((size, bidders), dtype=np.float32)
    keys += willing * batch.priority
    chosen = keys.argmax(axis=1)
    missed = anyone & (batch.priority[lines, chosen] == 2) & (rng.random(size) < miss_probability)
    bids = anyone & ~missed
    low, high = batch.jump_low[lines, chosen], batch.jump_high[lines, chosen]
    jump = low + np.floor(rng.random(size) * (high - low + 1)).astype(np.int64)
    amount = np.maximum(batch.price - jump, batch.walk[lines, chosen])
    batch.price = np.where(bids, amount, batch.price)
    batch.leader = np.where(bids, chosen, batch.leader)
    if trace is not None:
        for line in np.flatnonzero(bids):
            trace[batch.rows[line]].append((int(chosen[line]), int(amount[line])))
    ended = batch.alive & ~bids
    batch.alive = bids
    return ended


def _lowest_descending_price(rules: AuctionRules) -> int:
    """Walk-aways are kept above the right-to-conclude zone: the model covers descending bidding only."""
    threshold = rules.right_to_conclude_threshold
    return 1 if threshold is None else to_kopecks(threshold) + 1


def _settle_no_offers(
    rules: AuctionRules, winner: np.ndarray, bidders: int, rng: np.random.Generator
) -> None:
    """No offer at all: the applications are reviewed at NMCK, ranked by filing time (a random
    applicant here), or the auction failed, per ``rules.no_offers_policy``."""
    silent = winner < 0
    if not silent.any() or rules.no_offers_policy == "failed":
        return
    winner[silent] = rng.integers(0, bidders, size=int(silent.sum()))
