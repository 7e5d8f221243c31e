"""Composition root: the only package that imports crawler, bidder, bot and data together."""

__version__ = "0.1.0"
