"""Result documents (protocols, contracts) parse to the facts read from them by hand.

The documents are real (tests/crawler/eis_results, sources and facts in its SOURCES.md); each
test states the facts of one file.
"""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from decimal import Decimal
from pathlib import Path

import pytest

from crawler.parsers import NotANotice
from crawler.parsers import ParseError
from crawler.parsers import parse_document
from crawler.parsers import parse_notices
from crawler.parsers.result_pages import read_results_tab
from data.results import ContractRecord
from data.results import ProtocolResult

RESULTS = Path(__file__).parent / "eis_results"
MSK = timezone(timedelta(hours=3))


def parsed(name: str) -> ProtocolResult | ContractRecord:
    (document,) = parse_document((RESULTS / name).read_bytes(), url=name)
    assert isinstance(document, ProtocolResult | ContractRecord)
    return document


def protocol(name: str) -> ProtocolResult:
    document = parsed(name)
    assert isinstance(document, ProtocolResult)
    return document


def contract(name: str) -> ContractRecord:
    document = parsed(name)
    assert isinstance(document, ContractRecord)
    return document


def prices(result: ProtocolResult) -> list[Decimal | None]:
    return [bid.price for bid in result.bids]


def test_2020_auction_summary_has_two_anonymous_bids_and_a_winner() -> None:
    result = protocol("44fz_epProtocolEF2020Final_0338300003326000140.xml")
    assert (result.law, result.purchase_number, result.document) == (
        "44-FZ",
        "0338300003326000140",
        "epProtocolEF2020Final",
    )
    assert result.version == 1
    assert result.published_at == datetime(2026, 9, 20, 20, 9, 10, tzinfo=timezone(timedelta(hours=12)))
    assert result.outcome == "winner"
    assert [(b.app_number, b.price, b.admitted, b.rank) for b in result.bids] == [
        ("121942620", Decimal("610207.99"), True, 1),
        ("121940198", Decimal("614796.02"), True, 2),
    ]
    assert all(b.participant_inn is None and b.participant_name is None for b in result.bids)
    assert result.winner is not None and result.winner.price == Decimal("610207.99")


def test_commission_votes_are_not_read_as_applications() -> None:
    raw = (RESULTS / "44fz_epProtocolEF2020Final_0338300003326000140.xml").read_bytes()
    assert raw.count(b"<ns5:admitted>") == 8  # 3 votes + 1 decision per application
    assert len(protocol("44fz_epProtocolEF2020Final_0338300003326000140.xml").bids) == 2


def test_old_auction_summary_names_every_participant_and_ranks_them() -> None:
    result = protocol("44fz_fcsProtocolEF3_0873500000820003425_30317356.xml")
    assert result.purchase_number == "0873500000820003425"
    assert result.published_at == datetime(2020, 10, 1, 12, 16, 7, 706000, tzinfo=MSK)
    assert result.outcome == "winner"
    assert len(result.bids) == 6 and all(b.admitted for b in result.bids)
    assert sorted(b.rank or 0 for b in result.bids) == [1, 2, 3, 4, 5, 6]
    winner = result.winner
    assert winner is not None
    assert (winner.app_number, winner.participant_inn, winner.price) == (
        "4",
        "9703009483",
        Decimal("1840283.61"),
    )
    assert winner.participant_name == 'ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ "ТАРГЕТ"'
    second = next(b for b in result.bids if b.rank == 2)
    assert (second.app_number, second.participant_inn, second.price) == (
        "1",
        "9729232422",
        Decimal("1960000.00"),
    )
    person = next(b for b in result.bids if b.participant_inn == "613303041597")
    assert person.participant_name == "ЖУКОВ АЛЕКСАНДР АЛЕКСАНДРОВИЧ"  # not the contact person


def test_auction_offers_protocol_has_offers_but_no_winner() -> None:
    result = protocol("44fz_fcsProtocolEF2_0373200557920000359_30317243.xml")
    assert result.outcome == "offers" and not result.final and result.winner is None
    assert [b.app_number for b in result.bids] == ["1", "3", "6", "5", "4"]
    assert prices(result) == [
        Decimal("6742083.65"),
        None,  # journal 3 made no offer
        Decimal("6695586.52"),
        Decimal("9100000.00"),
        Decimal("9113437.28"),
    ]
    assert all(b.admitted is None and b.rank is None for b in result.bids)


def test_single_application_is_its_own_outcome_with_that_participant_as_winner() -> None:
    result = protocol("44fz_fcsProtocolEFSingleApp_0173100000120000018_30317541.xml")
    assert result.purchase_number == "0173100000120000018"
    assert result.outcome == "single_application"
    assert result.reason is not None and "только одна заявка" in result.reason
    assert result.winner is not None
    assert (result.winner.participant_inn, result.winner.price) == ("7702404085", Decimal("265000000.00"))


def test_a_procedure_nobody_applied_to_is_stored_as_what_it_is() -> None:
    result = protocol("44fz_fcsProtocolEFInvalidation_0373100034920000012_30311370.xml")
    assert (result.purchase_number, result.outcome, result.bids, result.winner) == (
        "0373100034920000012",
        "no_applications",
        [],
        None,
    )
    assert result.reason is not None and "не подано ни одной заявки" in result.reason


def test_quotation_result_types_give_the_ranks() -> None:
    result = protocol("44fz_epProtocolEZK2_0373200554120000039_30312504.xml")
    assert (result.document, result.purchase_number, result.outcome) == (
        "epProtocolEZK2",
        "0373200554120000039",
        "winner",
    )
    assert [(b.app_number, b.participant_inn, b.price, b.rank) for b in result.bids] == [
        ("108314388", "771917383159", Decimal("99900"), 2),
        ("108314489", "7718927411", Decimal("99550"), 1),
    ]


def test_competition_winner_is_rank_one_not_the_cheapest() -> None:
    result = protocol("44fz_epProtocolEOK3_0373200041520000828_30314517.xml")
    assert result.outcome == "winner"
    assert [(b.participant_inn, b.price, b.admitted, b.rank) for b in result.bids] == [
        ("7718195662", Decimal("7649776.38"), True, 1),
        ("1655358649", Decimal("4949600.00"), True, 2),
    ]
    assert result.winner is not None and result.winner.participant_inn == "7718195662"


def test_2025_contract_links_its_purchase_and_names_an_individual_supplier() -> None:
    record = contract("44fz_contract_1770989550925003831.xml")
    assert (record.law, record.reg_number, record.purchase_number, record.version) == (
        "44-FZ",
        "1770989550925003831",
        "0858400000125000112",
        0,
    )
    assert record.signed_on == date(2025, 10, 7)
    assert record.published_at == datetime(2025, 10, 9, 19, 22, 17, 185000, tzinfo=MSK)
    assert (record.price, record.currency) == (Decimal("667600.00"), "RUB")
    assert record.customer_inn == "7709895509"
    assert (record.supplier_inn, record.supplier_name) == ("920160915807", "КОРОЛЕВА ОЛЬГА ИВАНОВНА")


def test_2014_contract_points_at_the_shared_sample_notice() -> None:
    record = contract("44fz_contract_0176100002714000010.xml")
    assert (record.reg_number, record.purchase_number) == ("0176100002714000010", "0176100002714001240")
    assert (record.signed_on, record.price) == (date(2014, 2, 5), Decimal("232750"))
    assert record.published_at == datetime(2014, 2, 6, 10, 19, 22, tzinfo=UTC)
    assert (record.customer_inn, record.supplier_inn, record.supplier_name) == (
        "0105017467",
        "0105049067",
        '"Альянс-Юг"',
    )


def test_223_contract_with_a_supplier() -> None:
    record = contract("223fz_contract_50105018196180000870001.xml")
    assert (record.law, record.reg_number, record.purchase_number, record.version) == (
        "223-FZ",
        "50105018196180000870001",
        "31806504639",
        1,
    )
    assert (record.signed_on, record.price, record.currency) == (
        date(2018, 5, 28),
        Decimal("317962.72"),
        "RUB",
    )
    assert record.published_at == datetime(2018, 5, 29, 10, 38, 5, tzinfo=MSK)
    assert any("Moscow" in note for note in record.notes)  # 223-FZ times carry no offset
    assert (record.customer_inn, record.supplier_inn) == ("0105018196", "2310140001")
    assert (
        record.supplier_name == 'ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ "КУБАНСКАЯ НЕФТЕГАЗОВАЯ КОМПАНИЯ"'
    )


def test_223_contract_without_a_supplier_is_kept_without_one() -> None:
    record = contract("223fz_contract_50105018196190002040001.xml")
    assert (record.purchase_number, record.price, record.signed_on) == (
        "31908645944",
        Decimal("1750000"),
        date(2019, 12, 16),
    )
    assert (record.supplier_inn, record.supplier_name) == (None, None)


def test_a_caller_wanting_notices_is_told_a_result_is_not_one() -> None:
    raw = (RESULTS / "44fz_fcsProtocolEF3_0873500000820003425_30317356.xml").read_bytes()
    with pytest.raises(NotANotice, match="result document"):
        parse_notices(raw, url="protocol.xml")


@pytest.mark.parametrize("name", sorted(p.name for p in RESULTS.glob("*.xml")))
def test_a_truncated_result_document_names_the_file(name: str) -> None:
    raw = (RESULTS / name).read_bytes()
    with pytest.raises(ParseError, match=f"^{name}: malformed XML"):
        parse_document(raw[: len(raw) // 2], url=name)


def test_a_protocol_without_a_purchase_number_is_refused() -> None:
    raw = (RESULTS / "44fz_fcsProtocolEFInvalidation_0373100034920000012_30311370.xml").read_bytes()
    broken = raw.replace(b"<purchaseNumber>0373100034920000012</purchaseNumber>", b"")
    assert broken != raw
    with pytest.raises(ParseError, match="no purchaseNumber"):
        parse_document(broken, url="p.xml")


def test_a_protocol_kind_without_prices_is_skipped_not_an_error() -> None:
    # The wrapper and root name of a first-parts review (fcsProtocolEF1), nothing else: the router's
    # decision depends on the name alone.
    doc = b'<ns2:export xmlns:ns2="http://zakupki.gov.ru/oos/export/1"><ns2:fcsProtocolEF1/></ns2:export>'
    with pytest.raises(NotANotice, match="fcsProtocolEF1"):
        parse_document(doc, url="ef1.xml")


# --- the EIS site's result pages (no token): real pages saved in September 2026 ---------------

QUOTATION_BID_LIST = "44fz_protocol-bid-list_0172200004526000010.html"
FAILED_AUCTION_BID_LIST = "44fz_protocol-bid-list_0373100073126000016.html"
RESULTS_TAB = "44fz_supplier-results_0172200004526000010.html"
BID_LIST_URL = (
    "https://zakupki.gov.ru/epz/order/notice/zk20/view/protocol/protocol-bid-list.html"
    "?regNumber=0172200004526000010&type=izk&version=1"
)


def test_a_quotations_bid_list_ranks_all_five_applications() -> None:
    raw = (RESULTS / QUOTATION_BID_LIST).read_bytes()
    (result,) = parse_document(raw, url=BID_LIST_URL)
    assert isinstance(result, ProtocolResult)
    assert (result.law, result.purchase_number, result.document, result.version) == (
        "44-FZ",
        "0172200004526000010",
        "eisPage:izk",
        1,
    )
    assert result.outcome == "winner" and result.url == BID_LIST_URL
    assert [(b.app_number, b.rank, b.price, b.admitted) for b in result.bids] == [
        ("ZK-420728", 1, Decimal("1070000.00"), True),
        ("ZK-421419", 2, Decimal("1148700.00"), True),
        ("ZK-421463", 3, Decimal("1200000.00"), True),
        ("ZK-421116", 4, Decimal("1370000.00"), True),
        ("ZK-421394", 5, Decimal("1777000.00"), True),
    ]
    assert result.winner is not None and result.winner.app_number == "ZK-420728"
    assert result.notes == []


def test_a_saved_bid_list_without_its_address_is_read_from_its_own_links() -> None:
    result = protocol(QUOTATION_BID_LIST)
    assert (result.purchase_number, result.document, result.version, result.url) == (
        "0172200004526000010",
        "eisPage:izk",
        1,
        None,
    )
    assert len(result.bids) == 5


def test_a_failed_auction_keeps_its_rejected_application_and_the_reason() -> None:
    result = protocol(FAILED_AUCTION_BID_LIST)
    assert (result.purchase_number, result.document) == ("0373100073126000016", "eisPage:iea")
    assert result.outcome == "single_application"
    assert result.reason is not None and "только одной заявки соответствующей требованиям" in result.reason
    assert [(b.app_number, b.rank, b.price, b.admitted) for b in result.bids] == [
        ("127", 1, Decimal("978544.50"), True),
        ("211", None, None, False),
    ]
    assert result.winner is not None and result.winner.app_number == "127"


def test_applications_past_the_first_page_are_counted_without_numbers() -> None:
    raw = (RESULTS / QUOTATION_BID_LIST).read_bytes()
    counted_more = raw.replace(
        "5(из них соответствует требованиям: 5 ; отклонено: 0 )".encode(),
        "14(из них соответствует требованиям: 12 ; отклонено: 2 )".encode(),
    )
    assert counted_more != raw
    result = protocol_of(counted_more)
    assert len(result.bids) == 14
    assert sum(1 for b in result.bids if b.admitted) == 12
    assert [b.app_number for b in result.bids[5:]] == [None] * 9
    assert result.notes == [
        "the page lists 5 of 14 applications (the EIS pages the list by 10): 9 are counted without "
        "their number and price"
    ]


def test_the_results_tab_links_the_deciding_protocol_and_is_not_stored_itself() -> None:
    raw = (RESULTS / RESULTS_TAB).read_bytes()
    tab = read_results_tab(raw, RESULTS_TAB)
    assert tab.purchase_number == "0172200004526000010"
    assert tab.deciding is not None
    assert tab.deciding.bid_list_url == BID_LIST_URL
    assert (tab.deciding.kind, tab.deciding.version) == ("izk", 1)
    assert tab.deciding.name.startswith("Протокол подведения итогов")
    assert tab.formed_at == datetime(2026, 9, 14, 17, 25, tzinfo=MSK)
    assert [(b.app_number, b.rank, b.price) for b in tab.winners] == [("ZK-420728", 1, Decimal("1070000.00"))]
    with pytest.raises(NotANotice, match="results tab"):
        parse_document(raw, url=RESULTS_TAB)


@pytest.mark.parametrize("name", [QUOTATION_BID_LIST, FAILED_AUCTION_BID_LIST])
def test_a_cut_result_page_is_an_error_not_fewer_applications(name: str) -> None:
    raw = (RESULTS / name).read_bytes()
    with pytest.raises(ParseError, match="cut off"):
        parse_document(raw[: len(raw) * 2 // 3], url=name)


def protocol_of(raw: bytes) -> ProtocolResult:
    (result,) = parse_document(raw, url="page.html")
    assert isinstance(result, ProtocolResult)
    return result
