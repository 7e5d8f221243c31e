"""44-FZ protocols -> ``ProtocolResult``: who applied, at what price, who won, or why nobody did.

Two layouts, like the notices (``eis44``), told apart by ``commonInfo`` under the protocol:

* "ep" layout (``epProtocolEF2020Final``, ``epProtocolEF2020SubmitOffers``, ``epProtocolEZK2020Final``,
  ``epProtocolEOK2020Final`` and their 2019 forerunners ``epProtocolEZK2``, ``epProtocolEOK3``):
  header in ``commonInfo``, applications in ``protocolInfo/applicationsInfo/applicationInfo``, each
  with ``commonInfo/appNumber``, a price (``finalPrice``, else ``lastPriceOffer/price``, else the
  cost criterion's ``offer`` of a competition) and the commission's decision in
  ``admittedInfo/appAdmittedInfo`` (``admitted``, ``appRating``, a quotation's ``resultType``).
* "fcs" layout (``fcsProtocolEF2``/``EF3``, ``fcsProtocolEFSingleApp``, ``fcsProtocolEFInvalidation``
  ...): header flat, applications in ``protocolLot/applications/application`` (one
  ``protocolLot/application`` in a single-application protocol), ``journalNumber``, ``admitted``,
  ``appRating``, the price as ``winnerPrice`` (which, despite its name, is every participant's
  final offer) or ``priceOffers/lastOffer/price``; a failed procedure has ``protocolLot/abandonedReason``.

Traps the real documents set (tests/crawler/eis_results):

* ``admitted`` also appears once per commission member inside ``admissionResultsInfo`` (each
  member's vote). Only the decision in ``admittedInfo`` (ep) or the application's own
  ``admitted`` (fcs) counts: reading "any ``admitted``" would multiply the applications.
* 2020 protocols are anonymous (no INN or name): the winner's identity comes from the contract.
* A competition's winner need not be the cheapest (quality criteria): the winner is rank 1,
  never "the lowest price".

Which protocol kinds are read: those that carry prices or a final decision (``_READ``). The
others (first-part reviews ``fcsProtocolEF1``, ``EOK1``/``EOK2``, 615-PP protocols, appeals)
are ``NotANotice``: an import skips them as documents Tenderwatch does not read.
"""

from __future__ import annotations

import re
from decimal import Decimal

from lxml import etree
from pydantic import ValidationError

from crawler.parsers.common import ASSUMED_MOSCOW_NOTE
from crawler.parsers.common import Clock
from crawler.parsers.common import NotANotice
from crawler.parsers.common import ParseError
from crawler.parsers.common import XmlView
from crawler.parsers.common import clean
from crawler.parsers.common import local
from crawler.parsers.common import parse_count
from crawler.parsers.common import parse_decimal
from crawler.parsers.common import party_of
from data.results import Bid
from data.results import Outcome
from data.results import ProtocolResult

SOURCE_ID = "protocol44"

OFFER_DOCUMENTS = frozenset(("fcsProtocolEF2", "epProtocolEF2020SubmitOffers", "epProtocolEF2"))
"""Auction protocols of price offers: who offered what, before the commission decided."""
_READ = re.compile(
    r"^(?:fcsProtocolEF[23]|fcsProtocolEFSingleApp|fcsProtocolEFInvalidation|fcsProtocolZK\w*"
    r"|epProtocolEF2|epProtocolEF2020(?:SubmitOffers|Final)|epProtocolEZK2|epProtocolEZK2020Final"
    r"|epProtocolEOK3|epProtocolEOK2020Final|epProtocol\w*SingleApp\w*)$"
)
_PROTOCOL = re.compile(r"^(?:fcs|ep|pprf615)Protocol\w*$")
_ABANDONED: dict[str, Outcome] = {"NR": "no_applications", "OR": "single_application"}
"""``abandonedReason/type`` (old family): NR nobody applied, OR one application came. Other types
(all rejected...) are read from the applications themselves."""
_RESULT_RANK = {"WIN_OFFER": 1, "SECOND_OFFER": 2}


def is_protocol(name: str) -> bool:
    """Whether an ``export`` child (or a bare root) names a 44-FZ protocol document."""
    return bool(_PROTOCOL.match(name))


def parse_protocol44(root: etree._Element, source: str) -> list[ProtocolResult]:
    """The protocols of a 44-FZ document (an ``export`` holds one in practice)."""
    elements = (
        [child for child in root if isinstance(child.tag, str)] if local(root.tag) == "export" else [root]
    )
    protocols = [e for e in elements if is_protocol(local(e.tag))]
    if not protocols:
        raise ParseError(source, "44-FZ <export> holds no protocol")
    unread = [local(e.tag) for e in protocols if not _READ.match(local(e.tag))]
    if unread:
        raise NotANotice(source, f"<{unread[0]}> is a protocol without prices or a final decision (not read)")
    try:
        return [_Reader(element, source).protocol() for element in protocols]
    except ValidationError as exc:
        raise ParseError(source, f"44-FZ protocol does not fit the ProtocolResult model: {exc}") from None


class _Reader:
    def __init__(self, element: etree._Element, source: str) -> None:
        self.el = element
        self.source = source
        self.view = XmlView()
        self.document = local(element.tag)
        self.header = self.view.find(element, "commonInfo")
        self.ep = self.header is not None

    def protocol(self) -> ProtocolResult:
        view, el = self.view, self.el
        header = self.header if self.ep else el
        number = view.text(header, "purchaseNumber")
        if not number:
            raise ParseError(self.source, f"<{self.document}> has no purchaseNumber")
        clock = Clock()
        published = (
            clock.at(header, "publishDTInEIS") if self.ep else clock.at(el, "publishDate", "protocolDate")
        )
        bids = self._bids()
        reason_el = view.find(
            el, "protocolInfo/abandonedReason" if self.ep else "protocolLot/abandonedReason"
        )
        outcome = self._outcome(bids, view.text(reason_el, "type"))
        notes = [ASSUMED_MOSCOW_NOTE] if clock.assumed_moscow else []
        if outcome == "winner" and not any(bid.rank == 1 for bid in bids):
            bids = _ranked_by_price(bids)
            notes.append("the protocol ranks no application: the admitted ones were ranked by price")
        version = view.text(el, "versionNumber")
        return ProtocolResult(
            law="44-FZ",
            purchase_number=number,
            document=self.document,
            doc_id=view.text(el, "id"),
            version=parse_count(version),
            published_at=published,
            outcome=outcome,
            reason=view.text(reason_el, "name"),
            bids=bids,
            url=view.text(header, "href"),
            notes=notes,
        )

    def _bids(self) -> list[Bid]:
        view, el = self.view, self.el
        if self.ep:
            return [
                self._ep_bid(app) for app in view.findall(el, "protocolInfo/applicationsInfo/applicationInfo")
            ]
        apps = view.findall(el, "protocolLot/applications/application") or view.findall(
            el, "protocolLot/application"
        )
        return [self._fcs_bid(app) for app in apps]

    def _ep_bid(self, app: etree._Element) -> Bid:
        view = self.view
        decision = view.find(app, "admittedInfo/appAdmittedInfo")
        rejected = view.find(app, "admittedInfo/appNotAdmittedInfo")
        admitted_text = view.text(decision, "admitted")
        if admitted_text is not None:
            admitted: bool | None = admitted_text == "true"
        elif decision is not None:
            admitted = True  # a competition lists the admitted, scored applications without the flag
        elif rejected is not None:
            admitted = False
        else:
            admitted = None
        price = parse_decimal(view.text(app, "finalPrice") or view.text(app, "lastPriceOffer/price"))
        if price is None:
            price = self._cost_offer(decision)
        inn, name = party_of(view.find(app, "appParticipantInfo"))
        return Bid(
            app_number=view.text(app, "commonInfo/appNumber"),
            participant_inn=inn,
            participant_name=name,
            price=price,
            admitted=admitted,
            rank=_rank(view.text(decision, "appRating"), view.text(decision, "resultType")),
        )

    def _cost_offer(self, decision: etree._Element | None) -> Decimal | None:
        """A competition's price: the cost criterion's ``offer`` (``CP`` code) among the scored criteria."""
        for condition in self.view.findall(decision, "conditionsScoringInfo/conditionScoringInfo"):
            offer = parse_decimal(self.view.text(condition, "costCriterionInfo/offer"))
            if offer is not None:
                return offer
        return None

    def _fcs_bid(self, app: etree._Element) -> Bid:
        view = self.view
        admitted = view.text(app, "admitted")
        inn, name = party_of(view.find(app, "appParticipantInfo"))
        return Bid(
            app_number=view.text(app, "journalNumber"),
            participant_inn=inn,
            participant_name=name,
            price=parse_decimal(
                view.text(app, "winnerPrice") or view.text(app, "priceOffers/lastOffer/price")
            ),
            admitted=None if admitted is None else admitted == "true",
            rank=_rank(view.text(app, "appRating"), None),
        )

    def _outcome(self, bids: list[Bid], abandoned: str | None) -> Outcome:
        if self.document in OFFER_DOCUMENTS:
            return "offers" if bids else "no_applications"
        if abandoned in _ABANDONED:
            return _ABANDONED[abandoned]
        if not bids:
            return "no_applications"
        if all(bid.admitted is False for bid in bids):
            return "all_rejected"
        if len(bids) == 1:
            return "single_application"
        return "winner"


def _rank(rating: str | None, result_type: str | None) -> int | None:
    rank = parse_count(rating)
    return rank if rank is not None else _RESULT_RANK.get(clean(result_type) or "")


def _ranked_by_price(bids: list[Bid]) -> list[Bid]:
    """Rank the admitted applications by ascending price (an auction's rule) when the protocol
    gives no rating; the others keep no rank."""
    ranked = sorted(
        (b for b in bids if b.admitted is not False and b.price is not None), key=lambda b: b.price or 0
    )
    ranks = {id(bid): rank for rank, bid in enumerate(ranked, start=1)}
    return [bid.model_copy(update={"rank": ranks[id(bid)]}) if id(bid) in ranks else bid for bid in bids]
