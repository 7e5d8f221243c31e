"""Errors of the ``bidder`` package.

Callers (the CLI, the bot) catch ``BidderError`` and show its message as is, so every message names
the input and says what was wrong with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bidder.auction.rules import OfferCheck


class BidderError(Exception):
    """Base of every error the bidder package raises on purpose."""


class InvalidInput(BidderError, ValueError):
    """An argument is impossible (negative cost, floor above NMCK, a float where money is expected...)."""


class NoAuctionHeld(BidderError):
    """The procurement method has no price bidding (quotation request, competition, single supplier)."""


class OfferRefused(BidderError):
    """An offer broke an auction rule; ``check`` carries the reason code and both messages."""

    def __init__(self, check: OfferCheck) -> None:
        self.check = check
        super().__init__(check.message_en)
