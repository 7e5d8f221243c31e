"""Result documents in the database (SQLite always, PostgreSQL when configured): stored once,
replaced by newer versions only, summed up per purchase and linked to notices whichever comes first."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from crawler.parsers import parse_document
from data.models import CONTRACTS
from data.models import PROTOCOL_BIDS
from data.models import PROTOCOLS
from data.models import PURCHASE_RESULTS
from data.models import SUPPLIERS
from data.notice import Notice
from data.results import ContractRecord
from data.results import ProtocolResult
from data.store import upsert_notices
from data.store import upsert_results
from tests.conftest import sample_bytes

RESULTS = Path(__file__).parents[1] / "crawler" / "eis_results"
ZK_NOTICE = "44fz_ftp_fcsNotificationZK44_0176100002714001240_5091.xml"


def results(*names: str) -> list[ProtocolResult | ContractRecord]:
    documents = [d for name in names for d in parse_document((RESULTS / name).read_bytes(), url=name)]
    assert all(isinstance(d, ProtocolResult | ContractRecord) for d in documents)
    return documents  # type: ignore[return-value]  # checked just above


def every_result() -> list[ProtocolResult | ContractRecord]:
    """The real protocols and contracts (44-FZ and 223-FZ XML; not the register's feed)."""
    return results(*sorted(p.name for p in RESULTS.glob("*fz_*.xml")))


def summary(session: Session, number: str) -> sa.RowMapping:
    query = sa.select(PURCHASE_RESULTS).where(PURCHASE_RESULTS.c.purchase_number == number)
    return session.connection().execute(query).mappings().one()


def count(session: Session, table: sa.Table) -> int:
    return session.connection().execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def test_every_real_result_is_stored_once_and_a_second_import_changes_nothing(session: Session) -> None:
    first = upsert_results(session, every_result(), source="test")
    assert (first.new, first.changed, first.unchanged) == (11, 0, 0)
    again = upsert_results(session, every_result(), source="test")
    assert (again.new, again.changed, again.unchanged) == (0, 0, 11)
    assert count(session, PROTOCOLS) == 7
    assert count(session, CONTRACTS) == 4
    assert (
        count(session, PROTOCOL_BIDS) == 2 + 6 + 5 + 1 + 2 + 2
    )  # EF2020Final, EF3, EF2, SingleApp, EZK2, EOK3
    assert count(session, PURCHASE_RESULTS) == 11  # every document is about a purchase of its own
    # named participants: EF3 6, SingleApp 1, EZK2 2, EOK3 2; suppliers of three contracts
    assert count(session, SUPPLIERS) == 6 + 1 + 2 + 2 + 3


def test_a_purchase_summary_names_the_winner_and_counts_the_applications(session: Session) -> None:
    upsert_results(session, every_result())
    auction = summary(session, "0873500000820003425")
    assert (auction["outcome"], auction["applications"], auction["admitted"]) == ("winner", 6, 6)
    assert (auction["winner_inn"], auction["winner_price"]) == ("9703009483", Decimal("1840283.61"))
    assert (auction["final_price"], auction["runner_up_price"]) == (
        Decimal("1840283.61"),
        Decimal("1960000.00"),
    )
    assert (auction["notice_linked"], auction["nmck"], auction["discount_bp"]) == (False, None, None)
    failed = summary(session, "0373100034920000012")
    assert (failed["outcome"], failed["applications"], failed["winner_price"]) == ("no_applications", 0, None)
    single = summary(session, "0173100000120000018")
    assert (single["outcome"], single["winner_inn"]) == ("single_application", "7702404085")
    offers = summary(session, "0373200557920000359")
    assert (offers["outcome"], offers["applications"], offers["winner_price"]) == ("offers", 5, None)
    contract_only = summary(session, "0858400000125000112")
    assert (contract_only["outcome"], contract_only["applications"]) == ("winner", None)
    assert (contract_only["winner_inn"], contract_only["final_price"]) == (
        "920160915807",
        Decimal("667600.00"),
    )


def test_a_contract_before_its_notice_is_linked_when_the_notice_arrives(session: Session) -> None:
    upsert_results(session, results("44fz_contract_0176100002714000010.xml"))
    waiting = summary(session, "0176100002714001240")
    assert (waiting["notice_linked"], waiting["discount_bp"]) == (False, None)
    (notice,) = parse_document(sample_bytes(ZK_NOTICE), url=ZK_NOTICE)
    assert isinstance(notice, Notice) and notice.nmck == Decimal("269990")
    upsert_notices(session, [notice])
    linked = summary(session, "0176100002714001240")
    assert (linked["notice_linked"], linked["nmck"], linked["region"], linked["kind"]) == (
        True,
        Decimal("269990"),
        "01",
        "quotation",
    )
    assert linked["final_price"] == Decimal("232750")
    assert linked["discount_bp"] == 1379  # (269 990 - 232 750) / 269 990 = 13.79 %
    assert linked["nmck_band"] == 1  # 100 000 - 500 000


def test_a_notice_before_its_contract_is_summed_up_at_once(session: Session) -> None:
    (notice,) = parse_document(sample_bytes(ZK_NOTICE), url=ZK_NOTICE)
    assert isinstance(notice, Notice)
    upsert_notices(session, [notice])
    upsert_results(session, results("44fz_contract_0176100002714000010.xml"))
    row = summary(session, "0176100002714001240")
    assert (row["notice_linked"], row["discount_bp"], row["winner_inn"]) == (True, 1379, "0105049067")


def test_only_a_newer_version_replaces_a_protocol(session: Session) -> None:
    (protocol,) = results("44fz_epProtocolEF2020Final_0338300003326000140.xml")
    assert isinstance(protocol, ProtocolResult) and protocol.version == 1
    upsert_results(session, [protocol])
    fewer = [protocol.bids[0].model_copy(update={"rank": 1})]
    older = protocol.model_copy(update={"version": 0, "bids": fewer})
    assert (upsert_results(session, [older]).unchanged, count(session, PROTOCOL_BIDS)) == (1, 2)
    newer = protocol.model_copy(update={"version": 2, "bids": fewer})
    assert (upsert_results(session, [newer]).changed, count(session, PROTOCOL_BIDS)) == (1, 1)
    assert summary(session, "0338300003326000140")["applications"] == 1


def test_an_anonymous_protocol_gets_its_winner_from_the_contract(session: Session) -> None:
    (protocol,) = results("44fz_epProtocolEF2020Final_0338300003326000140.xml")
    assert isinstance(protocol, ProtocolResult)
    contract = ContractRecord(
        law="44-FZ",
        reg_number="2410200318126000001",
        purchase_number="0338300003326000140",
        price=Decimal("610207.99"),
        supplier_inn="4101000000",
        supplier_name="ООО «Поставщик»",
    )
    upsert_results(session, [protocol, contract])
    row = summary(session, "0338300003326000140")
    assert (row["winner_price"], row["winner_inn"], row["contract_price"]) == (
        Decimal("610207.99"),
        "4101000000",
        Decimal("610207.99"),
    )
