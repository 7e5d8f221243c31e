"""Money as people read it. Shared by the bot's messages and the CLI's tables, so both show the
same figure for the same Decimal (and neither ever goes through float)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from decimal import Decimal
from functools import lru_cache

KOPECK = Decimal("0.01")
RUB_CODES = (None, "", "RUB", "643")
"""How sources spell roubles: nothing, the ISO letter code or the ISO numeric code."""


def to_kopeck(amount: Decimal) -> Decimal:
    """Rounded half up to the kopeck: the precision every report and message shows."""
    return amount.quantize(KOPECK, rounding=ROUND_HALF_UP)


@lru_cache(maxsize=4096)
def format_money(amount: Decimal | None, currency: str | None = None) -> str:
    """``Decimal('1234567.891')`` -> ``1 234 567,89 ₽`` (kopecks rounded half up, never via float).

    The one money formatter of messages, reasons and reports (cached: the matcher writes the same
    amounts into many reasons)."""
    if amount is None:
        return "не указана"
    # Decimal's own grouping (exact, in C): "-1,234,567.89" -> "-1 234 567,89".
    digits = f"{to_kopeck(amount):,.2f}".replace(",", " ").replace(".", ",")
    symbol = "₽" if currency in RUB_CODES else currency
    return f"{digits} {symbol}"


def person_label(name: str | None, user_id: int) -> str:
    """Who took or skipped a tender, as every message and report names them: the Telegram name,
    else the id (``id 123456``), so that reports, the bot and the alerts agree."""
    return name or f"id {user_id}"


LAW_LABELS = {"44-FZ": "44-ФЗ", "223-FZ": "223-ФЗ"}
"""How Russian readers write the laws."""

KIND_LABELS = {
    "auction": "аукцион",
    "competition": "конкурс",
    "quotation": "запрос котировок",
    "single_supplier": "единственный поставщик",
    "other": "иной способ",
}
"""The procurement kinds (``Notice.kind``) in Russian, for messages, reasons and reports."""


def reason_text(reason: object) -> str:
    """A stored match reason as text (the matcher stores strings; dicts carry a ``text`` key)."""
    if isinstance(reason, dict):
        return str(reason.get("text") or reason.get("reason") or reason)
    return str(reason)


def read_from(source: str, words: str) -> str:
    """Where a delivery place was read from a notice's words, as every reason, message and report
    says it: «из названия: «Новосибирске»» (``source``: ``title``, or ``position`` for a position)."""
    where = "названия" if source == "title" else "названия позиции"
    return f"из {where}: «{words}»"
