"""The EIS export service getDocsIP (сервис отдачи информации, СОИ): its SOAP messages, through zeep.

The EIS closed its FTP bulk channel on 1 January 2025; documents in bulk now come from this token
service. A request names a region and a day and a document type (``getDocsByOrgRegion``), or a
registry number (``getDocsByReestrNumber``); the reply lists links to ZIP archives of the same
``export`` documents the FTP held, downloaded with the token in an HTTP header.

Only the messages live here (pure functions over bytes): the ``eis_export`` spider sends them
through Scrapy, so politeness, retries, the crawl-run row and the site-down handling are the ones
every other source has. zeep builds each request from the WSDL and reads each reply against it.

What rests on what (docs/sources.md, "The export service"): the WSDL and schema shipped beside
this module are RECONSTRUCTED from public clients and the official schema of the older document
service, because the official getDocsIP WSDL is in no public repository we could read. Replace
them with the official files when a token holder fetches ``…/getDocsIP?wsdl``: nothing else changes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from lxml import etree

from crawler.parsers.common import ParseError
from crawler.parsers.common import law_from_reg_number
from crawler.parsers.common import safe_xml_root

if TYPE_CHECKING:
    import zeep

HERE = Path(__file__).parent
WSDL = HERE / "getDocsIP.wsdl"
SERVICE_URL = "https://int44.zakupki.gov.ru/eis-integration/services/getDocsIP"
"""The production address both public clients use (dars's default is the same host)."""
SERVICE_PATH = "/eis-integration/services/getDocsIP"
TOKEN_HEADER = "individualPerson_token"
"""Sent as a SOAP header element with each request, and as an HTTP header with each archive download."""
TOKEN_ENV = "TENDERWATCH_CRAWLER__EXPORT_TOKEN"
"""How the token reaches the crawl process: the environment, never its command line or its settings."""
SUBSYSTEM = {"44-FZ": "PRIZ", "223-FZ": "RI223"}
"""The subsystem each law's notices and protocols are kept in (RI223 from artemmail/gos)."""
NOTICE_TYPES_44 = (
    "epNotificationEF2020",
    "epNotificationEZK2020",
    "epNotificationEOK2020",
    "epNotificationOK2020",
    "epNotificationEZT2020",
)
"""The 2020-format notice types artemmail/gos asks for (the procedures published since 2022), and
the electronic-shop type ``epNotificationEZT2020``, whose name is inferred from the ``ezt20`` slug,
not seen in a real document."""
NOTICE_TYPES_223 = tuple(
    f"purchaseNotice{t}"
    for t in ("", "AE", "AE94", "AESMBO", "EP", "IS", "KESMBO", "OA", "OK", "ZK", "ZKESMBO", "ZPESMBO")
)
"""The 223-FZ notice types, one per folder of the old FTP export (docs/eis-site.md). artemmail/gos
asks RI223 for ``purchaseNotice`` alone; whether that one type also brings the others is not
known, so each is asked for by name."""
AUTH_ERROR_CODES = frozenset({5})
"""errorInfo codes that mean the token was refused: code 5 in a public client's test fixture of a
refused token; any SOAP fault about the token counts the same (``ExportServiceError.token_refused``)."""
_TOKEN_WORDS = ("token", "токен")


class ExportServiceError(Exception):
    """The service answered with an error (``errorInfo`` or a SOAP fault) instead of archive links."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        self.code = code
        self.message = message
        super().__init__(f"export service error {code}: {message}" if code is not None else message)

    @property
    def token_refused(self) -> bool:
        """Every later request would fail alike: the crawl stops instead of asking again."""
        return self.code in AUTH_ERROR_CODES or any(w in self.message.lower() for w in _TOKEN_WORDS)


class NotAReply(ExportServiceError):
    """The body is no SOAP reply of the service (an HTML page, a cut-off or malformed body)."""


@dataclass(frozen=True)
class RegionDay:
    """One ``getDocsByOrgRegion`` question: the documents of one type, one region, one day."""

    region: str
    """Two-digit region code as the service takes it (``77``), not the search's ``customerPlace``."""
    day: date
    law: str
    document_type: str

    @property
    def label(self) -> str:
        return f"{self.law} {self.document_type} of region {self.region} on {self.day.isoformat()}"


def _well_formed(reply: bytes) -> etree._Element:
    """The reply's root, parsed strictly and safely: zeep's own loader recovers from broken XML
    when it is not strict, and a cut-off reply read as "no documents" would lose that day for good."""
    try:
        return safe_xml_root(reply, "the export service's reply")
    except ParseError as exc:
        raise NotAReply(f"not a SOAP reply: {exc.problem}") from None


@cache
def _client() -> zeep.Client:
    """Imported here, not at the top: every crawl process loads every spider module, and only
    the export crawls need zeep (and the requests stack under it)."""
    import zeep

    settings = zeep.Settings(strict=False, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    return zeep.Client(str(WSDL), settings=settings)


def _index(now: datetime | None) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "createDateTime": now or datetime.now(UTC), "mode": "PROD"}


def _envelope(operation: str, token: str, **body: Any) -> bytes:
    client = _client()
    header = etree.Element(TOKEN_HEADER)
    header.text = token
    message = client.create_message(client.service, operation, _soapheaders=[header], **body)
    return bytes(etree.tostring(message, xml_declaration=True, encoding="UTF-8"))


def region_day_request(token: str, ask: RegionDay, *, now: datetime | None = None) -> bytes:
    """The SOAP envelope of ``getDocsByOrgRegionRequest`` for one region, day and document type."""
    type_element = "documentType44" if ask.law == "44-FZ" else "documentType223"
    params = {
        "orgRegion": ask.region,
        "subsystemType": SUBSYSTEM[ask.law],
        type_element: ask.document_type,
        "periodInfo": {"exactDate": ask.day},
    }
    return _envelope("getDocsByOrgRegion", token, index=_index(now), selectionParams=params)


def reg_number_request(token: str, reg_number: str, *, now: datetime | None = None) -> bytes:
    """The SOAP envelope of ``getDocsByReestrNumberRequest``: every document of one purchase."""
    law = law_from_reg_number(reg_number)
    if law is None:
        raise ValueError(f"{reg_number!r} is no 44-FZ or 223-FZ registry number")
    params = {"subsystemType": SUBSYSTEM[law], "reestrNumber": reg_number}
    return _envelope("getDocsByReestrNumber", token, index=_index(now), selectionParams=params)


def archive_urls(reply: bytes, operation: str) -> list[str]:
    """The archive links of a reply to ``operation`` (``getDocsByOrgRegion``…); none when the
    service has no documents for the question. Raises ``ExportServiceError`` for ``errorInfo``
    or a SOAP fault, ``NotAReply`` for anything that is no SOAP reply."""
    from zeep.exceptions import Error as ZeepError
    from zeep.exceptions import Fault

    client = _client()
    binding = client.service._binding  # zeep's per-operation reply reader lives on the binding
    doc = _well_formed(reply)
    if doc.find("soap-env:Body/soap-env:Fault", namespaces=binding.nsmap) is not None:
        try:
            binding.process_error(doc, binding.get(operation))
        except Fault as fault:
            raise ExportServiceError(str(fault.message or "SOAP fault without a message")) from None
    try:
        result = binding.get(operation).process_reply(doc)
    except (ZeepError, ValueError, TypeError) as exc:
        raise NotAReply(f"not a {operation} reply: {exc}") from None
    if result is None:
        raise NotAReply(f"not a {operation} reply: the SOAP body is empty")
    if result["errorInfo"] is not None:
        raise ExportServiceError(str(result["errorInfo"]["message"]), code=result["errorInfo"]["code"])
    return [url.strip() for info in result["dataInfo"] or [] for url in info["archiveUrl"] or [] if url]
