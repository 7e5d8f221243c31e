"""The replay's results: generated protocols read back by the real parser as they were made, and
every past auction of a snapshot gets one."""

from __future__ import annotations

import zipfile
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from crawler.parsers import parse_document
from crawler.replay import build_snapshot
from crawler.replay.market import results_of
from crawler.replay.market import simulated_auctions
from crawler.replay.market import write_protocols
from crawler.replay.render_results import render_protocol
from data.results import ProtocolResult

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def test_a_rendered_protocol_parses_back_to_itself() -> None:
    for _, protocol in simulated_auctions(per_segment=20):
        xml = render_protocol(protocol, publisher_inn="4102003181", publisher_name="ГБУЗ «Больница»")
        (parsed,) = parse_document(xml, url="p.xml")
        assert parsed == protocol


def test_every_past_auction_of_a_snapshot_gets_a_protocol_and_no_other_purchase_does() -> None:
    snapshot = build_snapshot(seed=5, count=120, now=NOW - timedelta(days=60))
    latest = {n.reg_number: n for n in snapshot.notices}
    results = results_of(latest.values(), now=NOW)
    auctions = {
        n.reg_number
        for n in latest.values()
        if n.law == "44-FZ" and n.kind == "auction" and n.nmck and not n.cancelled and n.submission_deadline
    }
    assert results and {r.purchase_number for r in results} == auctions
    for result in results:
        notice = latest[result.purchase_number]
        assert result.published_at is not None and notice.submission_deadline is not None
        assert result.published_at == notice.submission_deadline + timedelta(days=3)
        prices = [b.price for b in result.bids if b.price is not None]
        assert notice.nmck is not None and all(0 < p <= notice.nmck for p in prices)
    assert results_of(latest.values(), now=NOW - timedelta(days=365)) == []  # nothing decided yet


def test_written_protocols_are_named_like_the_eis_export(tmp_path) -> None:
    protocols = [p for _, p in simulated_auctions(per_segment=2)]
    archive = write_protocols(protocols, tmp_path / "out" / "protocols.zip")
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        assert names == [f"epProtocolEF2020Final_{p.purchase_number}_{p.doc_id}.xml" for p in protocols]
        read = [d for name in names for d in parse_document(zf.read(name), url=name)]
    assert all(isinstance(d, ProtocolResult) for d in read) and read == protocols
