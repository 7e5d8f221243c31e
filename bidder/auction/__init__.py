"""44-FZ / 223-FZ electronic-auction simulator: rules and validator, securities and anti-dumping,
the deterministic ladder, a vectorised Monte Carlo and the ``simulate`` entry point.

Everything money is ``Decimal`` to the kopeck (see ``bidder.auction.money`` for the rounding).
"""

from bidder.auction.ladder import Ladder, LadderStep, build_ladder
from bidder.auction.montecarlo import (
    DEFAULT_PRIOR,
    MIN_CALIBRATION_AUCTIONS,
    STRATEGIES,
    CompetitorModel,
    CompetitorPrior,
    EmpiricalPrior,
    Outcomes,
    Strategy,
    WalkAwayPrior,
    run_auctions,
)
from bidder.auction.rules import (
    RIGHT_TO_CONCLUDE_CAP,
    AuctionOutcome,
    AuctionRules,
    AuctionState,
    Offer,
    OfferCheck,
    OfferRefused,
    Refusal,
)
from bidder.auction.securities import (
    BidSecurity,
    ContractSecurity,
    SecurityTerms,
    antidumping_applies,
    antidumping_threshold,
    bid_security,
    contract_security,
    guarantee_cost,
)
from bidder.auction.simulation import CurvePoint, SimulationParams, SimulationResult, simulate

__all__ = [
    "DEFAULT_PRIOR",
    "MIN_CALIBRATION_AUCTIONS",
    "RIGHT_TO_CONCLUDE_CAP",
    "STRATEGIES",
    "AuctionOutcome",
    "AuctionRules",
    "AuctionState",
    "BidSecurity",
    "CompetitorModel",
    "CompetitorPrior",
    "ContractSecurity",
    "CurvePoint",
    "EmpiricalPrior",
    "Ladder",
    "LadderStep",
    "Offer",
    "OfferCheck",
    "OfferRefused",
    "Outcomes",
    "Refusal",
    "SecurityTerms",
    "SimulationParams",
    "SimulationResult",
    "Strategy",
    "WalkAwayPrior",
    "antidumping_applies",
    "antidumping_threshold",
    "bid_security",
    "build_ladder",
    "contract_security",
    "guarantee_cost",
    "run_auctions",
    "simulate",
]
