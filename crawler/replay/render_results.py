"""Protocols as the EIS publishes them: ``export/epProtocolEF2020Final`` (scheme 16.2, "ep" layout).

Written after the real documents in tests/crawler/eis_results: the header and the applications
as in ``44fz_epProtocolEF2020Final_0338300003326000140.xml`` (commonInfo, protocolPublisherInfo,
protocolInfo/applicationsInfo/applicationInfo with appNumber, finalPrice, lastPriceOffer and the
commission's decision in admittedInfo/appAdmittedInfo), the participant's identity in
``appParticipantInfo/legalEntityRFInfo`` (common namespace) as in the 2019 ep-layout
``44fz_epProtocolEZK2_…``: a real 2020 auction protocol is anonymous, the generated one names its
participants so that the competitor reports have someone to show. No signatures, no commission.
"""

from __future__ import annotations

from lxml import etree

from crawler.replay.model import iso_dt
from crawler.replay.model import plain_decimal
from crawler.replay.render44 import EXPORT_NSMAP
from crawler.replay.render44 import NS
from crawler.replay.xmlkit import Builder
from crawler.replay.xmlkit import serialize
from data.results import ProtocolResult

SCHEME_VERSION = "16.2"


def render_protocol(
    protocol: ProtocolResult, *, publisher_inn: str | None, publisher_name: str | None
) -> bytes:
    b = Builder(NS)
    root = etree.Element(b.qname("EXP", "export"), nsmap=EXPORT_NSMAP)
    doc = b.add(root, "EXP", protocol.document)
    doc.set("schemeVersion", SCHEME_VERSION)
    b.leaves(doc, "EP", [("id", protocol.doc_id), ("versionNumber", protocol.version)])
    common = b.add(doc, "EP", "commonInfo")
    b.leaves(
        common,
        "EP",
        [
            ("purchaseNumber", protocol.purchase_number),
            ("docNumber", "ИЭА1"),
            ("publishDTInEIS", iso_dt(protocol.published_at) if protocol.published_at else None),
            ("href", protocol.url),
        ],
    )
    publisher = b.add(b.add(doc, "EP", "protocolPublisherInfo"), "EP", "publisherOrg")
    b.leaves(publisher, "EP", [("fullName", publisher_name), ("INN", publisher_inn)])
    applications = b.add(b.add(doc, "EP", "protocolInfo"), "EP", "applicationsInfo")
    for bid in protocol.bids:
        app = b.add(applications, "EP", "applicationInfo")
        b.leaves(b.add(app, "EP", "commonInfo"), "EP", [("appNumber", bid.app_number)])
        if bid.participant_inn or bid.participant_name:
            person = b.add(b.add(app, "EP", "appParticipantInfo"), "CMN", "legalEntityRFInfo")
            b.leaves(person, "CMN", [("fullName", bid.participant_name), ("INN", bid.participant_inn)])
        if bid.price is not None:
            b.add(app, "EP", "finalPrice", plain_decimal(bid.price))
            b.add(b.add(app, "EP", "lastPriceOffer"), "EP", "price", plain_decimal(bid.price))
        if bid.admitted is not None:
            decision = b.add(b.add(app, "EP", "admittedInfo"), "EP", "appAdmittedInfo")
            b.add(decision, "EP", "admitted", "true" if bid.admitted else "false")
            if bid.rank is not None:
                b.add(decision, "EP", "appRating", bid.rank)
    return serialize(root, standalone=True)
