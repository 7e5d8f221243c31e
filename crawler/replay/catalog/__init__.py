"""Vocabularies the snapshot draws from: regions, what is bought, who buys, where it is traded.

Every value here imitates what the EIS really publishes (GAR-style region names, OKPD2/KTRU codes,
OKEI units, ETP names and codes, placing-way codes), so documents built from it look like the
real thing to a parser. None of it is copied from the sample documents. One module per
vocabulary: ``regions``, ``goods``, ``trade``.
"""

from __future__ import annotations

from crawler.replay.catalog.goods import (
    CATEGORIES,
    UNITS,
    Category,
    Good,
    Unit,
)
from crawler.replay.catalog.regions import (
    REGION_WEIGHTS,
    REGIONS,
    STREETS,
    Region,
)
from crawler.replay.catalog.trade import (
    ATTACHMENT_KINDS,
    BID_SECURITY_BAND_LIMIT,
    BID_SECURITY_FREE_LIMIT,
    CUSTOMER_TEMPLATES_44,
    CUSTOMER_TEMPLATES_223,
    ETPS,
    ETPS_223,
    METHODS_44,
    METHODS_223,
    NOTICE_ROOT_44,
    SMALL_PURCHASE_44,
    STATUS_CANCELLED_44,
    STATUS_CANCELLED_223,
    STATUS_DONE_44,
    STATUS_DONE_223,
    STATUS_OPEN_44,
    STATUS_OPEN_223,
    STATUS_REVIEW_44,
    STATUS_REVIEW_223,
    Etp,
    Method,
)

__all__ = [
    "ATTACHMENT_KINDS",
    "BID_SECURITY_BAND_LIMIT",
    "BID_SECURITY_FREE_LIMIT",
    "CATEGORIES",
    "CUSTOMER_TEMPLATES_44",
    "CUSTOMER_TEMPLATES_223",
    "ETPS",
    "ETPS_223",
    "METHODS_44",
    "METHODS_223",
    "NOTICE_ROOT_44",
    "REGIONS",
    "REGION_WEIGHTS",
    "SMALL_PURCHASE_44",
    "STATUS_CANCELLED_44",
    "STATUS_CANCELLED_223",
    "STATUS_DONE_44",
    "STATUS_DONE_223",
    "STATUS_OPEN_44",
    "STATUS_OPEN_223",
    "STATUS_REVIEW_44",
    "STATUS_REVIEW_223",
    "STREETS",
    "UNITS",
    "Category",
    "Etp",
    "Good",
    "Method",
    "Region",
    "Unit",
]
