"""Vocabularies the snapshot draws from: regions, what is bought, who buys, where it is traded.

Every value here imitates what the EIS really publishes (GAR-style region names, OKPD2/KTRU codes,
OKEI units, ETP names and codes, placing-way codes), so documents built from it look like the
real thing to a parser. None of it is copied from the sample documents. One module per
vocabulary: ``regions``, ``goods``, ``trade``.
"""

from __future__ import annotations

from crawler.replay.catalog.goods import CATEGORIES
from crawler.replay.catalog.goods import UNITS
from crawler.replay.catalog.goods import Category
from crawler.replay.catalog.goods import Good
from crawler.replay.catalog.goods import Unit
from crawler.replay.catalog.regions import REGION_WEIGHTS
from crawler.replay.catalog.regions import REGIONS
from crawler.replay.catalog.regions import STREETS
from crawler.replay.catalog.regions import Region
from crawler.replay.catalog.trade import ATTACHMENT_KINDS
from crawler.replay.catalog.trade import BID_SECURITY_BAND_LIMIT
from crawler.replay.catalog.trade import BID_SECURITY_FREE_LIMIT
from crawler.replay.catalog.trade import CUSTOMER_TEMPLATES_44
from crawler.replay.catalog.trade import CUSTOMER_TEMPLATES_223
from crawler.replay.catalog.trade import ETPS
from crawler.replay.catalog.trade import ETPS_223
from crawler.replay.catalog.trade import METHODS_44
from crawler.replay.catalog.trade import METHODS_223
from crawler.replay.catalog.trade import NOTICE_ROOT_44
from crawler.replay.catalog.trade import SMALL_PURCHASE_44
from crawler.replay.catalog.trade import STATUS_CANCELLED_44
from crawler.replay.catalog.trade import STATUS_CANCELLED_223
from crawler.replay.catalog.trade import STATUS_DONE_44
from crawler.replay.catalog.trade import STATUS_DONE_223
from crawler.replay.catalog.trade import STATUS_OPEN_44
from crawler.replay.catalog.trade import STATUS_OPEN_223
from crawler.replay.catalog.trade import STATUS_REVIEW_44
from crawler.replay.catalog.trade import STATUS_REVIEW_223
from crawler.replay.catalog.trade import Etp
from crawler.replay.catalog.trade import Method

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
