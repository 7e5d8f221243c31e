"""How a purchase ended: the plain models the result parsers produce and the store keeps.

Beside ``data.notice.Notice`` for the same reason: the crawler produces them, the store, the
statistics and the simulator read them. A protocol says who applied, at what price and who won;
a contract says what was signed, with whom and for how much.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime
from pydantic import Field

from data.notice import FrozenModel
from data.notice import Law

Outcome = Literal["winner", "single_application", "no_applications", "all_rejected", "offers"]
"""What a protocol says happened:

* ``winner``: applications were ranked and one won;
* ``single_application``: only one application came (the procedure "did not take place", and the
  contract goes to that one participant if admitted);
* ``no_applications``: nobody applied;
* ``all_rejected``: applications came and none was admitted;
* ``offers``: the auction's price offers, before the commission decided (no winner yet).
"""

FINAL_OUTCOMES: frozenset[Outcome] = frozenset(
    ("winner", "single_application", "no_applications", "all_rejected")
)
FAILED_OUTCOMES: frozenset[Outcome] = frozenset(("single_application", "no_applications", "all_rejected"))
"""The procedure «не состоялась» (art. 52 of 44-FZ): what the share of failed procedures counts."""


class Bid(FrozenModel):
    """One application in a protocol. 2020-format protocols are anonymous: no INN or name."""

    app_number: str | None = None
    """The application's number (``appNumber``) or its journal number in old protocols."""
    participant_inn: str | None = None
    participant_name: str | None = None
    price: Decimal | None = None
    """The participant's last offer (auction), its offered price (quotation, competition)."""
    admitted: bool | None = None
    """The commission's decision on the application (never a member's vote); None: not decided yet."""
    rank: int | None = None
    """1 is the winner (``appRating``; ``WIN_OFFER`` of a quotation is 1, ``SECOND_OFFER`` 2)."""


class ProtocolResult(FrozenModel):
    """One protocol of one purchase, in the one shape every protocol family is read into."""

    law: Law
    purchase_number: str = Field(min_length=1, max_length=64)
    document: str = Field(min_length=1, max_length=64)
    """The EIS document type (root element): ``epProtocolEF2020Final``, ``fcsProtocolEF3``..."""
    doc_id: str | None = None
    version: int | None = None
    published_at: AwareDatetime | None = None
    outcome: Outcome
    reason: str | None = None
    """The EIS's own words on a failed procedure (``abandonedReason/name``)."""
    bids: list[Bid] = Field(default_factory=list)
    url: str | None = None
    notes: list[str] = Field(default_factory=list)

    @property
    def winner(self) -> Bid | None:
        """The application that won: rank 1, or the one admitted application of a single-application
        procedure. None for offers (no decision yet) and failed procedures without a winner."""
        if self.outcome == "winner":
            return next((bid for bid in self.bids if bid.rank == 1), None)
        if self.outcome == "single_application":
            return next((bid for bid in self.bids if bid.admitted is not False), None)
        return None

    @property
    def final(self) -> bool:
        return self.outcome in FINAL_OUTCOMES


class ContractRecord(FrozenModel):
    """A contract as the contract registry publishes it (44-FZ) or the 223-FZ contract register."""

    law: Law
    reg_number: str = Field(min_length=1, max_length=64)
    """The contract's own registry number (not the purchase's)."""
    purchase_number: str | None = None
    """The purchase it came from (``notificationNumber`` / ``purchaseNoticeNumber``); None when the
    record names none (a contract with a single supplier without a notice)."""
    version: int | None = None
    signed_on: date | None = None
    published_at: AwareDatetime | None = None
    price: Decimal | None = None
    currency: str | None = None
    customer_inn: str | None = None
    customer_name: str | None = None
    supplier_inn: str | None = None
    supplier_name: str | None = None
    url: str | None = None
    notes: list[str] = Field(default_factory=list)


class UnfairSupplierEntry(FrozenModel):
    """An entry of the register of unfair suppliers (РНП) as the EIS's search of the register lists it.

    One company may have several entries (one per breach: the real feed lists «ГАРАНТ СТРОЙ»
    twice under two registry numbers). The search's feed gives no reason for the inclusion.
    """

    registry_number: str = Field(min_length=1, max_length=32)
    listed_under: str = Field(min_length=1, max_length=32)
    """The register it is in («Относится к»), as the EIS says it: «44-ФЗ», «223-ФЗ» or «ПП РФ 615»."""
    inn: str = Field(min_length=1, max_length=12)
    name: str | None = None
    included_on: date | None = None
    updated_on: date | None = None
    exclusion_planned_on: date | None = None
    status: str | None = None
    """«Размещено» (in force) or «Исключено» (taken out)."""
    eruz_number: str | None = None
    """The supplier's entry in the single register of participants (ЕРУЗ)."""
    reason: str | None = None
    url: str | None = None

    def in_force(self, today: date) -> bool:
        """In the register on ``today``: placed, and its planned exclusion not yet passed."""
        placed = (self.status or "").lower().startswith("размещ")
        return placed and (self.exclusion_planned_on is None or self.exclusion_planned_on >= today)


class UnfairSupplierCheck(FrozenModel):
    """One INN looked up in the register, and the entries of that INN the register listed (none:
    not in it). Recorded, so a report can say «not in РНП, checked on …» and the next look-ups
    go to the INNs checked longest ago."""

    inn: str = Field(min_length=1, max_length=12)
    checked_at: AwareDatetime
    entries: list[UnfairSupplierEntry] = Field(default_factory=list)


BASIS_POINTS = Decimal(10000)
"""Discounts are stored in hundredths of a percent (12.34 % -> 1234): an integer sorts and
aggregates the same on SQLite (where exact decimals are TEXT) and PostgreSQL."""


def discount_bp(nmck: Decimal | None, price: Decimal | None) -> int | None:
    """The discount from the starting price in hundredths of a percent, half up; None without both
    prices or for a price above the start (some competitions allow it; no discount to count)."""
    if nmck is None or price is None or nmck <= 0 or price < 0:
        return None
    if price > nmck:
        return None
    return int(((nmck - price) / nmck * BASIS_POINTS).quantize(Decimal(1), rounding=ROUND_HALF_UP))


NMCK_BANDS = (
    Decimal(0),
    Decimal(100_000),
    Decimal(500_000),
    Decimal(1_000_000),
    Decimal(5_000_000),
    Decimal(20_000_000),
)
"""Lower edges of the NMCK bands a market segment is cut by (₽): small purchases behave unlike
large ones (more bidders, deeper discounts), so a segment never mixes them."""


def nmck_band(nmck: Decimal | None) -> int | None:
    """Index of the band ``nmck`` falls in (``NMCK_BANDS``); None without a price."""
    if nmck is None or nmck < 0:
        return None
    return max(index for index, edge in enumerate(NMCK_BANDS) if nmck >= edge)


def band_label(index: int) -> str:
    """«0.5–1 млн ₽»-like words for a band, for reports and the simulator's segment line."""
    low = NMCK_BANDS[index]
    high = NMCK_BANDS[index + 1] if index + 1 < len(NMCK_BANDS) else None
    return f"{_mln(low)}–{_mln(high)} млн ₽" if high is not None else f"от {_mln(low)} млн ₽"


def _mln(value: Decimal) -> str:
    return f"{value / 1_000_000:g}"


class NoticeFacts(FrozenModel):
    """What a purchase's summary takes from its notice: the segment it belongs to and its start price."""

    nmck: Decimal | None = None
    okpd2: str | None = None
    region: str | None = None
    """The customer's region code: with ``okpd2`` and ``kind``, the segment whose results calibrate
    the competitor model."""
    kind: str | None = None
    customer_inn: str | None = None


class PurchaseSummary(FrozenModel):
    """How one purchase ended, from all that is stored about it (``summarize``)."""

    outcome: Outcome
    applications: int | None = None
    """How many applications the deciding protocol lists; None when only a contract is known."""
    admitted: int | None = None
    winner_price: Decimal | None = None
    """The first-ranked application's price; ``final_price`` takes the contract's price instead when
    a contract is stored, since that is the price that was signed."""
    winner_inn: str | None = None
    winner_name: str | None = None
    runner_up_price: Decimal | None = None
    """The second-ranked application's price: how deep the last rival went (the backtest's check)."""
    contract_reg_number: str | None = None
    contract_price: Decimal | None = None
    final_price: Decimal | None = None
    discount_bp: int | None = None
    decided_at: AwareDatetime | None = None
    notice: NoticeFacts | None = None


def deciding(protocols: list[ProtocolResult]) -> ProtocolResult | None:
    """The protocol that says how the purchase ended: a final one over the offers, then the latest
    published, then the highest version."""
    if not protocols:
        return None
    return max(protocols, key=lambda p: (p.final, p.published_at is not None, p.published_at, p.version or 0))


def summarize(
    protocols: list[ProtocolResult], contracts: list[ContractRecord], notice: NoticeFacts | None
) -> PurchaseSummary | None:
    """One purchase's summary; None when neither a protocol nor a contract is known.

    The contract names the winner when the protocol is anonymous (2020 protocols) and gives the
    price actually signed; with several contracts (lots, joint purchases) their prices are summed.
    A contract without any protocol is a purchase that ended with a winner whose rivals are unknown.
    """
    protocol = deciding(protocols)
    if protocol is None and not contracts:
        return None
    winner = protocol.winner if protocol is not None else None
    signed = [c for c in contracts if c.price is not None]
    contract_price = sum((c.price for c in signed if c.price is not None), Decimal(0)) if signed else None
    first = min(contracts, key=lambda c: c.reg_number) if contracts else None
    winner_price = winner.price if winner is not None else None
    final_price = contract_price if contract_price is not None else winner_price
    return PurchaseSummary(
        outcome=protocol.outcome if protocol is not None else "winner",
        applications=len(protocol.bids) if protocol is not None else None,
        admitted=sum(1 for b in protocol.bids if b.admitted) if protocol is not None else None,
        winner_price=winner_price,
        runner_up_price=next((b.price for b in protocol.bids if b.rank == 2), None) if protocol else None,
        winner_inn=(winner.participant_inn if winner else None) or (first.supplier_inn if first else None),
        winner_name=(winner.participant_name if winner else None) or (first.supplier_name if first else None),
        contract_reg_number=first.reg_number if first else None,
        contract_price=contract_price,
        final_price=final_price,
        discount_bp=discount_bp(notice.nmck if notice else None, final_price),
        decided_at=protocol.published_at if protocol is not None else (first.published_at if first else None),
        notice=notice,
    )
