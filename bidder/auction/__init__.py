"""44-FZ / 223-FZ electronic-auction simulator: rules and validator, securities and anti-dumping,
the deterministic ladder, a vectorised Monte Carlo and the ``simulate`` entry point.

Everything money is ``Decimal`` to the kopeck (see ``bidder.auction.money`` for the rounding).
"""

from bidder.auction.ladder import Ladder
from bidder.auction.ladder import LadderStep
from bidder.auction.ladder import build_ladder
from bidder.auction.montecarlo import DEFAULT_PRIOR
from bidder.auction.montecarlo import MIN_CALIBRATION_AUCTIONS
from bidder.auction.montecarlo import STRATEGIES
from bidder.auction.montecarlo import CompetitorModel
from bidder.auction.montecarlo import CompetitorPrior
from bidder.auction.montecarlo import EmpiricalPrior
from bidder.auction.montecarlo import Outcomes
from bidder.auction.montecarlo import Strategy
from bidder.auction.montecarlo import WalkAwayPrior
from bidder.auction.montecarlo import run_auctions
from bidder.auction.rules import RIGHT_TO_CONCLUDE_CAP
from bidder.auction.rules import AuctionOutcome
from bidder.auction.rules import AuctionRules
from bidder.auction.rules import AuctionState
from bidder.auction.rules import Offer
from bidder.auction.rules import OfferCheck
from bidder.auction.rules import OfferRefused
from bidder.auction.rules import Refusal
from bidder.auction.securities import BidSecurity
from bidder.auction.securities import ContractSecurity
from bidder.auction.securities import SecurityTerms
from bidder.auction.securities import antidumping_applies
from bidder.auction.securities import antidumping_threshold
from bidder.auction.securities import bid_security
from bidder.auction.securities import contract_security
from bidder.auction.securities import guarantee_cost
from bidder.auction.simulation import CurvePoint
from bidder.auction.simulation import SimulationParams
from bidder.auction.simulation import SimulationResult
from bidder.auction.simulation import simulate

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
