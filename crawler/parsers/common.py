"""Shared by every parser: the error type, safe XML loading, money, dates and whitespace.

All of it is pure (bytes/str in, values out) so the hot path stays fast and testable.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from lxml import etree

MOSCOW = ZoneInfo("Europe/Moscow")
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
"""Larger than any real notice (2020-format cards reach ~1.1 MB with signatures)."""


class ParseError(ValueError):
    """A document could not be turned into notices. The message names the input and the problem."""

    def __init__(self, source: str | None, problem: str) -> None:
        self.source = source or "<bytes>"
        self.problem = problem
        super().__init__(f"{self.source}: {problem}")


_XML_PARSER_OPTIONS = dict(
    resolve_entities=False,  # no entity expansion: billion laughs stays a few bytes
    no_network=True,  # never fetch a DTD or an external entity
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,  # keep libxml2's depth and size limits
    remove_comments=True,
    remove_pis=True,
)


def check_size(data: bytes, source: str | None) -> None:
    if not data or not data.strip():
        raise ParseError(source, "empty document")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ParseError(source, f"document of {len(data)} bytes exceeds the {MAX_DOCUMENT_BYTES}-byte cap")


def safe_xml_root(data: bytes, source: str | None) -> etree._Element:
    """Parse untrusted XML: no entities, no network, no DTD; any DTD entity declaration is refused."""
    check_size(data, source)
    parser = etree.XMLParser(**_XML_PARSER_OPTIONS)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(source, f"malformed XML: {exc}") from None
    except ValueError as exc:  # e.g. a str with an encoding declaration, odd encodings
        raise ParseError(source, f"unreadable XML: {exc}") from None
    if root is None:
        raise ParseError(source, "no XML root element")
    docinfo = root.getroottree().docinfo
    dtd = docinfo.internalDTD
    if dtd is not None and (list(dtd.iterentities()) or docinfo.system_url):
        raise ParseError(source, "XML with DTD entity declarations is refused (entity expansion attack?)")
    if docinfo.system_url:
        raise ParseError(source, "XML with an external DTD is refused")
    return root


def local(tag: object) -> str:
    """Local name of an lxml tag, whatever its namespace prefix (prefixes shift between versions)."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


_WS = re.compile(r"\s+")


def clean(text: str | None) -> str | None:
    """Collapse whitespace (incl. nbsp) for display; None and blank become None."""
    if text is None:
        return None
    text = _WS.sub(" ", text.replace("\xa0", " ")).strip()
    return text or None


_MONEY_JUNK = re.compile(r"[\s\u00a0\u202f\u2009₽]|руб\.?|RUB", re.IGNORECASE)


def parse_money(text: str | None) -> Decimal | None:
    """``143599.5`` (XML), ``60 000,00 ₽`` (HTML, nbsp thousands) -> Decimal; blank -> None."""
    if text is None:
        return None
    raw = _MONEY_JUNK.sub("", text)
    if not raw:
        return None
    if "," in raw and "." in raw:
        raw = raw.replace(",", "")
    raw = raw.replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return value


_DATE_WITH_OFFSET = re.compile(r"^(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?$")
_RU_DATE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})(?:\s+(\d{2}):(\d{2})(?::(\d{2}))?)?")


def parse_datetime(text: str | None, *, naive_tz: ZoneInfo = MOSCOW) -> tuple[datetime | None, bool]:
    """Parse an ISO or Russian datetime; returns (aware datetime, assumed_tz).

    ``assumed_tz`` is True when the source gave no offset and ``naive_tz`` (Moscow by default, the
    EIS server time) was assumed: the caller records that in ``Notice.notes``.
    """
    if not text:
        return None, False
    text = text.strip()
    m = _RU_DATE.match(text)
    try:
        if m:
            d, mo, y, hh, mm, ss = m.groups()
            value = datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
        else:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None, False
    if value.tzinfo is None:
        return value.replace(tzinfo=naive_tz), True
    return value, False


def parse_date(text: str | None) -> date | None:
    """``2025-11-05+03:00`` (xs:date with offset), ``2025-11-05``, ``05.11.2025``, or a datetime."""
    if not text:
        return None
    text = text.strip()
    m = _DATE_WITH_OFFSET.match(text)
    if m:
        try:
            return date.fromisoformat(m.group(1))
        except ValueError:
            return None
    value, _ = parse_datetime(text)
    return value.date() if value else None


def date_start(day: date, tz: ZoneInfo = MOSCOW) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz)
