"""The replay's double of the EIS export service getDocsIP: SOAP questions in, archive links out.

It speaks the requests of ``crawler.export_service`` (region and day and document type, or a
registry number) and answers as the public clients read the real service: ``dataInfo/archiveUrl``
links, each a ZIP of ``export`` documents (the bulk layout of ``Snapshot.write_bulk``), downloaded
with the token in the ``individualPerson_token`` HTTP header. Facts it cannot rest on a source for
are choices, said where they are made: a wrong token gets ``errorInfo`` code 5 (a public client's
fixture), a request it cannot read a SOAP fault, a question with no documents an empty reply, an
archive link without the token HTTP 403.

A registry-number question on a 44-FZ auction whose review is over also brings its final protocol
(``crawler.replay.market``), as the real service delivers every document of the purchase.
"""

from __future__ import annotations

import io
import secrets
import threading
import zipfile
from collections import OrderedDict
from datetime import date
from xml.sax.saxutils import escape

from lxml import etree

from crawler.export_service import SUBSYSTEM
from crawler.export_service import TOKEN_HEADER
from crawler.export_service import WSDL
from crawler.parsers.common import ParseError
from crawler.parsers.common import safe_xml_root
from crawler.replay import pages
from crawler.replay import render44
from crawler.replay import render223
from crawler.replay.market import protocol_document
from crawler.replay.market import results_of
from crawler.replay.model import NoticeVersion
from crawler.replay.model import SnapshotError
from crawler.replay.snapshot import Snapshot

ARCHIVE_PATH = "/eis-integration/archives/"
"""Where the fake serves its archives. The real links' form is not known (the clients we read
follow whatever URL the reply holds), so nothing depends on this path."""
REPLAY_EXPORT_TOKEN = "replay-export-token"
"""The token the replay accepts unless it is given another."""
KEPT_ARCHIVES = 2000
"""Archives kept for download, oldest dropped first (a link is fetched right after its reply)."""
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WS_NS = "http://zakupki.gov.ru/fz44/get-docs-ip/ws"
SOAP_XML = "text/xml; charset=utf-8"
REFUSED_TOKEN = (5, "Токен не найден или недействителен")
"""The wording is ours; code 5 is what a public client's fixture of a refused token carries."""


class BadQuestion(ValueError):
    """A request the fake cannot read: answered with a SOAP fault."""


class ExportFake:
    """Answers SOAP bodies; ``archive`` serves the links it handed out. Thread-safe."""

    def __init__(self, snapshot: Snapshot, *, token: str = REPLAY_EXPORT_TOKEN) -> None:
        self.snapshot = snapshot
        self.token = token
        self._archives: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    # --- the service ----------------------------------------------------------------------------

    def answer(self, body: bytes, base_url: str) -> tuple[int, bytes]:
        """(HTTP status, SOAP reply) for one request body."""
        try:
            operation, params, token = _question(safe_xml_root(body, "request"))
        except (ParseError, BadQuestion) as exc:
            return 500, _fault("soap:Client", f"Некорректный запрос: {exc}")
        if token != self.token:
            return 200, _reply(operation, error=REFUSED_TOKEN)
        try:
            chosen = self._documents(operation, params)
        except BadQuestion as exc:
            return 500, _fault("soap:Client", f"Некорректный запрос: {exc}")
        if not chosen:
            return 200, _reply(operation)
        return 200, _reply(operation, urls=[f"{base_url}{ARCHIVE_PATH}{self._keep(_zip(chosen))}"])

    def archive(self, key: str, token: str | None) -> tuple[int, bytes]:
        if token != self.token:
            return 403, b"Forbidden\n"
        with self._lock:
            data = self._archives.get(key)
        return (200, data) if data is not None else (404, b"No such archive\n")

    def _keep(self, data: bytes) -> str:
        key = secrets.token_hex(12)
        with self._lock:
            self._archives[key] = data
            while len(self._archives) > KEPT_ARCHIVES:
                self._archives.popitem(last=False)
        return key

    def _documents(self, operation: str, params: dict[str, str]) -> list[tuple[str, bytes]]:
        if operation == "getDocsByReestrNumber":
            return self._purchase_documents(params.get("reestrNumber", ""), params.get("subsystemType", ""))
        law = _law_of(params.get("subsystemType", ""))
        day = _day(params.get("exactDate", ""))
        region = params.get("orgRegion", "")
        wanted = params.get("documentType44" if law == "44-FZ" else "documentType223", "")
        if not wanted:
            raise BadQuestion(f"no document type for subsystem {params.get('subsystemType')}")

        def chosen(v: NoticeVersion) -> bool:
            p = v.purchase
            return (
                p.law == law
                and p.customer.region.code == region
                and v.published_at.astimezone(pages.MOSCOW).date() == day
                and _document_type(v) == wanted
            )

        return [self.snapshot.export_document(v) for v in self.snapshot.versions if chosen(v)]

    def _purchase_documents(self, number: str, subsystem: str) -> list[tuple[str, bytes]]:
        law = _law_of(subsystem)
        try:
            purchase = self.snapshot.purchase(number)
        except SnapshotError:
            return []
        if purchase.law != law:
            return []
        documents = [self.snapshot.export_document(v) for v in purchase.versions]
        protocols = results_of([purchase.latest.notice], now=self.snapshot.now, seed=self.snapshot.seed)
        return documents + [protocol_document(p) for p in protocols]

    # --- the documents it describes -------------------------------------------------------------

    def wsdl(self, which: str | None) -> bytes:
        """``?wsdl`` and ``?xsd=getDocsIP-ws-api.xsd``: the (reconstructed) files the client uses."""
        name = which if which and which.endswith(".xsd") else WSDL.name
        return (WSDL.parent / name.rsplit("/", 1)[-1]).read_bytes()


def _question(envelope: etree._Element) -> tuple[str, dict[str, str], str | None]:
    """(operation, the selection parameters by local name, the token) of a request envelope."""
    body = envelope.find(f"{{{SOAP_NS}}}Body")
    request = body[0] if body is not None and len(body) else None
    if request is None or etree.QName(request).namespace != WS_NS:
        raise BadQuestion("no getDocsIP request in the SOAP body")
    name = etree.QName(request).localname
    if name not in ("getDocsByOrgRegionRequest", "getDocsByReestrNumberRequest"):
        raise BadQuestion(f"unknown operation {name}")
    selection = request.find("selectionParams")
    if selection is None:
        raise BadQuestion("selectionParams missing")
    params = {etree.QName(el).localname: (el.text or "").strip() for el in selection.iter() if len(el) == 0}
    token = envelope.findtext(f"{{{SOAP_NS}}}Header/{TOKEN_HEADER}")
    return name.removesuffix("Request"), params, token.strip() if token else None


def _law_of(subsystem: str) -> str:
    for law, code in SUBSYSTEM.items():
        if code == subsystem:
            return law
    raise BadQuestion(f"subsystemType {subsystem!r} is not served by the replay (PRIZ, RI223)")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadQuestion(f"exactDate {text!r} is no date") from None


def _document_type(version: NoticeVersion) -> str:
    if version.purchase.law == "44-FZ":
        return render44.root_name(version)
    return render223.notice_type(version)


def _zip(documents: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in documents:
            archive.writestr(name, data)
    return buffer.getvalue()


def _reply(operation: str, *, urls: list[str] | None = None, error: tuple[int, str] | None = None) -> bytes:
    inner = ""
    if error is not None:
        inner = f"<errorInfo><code>{error[0]}</code><message>{escape(error[1])}</message></errorInfo>"
    for url in urls or []:
        inner += f"<dataInfo><archiveUrl>{escape(url)}</archiveUrl></dataInfo>"
    return _envelope(f'<ns2:{operation}Response xmlns:ns2="{WS_NS}">{inner}</ns2:{operation}Response>')


def _fault(code: str, message: str) -> bytes:
    return _envelope(
        f"<soap:Fault><faultcode>{code}</faultcode><faultstring>{escape(message)}</faultstring></soap:Fault>"
    )


def _envelope(body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body>{body}'
        "</soap:Body></soap:Envelope>"
    ).encode()
