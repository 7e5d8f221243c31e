"""Errors of the ``bidder`` package.

Callers (the CLI, the bot) catch ``BidderError`` and show its message as is, so every message names
the input and says what was wrong with it. An error that carries a module's own values lives in that
module on this base (``bidder.auction.rules.OfferRefused`` carries the rule check): no import circle.
"""

from __future__ import annotations


class BidderError(Exception):
    """Base of every error the bidder package raises on purpose."""


class InvalidInput(BidderError, ValueError):
    """An argument is impossible (negative cost, floor above NMCK, a float where money is expected...)."""


class NoAuctionHeld(BidderError):
    """The procurement method has no price bidding (quotation request, competition, single supplier)."""
