"""Untrusted input through the entry point: every bad body is a ParseError naming the input and the
problem, and the XML loader never expands entities nor reads a file or URL the document names."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from lxml import etree

from crawler.parsers import FORMATS
from crawler.parsers import ParseError
from crawler.parsers import detect_format
from crawler.parsers import parse_document
from crawler.parsers.common import MAX_DOCUMENT_BYTES
from crawler.parsers.common import safe_xml_root
from tests.conftest import SAMPLES_DIR
from tests.conftest import sample_bytes

URL = "https://zakupki.gov.ru/epz/order/notice/printForm/viewXml.html?regNumber=0373100084625000417"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<fcsNotificationEF><purchaseNumber>&lol9;</purchaseNumber></fcsNotificationEF>"""


def external_entity(target: str) -> bytes:
    return f"""<?xml version="1.0"?>
<!DOCTYPE fcsNotificationEF [<!ENTITY xxe SYSTEM "{target}">]>
<fcsNotificationEF><purchaseNumber>0123456789012345678</purchaseNumber>
<purchaseObjectInfo>&xxe;</purchaseObjectInfo></fcsNotificationEF>""".encode()


def refused(data: bytes, problem: str, url: str = URL) -> ParseError:
    """Parse ``data`` expecting a ParseError whose message is «<url>: <problem>...»."""
    with pytest.raises(ParseError) as caught:
        parse_document(data, url=url)
    assert str(caught.value).startswith(f"{url}: ")
    assert re.search(problem, caught.value.problem), caught.value.problem
    assert caught.value.source == url
    return caught.value


def test_billion_laughs_is_refused_without_expanding() -> None:
    refused(BILLION_LAUGHS, r"^XML with DTD entity declarations is refused")


@pytest.mark.parametrize("target", ["file:///etc/passwd", "http://127.0.0.1:9/secret.xml"])
def test_external_entities_are_refused(target: str) -> None:
    error = refused(external_entity(target), r"^XML with DTD entity declarations is refused")
    assert "root:" not in str(error)


def test_external_dtd_is_refused() -> None:
    data = b'<!DOCTYPE fcsNotificationEF SYSTEM "file:///etc/passwd"><fcsNotificationEF/>'
    refused(data, r"^XML with an external DTD \(file:///etc/passwd\) is refused")


class SpyResolver(etree.Resolver):
    """Sees every external resource libxml2 asks lxml to load (files and URLs alike)."""

    def __init__(self) -> None:
        super().__init__()
        self.requested: list[str] = []

    def resolve(self, url, pubid, context):
        self.requested.append(url)
        return None


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> SpyResolver:
    """Every XMLParser created from now on reports load attempts to one spy."""
    resolver = SpyResolver()
    real_parser = etree.XMLParser

    def spying_parser(*args, **kwargs) -> etree.XMLParser:
        parser = real_parser(*args, **kwargs)
        parser.resolvers.add(resolver)
        return parser

    monkeypatch.setattr(etree, "XMLParser", spying_parser)
    return resolver


def test_the_spy_sees_loads_of_a_permissive_parser(tmp_path: Path, spy: SpyResolver) -> None:
    """Control: the spy does catch a file load, so its silence below means something."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    permissive = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=False)
    root = etree.fromstring(external_entity(secret.as_uri()), permissive)
    assert spy.requested == [secret.as_uri()]
    assert "TOP-SECRET" in etree.tostring(root, encoding="unicode")


@pytest.mark.parametrize(
    "template",
    [
        '<!DOCTYPE x [<!ENTITY e SYSTEM "{uri}">]><x>&e;</x>',
        '<!DOCTYPE x [<!ENTITY % p SYSTEM "{uri}"> %p;]><x>&leak;</x>',
        '<!DOCTYPE x SYSTEM "{uri}"><x>&leak;</x>',
        '<!DOCTYPE x PUBLIC "-//EVIL//DTD" "{uri}"><x/>',
    ],
)
def test_safe_xml_root_never_reads_a_local_file(tmp_path: Path, spy: SpyResolver, template: str) -> None:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY leak "TOP-SECRET">')
    with pytest.raises(ParseError) as caught:
        safe_xml_root(template.format(uri=dtd.as_uri()).encode(), "evil.xml")
    assert spy.requested == []
    assert "TOP-SECRET" not in str(caught.value)


def test_truncated_document_is_refused() -> None:
    data = sample_bytes("44fz_epNotificationEF2020_0373100084625000417_drugs.xml")
    refused(data[: len(data) // 2], r"^malformed XML: ")


def test_maintenance_page_is_refused() -> None:
    page = (
        '<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>ЕИС</title></head>'
        "<body><h1>Технические работы</h1><p>Приносим извинения за неудобства.</p></body></html>"
    ).encode()
    assert detect_format(page) == "html"
    refused(page, r"Технические работы")
    refused("<h1>Технические работы</h1>".encode(), r"Технические работы")


@pytest.mark.parametrize("body", [b"", b"   \r\n\t  "])
def test_empty_body_is_refused(body: bytes) -> None:
    refused(body, r"^empty document$")


def test_random_binary_is_refused() -> None:
    refused(random.Random(7).randbytes(4096), r"^binary data")


def test_json_array_is_refused() -> None:
    refused(b'[{"purchase": {"id": 1}}]', r"^a JSON array is not an EIS document")


def test_unknown_xml_root_is_refused() -> None:
    refused(
        b'<?xml version="1.0"?><catalog><book id="1"/></catalog>',
        r"^unknown document: root element <catalog>",
    )


def test_plain_text_is_refused() -> None:
    refused("Сервис временно недоступен".encode(), r"^no markup or JSON found")


def test_oversized_document_is_refused() -> None:
    data = b"<fcsNotificationEF>" + b"x" * MAX_DOCUMENT_BYTES + b"</fcsNotificationEF>"
    refused(data, rf"^document of {len(data)} bytes exceeds the {MAX_DOCUMENT_BYTES}-byte cap$")


def test_absurdly_deep_nesting_is_refused() -> None:
    depth = 100_000
    data = b"<fcsNotificationEF>" + b"<lot>" * depth + b"</lot>" * depth + b"</fcsNotificationEF>"
    refused(data, r"^malformed XML: .*[Ee]xcessive depth")


def test_input_without_url_is_named_bytes() -> None:
    with pytest.raises(ParseError, match=r"^<bytes>: empty document$"):
        parse_document(b"")


# --- detection -------------------------------------------------------------------------------------

EXPECTED_FORMAT = {"44fz_": "xml44", "223fz_purchaseNotice": "xml223", "223fz_mobileapi": "json223"}
EXPECTED_FORMAT |= {"html_": "html", "rss_": "rss"}


def expected_format(name: str) -> str:
    return next(fmt for prefix, fmt in EXPECTED_FORMAT.items() if name.startswith(prefix))


def test_every_sample_is_detected_as_its_format(samples_dir: Path) -> None:
    samples = sorted(p for p in samples_dir.iterdir() if p.suffix in (".xml", ".json", ".html"))
    assert len(samples) >= 16
    detected = {path.name: detect_format(path.read_bytes()) for path in samples}
    assert detected == {path.name: expected_format(path.name) for path in samples}
    assert set(detected.values()) == set(FORMATS)


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"\xef\xbb\xbf<export/>", "xml44"),  # UTF-8 BOM
        ("<?xml version='1.0' encoding='UTF-16'?><rss/>".encode("utf-16"), "rss"),  # UTF-16 with BOM
        (b"<!-- saved 2026-07-29 --><?pi x?>\n<ns2:purchaseNoticeAE xmlns:ns2='u'/>", "xml223"),
        (b"<!DOCTYPE html><html></html>", "html"),
        (b"   </span></section><section class='blockInfo__section'>", "html"),  # a saved fragment
        (b"\n  7-4152-305630 </span>", "html"),  # text before the first tag: never XML
        (b'  {"noticeInfo": {}}', "json223"),
        (b"<?xml version='1.0'?><!--" + b"c" * 10_000 + b"--><epNotificationEZK2020/>", "xml44"),
    ],
)
def test_detection_of_edge_cases(head: bytes, fmt: str) -> None:
    assert detect_format(head) == fmt


@pytest.mark.parametrize(
    ("name", "source", "count", "first"),
    [
        ("44fz_epNotificationEZK2020_0373200624325000142.xml", "xml44", 1, "0373200624325000142"),
        ("223fz_purchaseNotice_31603913641.xml", "xml223", 1, "31603913641"),
        ("223fz_mobileapi_common-info_32109998392.json", "json223", 1, "32109998392"),
        ("rss_extendedsearch_real.xml", "rss", 5, "0355200005326000010"),
        ("html_eis_list.html", "html_search", 10, "0338200002226000330"),
    ],
)
def test_every_format_is_dispatched_to_its_parser(name: str, source: str, count: int, first: str) -> None:
    notices = parse_document(sample_bytes(name), url=f"{SAMPLES_DIR}/{name}")
    assert (len(notices), notices[0].reg_number, notices[0].source) == (count, first, source)


# --- truncated XML is not mistaken for a page ------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"<a>", r"^malformed XML: Premature end of data in tag a line 1"),
        (b"<?xml version='1.0'?>\n<a><b>x</b>", r"^malformed XML: Premature end of data in tag a line 2"),
        (
            b"<?xml version='1.0' encoding='UTF-8'?>\n<ns3",
            r"^malformed XML: truncated inside the first tag <ns3$",
        ),
        (
            b"<?xml version='1.0' encod",
            r"^malformed XML: the prolog \(declaration, comment or DOCTYPE\) never ends$",
        ),
    ],
)
def test_truncated_xml_is_reported_as_malformed_xml(data: bytes, problem: str) -> None:
    refused(data, problem, url="b/broken.xml")


def test_a_cut_44fz_export_is_malformed_xml_wherever_it_is_cut() -> None:
    data = sample_bytes("44fz_epNotificationEF2020_0173200001425001720.xml")
    first_tag = data.index(b"<ns3:export")
    for cut in (first_tag + 4, first_tag + 60, data.index(b"<ns3:epNotificationEF2020") + 10, len(data) // 2):
        refused(data[:cut], r"^malformed XML: ", url=f"cut-at-{cut}.xml")


def test_an_unrecognised_page_fragment_is_still_reported_as_a_page() -> None:
    refused(b"<div class='x'>hello</div>", r"^not a recognised EIS page \(no search cards")
    refused(b"   </span></section>", r"^unreadable HTML: ")
    refused(b"<a href='/x'>link</a>", r"^not a recognised EIS page \(no search cards")
