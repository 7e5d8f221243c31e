"""Which EIS format a body is, from its first bytes: the dispatcher's only question.

Sniffing the prolog is enough and keeps detection cheap (the XML is parsed once, afterwards,
by ``safe_xml_root``). The order of the checks matters:

1. empty, oversized or binary bodies are refused outright;
2. ``{`` opens the 223-FZ mobile API JSON (the only JSON the EIS serves us), ``[`` is refused;
3. after the XML declaration, comments and a DOCTYPE, the first tag decides: ``rss``; an HTML
   tag (saved pages are often fragments starting with ``<div>``, ``<a>`` or even ``</span>``);
   ``purchaseNotice*`` and ``contract`` (223-FZ); ``export``, ``fcs*``, ``ep*`` (44-FZ notices,
   protocols and, inside ``export``, contracts).
   Text before the first tag cannot be XML, so it is an HTML fragment.

Anything else (another XML vocabulary, plain text) is a ``ParseError`` naming the root it saw.
A body cut inside its first tag name is reported as truncated XML, not as an unknown root.

``looks_like_html`` lets the dispatcher tell a page the HTML parser did not recognise from a
truncated XML document whose first tag happens to be an HTML name (``<a>``).
"""

from __future__ import annotations

import codecs
import re

from crawler.parsers.common import ParseError
from crawler.parsers.common import check_size

FORMATS = ("xml44", "xml223", "json223", "html", "rss")

_SNIFF_BYTES = 4 * 1024
"""Enough for any real prolog (the RSS capture has a 600-byte comment); scanning the whole body
with a regex would cost as much as parsing it."""
_LONG_PROLOG_BYTES = 64 * 1024
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CONTROL_BYTES = bytes(range(0x00, 0x09)) + b"\x0b\x0c" + bytes(range(0x0E, 0x20))
"""Bytes no text document of ours contains (XML forbids them); random binary has one in ~10 bytes."""
_BINARY_PROBE = 1024
_PROLOG_ITEM = re.compile(
    rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE\s+([^\s>\[]+)[^>\[]*(?:\[.*?\]\s*)?>)", re.DOTALL | re.IGNORECASE
)
_TAG = re.compile(rb"\s*<(/?)(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_ANY_TAG = re.compile(rb"<(/?)[A-Za-z][\w.\-:]*[\s/>]")

_HTML_TAGS = frozenset(
    "html head body div span a p br hr h1 h2 h3 h4 h5 h6 table thead tbody tr td th section article "
    "header footer nav main aside ul ol li dl dt dd form input button select option label textarea "
    "script style meta link title img iframe noscript b i u s em strong small pre code center font".split()
)
_XML44_ROOT = re.compile(r"^(?:export|(?:fcs|ep)[A-Z]\w*)$")
"""Notices and the other 44-FZ document types (protocols, cancellations) that eis44 tells apart."""
_XML223_ROOT = re.compile(r"^(?:purchaseNotice\w*|contract)$")
"""223-FZ notices, and the 223-FZ contract register's records (a bare ``contract`` root; 44-FZ
contracts come wrapped in ``export``)."""


def detect_format(data: bytes, *, source: str | None = None) -> str:
    """One of ``FORMATS`` for ``data``; ``source`` (URL or path) only names the input in errors."""
    check_size(data, source)
    head = _sniffable(data[:_SNIFF_BYTES], source)
    stripped = head.lstrip()
    if stripped.startswith(b"{"):
        return "json223"
    if stripped.startswith(b"["):
        raise ParseError(source, "a JSON array is not an EIS document (expected a 223-FZ mobile API object)")
    pos, doctype = _skip_prolog(head)
    if len(data) > len(head) and head[pos:].lstrip().startswith((b"<?", b"<!")):
        head = _sniffable(data[:_LONG_PROLOG_BYTES], source)  # a prolog longer than the window
        pos, doctype = _skip_prolog(head)
    if doctype == "html":
        return "html"
    m = _TAG.match(head, pos)
    if m is None:
        if head[pos:].lstrip().startswith((b"<?", b"<!")):
            raise ParseError(source, "malformed XML: the prolog (declaration, comment or DOCTYPE) never ends")
        if _ANY_TAG.search(head, pos):
            return "html"  # text before the first tag: never XML, a saved page fragment
        raise ParseError(source, "no markup or JSON found: not an EIS document")
    closing, name = m.group(1), m.group(2).decode("ascii")
    if m.end() >= len(data):  # "<ns3" or "<ns3:exp": the body ends inside its first tag name
        raise ParseError(source, f"malformed XML: truncated inside the first tag <{name}")
    if closing or name.lower() in _HTML_TAGS:
        return "html"
    if name == "rss":
        return "rss"
    if _XML223_ROOT.match(name):
        return "xml223"
    if _XML44_ROOT.match(name):
        return "xml44"
    raise ParseError(
        source, f"unknown document: root element <{name}> is no EIS notice, RSS feed or HTML page"
    )


_HTML_MARKER = re.compile(
    rb"</?(?:!DOCTYPE\s+html|html|head|body|div|span|table|section|form|script|meta|title|ul|li|p)[\s/>]",
    re.IGNORECASE,
)


def looks_like_html(data: bytes) -> bool:
    """Whether the body carries an element only a web page has (a bare ``<a>`` is not enough)."""
    return _HTML_MARKER.search(data, 0, _LONG_PROLOG_BYTES) is not None


def _sniffable(head: bytes, source: str | None) -> bytes:
    """The head as ASCII-compatible bytes: BOMs handled, binary refused."""
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    elif head.startswith(_UTF16_BOMS):
        head = head.decode("utf-16", errors="replace").encode("utf-8")
    probe = head[:_BINARY_PROBE]
    if len(probe.translate(None, _CONTROL_BYTES)) != len(probe):
        raise ParseError(source, "binary data (control bytes), not a text document")
    return head


def _skip_prolog(head: bytes) -> tuple[int, str | None]:
    """Offset of the first element after the XML declaration, comments, PIs and DOCTYPE."""
    pos = 0
    doctype = None
    while True:
        m = _PROLOG_ITEM.match(head, pos)
        if m is None or m.end() == pos:
            return pos, doctype
        if m.group(1):
            doctype = m.group(1).decode("ascii", errors="replace").lower()
        pos = m.end()
