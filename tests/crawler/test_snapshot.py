"""The generated EIS replay snapshot: determinism, variety, consistent money, real formats, round trip."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections import Counter
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from lxml import etree

from crawler.replay import QueryError
from crawler.replay import SearchQuery
from crawler.replay import SnapshotError
from crawler.replay import build_snapshot
from crawler.replay import iter_documents
from crawler.replay.catalog import METHODS_44
from crawler.replay.catalog import METHODS_223
from crawler.replay.catalog import REGIONS
from crawler.replay.catalog import SMALL_PURCHASE_44
from crawler.replay.snapshot import ftp_region_name

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
OOS = "http://zakupki.gov.ru/oos"


@pytest.fixture(scope="module")
def snap():
    return build_snapshot(seed=2026, now=NOW)


def _digest(snapshot) -> str:
    h = hashlib.sha256()
    for url, data, version in iter_documents(snapshot):
        h.update(url.encode() + data + snapshot.render_export(version))
        if version.purchase.law == "223-FZ":
            h.update(snapshot.render_json(version))
    h.update(snapshot.render_search_page(SearchQuery(per_page=500)))
    h.update(snapshot.render_rss(SearchQuery(per_page=200, search="поставка")))
    return h.hexdigest()


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(snap):
    assert _digest(build_snapshot(seed=2026, now=NOW)) == _digest(snap)
    assert _digest(build_snapshot(seed=7, now=NOW)) != _digest(snap)


def test_counts_and_variety(snap):
    purchases = snap.purchases
    assert len(purchases) == 320
    assert len({p.customer.region.code for p in purchases}) >= 30
    laws = Counter(p.law for p in purchases)
    assert 0.6 <= laws["44-FZ"] / len(purchases) <= 0.8
    assert {p.method.code for p in purchases} == {
        m.code for m in (*METHODS_44, SMALL_PURCHASE_44, *METHODS_223)
    }
    assert {p.method.kind for p in purchases} == {
        "auction",
        "quotation",
        "competition",
        "single_supplier",
        "other",
    }
    assert len({p.category.key for p in purchases}) == 12
    nmcks = [p.latest.nmck for p in purchases]
    assert min(nmcks) >= Decimal("40000") and max(nmcks) <= Decimal("600000000")
    assert (
        sum(n > Decimal("50000000") for n in nmcks) >= 10 and sum(n < Decimal("500000") for n in nmcks) >= 30
    )


def test_versions_are_republished_later_with_a_change(snap):
    versioned = [p for p in snap.purchases if len(p.versions) > 1]
    assert len(versioned) >= 0.1 * len(snap.purchases)
    assert any(len(p.versions) == 3 for p in versioned)
    for p in versioned:
        for older, newer in zip(p.versions, p.versions[1:], strict=False):
            assert newer.number == older.number + 1
            assert older.published_at < newer.published_at < NOW
            assert newer.deadline != older.deadline or newer.nmck != older.nmck
            assert newer.notice.published_at == p.versions[0].published_at
    assert len(snap.notices) == sum(len(p.versions) for p in snap.purchases)


def test_cancelled_purchases_show_the_cancelled_stage(snap):
    cancelled = [p for p in snap.purchases if p.cancelled]
    assert 3 <= len(cancelled) <= 25
    stages = {snap.listing(p).status for p in cancelled}
    assert stages <= {"Определение поставщика отменено", "Закупка отменена"}
    assert all(p.latest.notice.cancelled for p in cancelled)
    assert not any(p.latest.notice.cancelled for p in snap.purchases if not p.cancelled)


def test_times_are_aware_spread_and_mostly_open(snap):
    latest = [p.latest.notice for p in snap.purchases]
    assert all(n.published_at.tzinfo and n.updated_at.tzinfo for n in latest)
    assert all(NOW - timedelta(days=31) <= n.published_at < NOW for n in latest)
    offsets = {n.published_at.utcoffset() for n in latest}
    assert {timedelta(hours=3), timedelta(hours=5), timedelta(hours=7), timedelta(hours=10)} <= offsets
    open_ = [n for n in latest if n.submission_deadline and n.submission_deadline > NOW]
    assert len(open_) >= 0.75 * len(latest)
    single = [n for n in latest if n.kind == "single_supplier"]
    assert single and all(n.submission_deadline is None for n in single)


def test_money_adds_up_and_follows_the_security_rules(snap):
    for v in snap.versions:
        n = v.notice
        assert sum(item.sum for item in n.items) == n.nmck
        for item in n.items:
            assert item.price * item.quantity == item.sum
            assert item.sum.as_tuple().exponent >= -2
        if n.bid_security is not None:
            assert n.law == "44-FZ" and n.kind != "quotation" and n.nmck > Decimal("1000000")
            assert n.bid_security == (n.nmck * n.bid_security_percent / 100).quantize(Decimal("0.01"))
            ceiling = Decimal("1.0") if n.nmck <= Decimal("20000000") else Decimal("5.0")
            if n.smp_only:
                ceiling = min(ceiling, Decimal("2.0"))
            assert Decimal("0.5") <= n.bid_security_percent <= ceiling
        elif n.law == "44-FZ" and n.kind != "quotation":
            assert n.nmck <= Decimal("1000000")
        if n.contract_security_percent is not None:
            assert Decimal("0.5") <= n.contract_security_percent <= Decimal("30")
            assert (n.contract_security is None) == n.smp_only
    smp = [p for p in snap.purchases if p.smp_only and p.law == "44-FZ"]
    assert smp and all(p.latest.notice.preferences[0] == "PVS33044" for p in smp)


def test_ikz_is_consistent_with_the_customer(snap):
    for p in snap.purchases:
        inn = p.customer.inn
        assert inn[:2] == p.customer.region.code == p.latest.notice.customer_region
        weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
        assert int(inn[9]) == sum(int(d) * w for d, w in zip(inn[:9], weights, strict=True)) % 11 % 10
        if p.law == "44-FZ":
            ikz = p.latest.notice.ikz
            assert len(ikz) == 36 and ikz.isdigit()
            assert ikz[2:22] == p.customer.customer_code == p.customer.level + inn + p.customer.kpp
            assert ikz[-3:] == "244"
            assert p.reg_number.startswith(p.placer.reg_num) and len(p.reg_number) == 19
        else:
            assert len(p.reg_number) == 11 and p.reg_number.startswith("3")


def test_44fz_cards_use_the_real_namespaces_and_formats(snap):
    v = next(v for v in snap.versions if v.purchase.method.code == "EAP20" and v.bid_security)
    card = etree.fromstring(snap.render_card(v))
    assert card.tag == f"{{{OOS}/printform/1}}epNotificationEF2020"
    assert card.get("schemeVersion") == "15.3"
    ep = {"ep": f"{OOS}/EPtypes/1", "c": f"{OOS}/common/1", "b": f"{OOS}/base/1"}
    assert card.findtext("ep:commonInfo/ep:purchaseNumber", namespaces=ep) == v.purchase.reg_number
    assert card.findtext("ep:commonInfo/ep:placingWay/b:code", namespaces=ep) == "EAP20"
    bidding = card.findtext("ep:notificationInfo/ep:procedureInfo/ep:biddingDate", namespaces=ep)
    assert bidding == v.deadline.date().isoformat() + v.deadline.isoformat()[-6:]
    price = card.findtext(
        "ep:notificationInfo/ep:contractConditionsInfo/ep:maxPriceInfo/ep:maxPrice", namespaces=ep
    )
    assert Decimal(price) == v.nmck and "," not in price and "E" not in price
    export = etree.fromstring(snap.render_export(v))
    assert export.tag == f"{{{OOS}/export/1}}export"
    assert export[0].tag == f"{{{OOS}/export/1}}epNotificationEF2020"
    assert export.nsmap["ns5"] == f"{OOS}/EPtypes/1" and card.nsmap[None] == f"{OOS}/EPtypes/1"
    assert snap.render_export(v).startswith(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')


def test_every_document_is_well_formed(snap):
    roots = Counter()
    for _, data, v in iter_documents(snap):
        root = etree.fromstring(data)
        roots[etree.QName(root).localname] += 1
        if v.purchase.law == "223-FZ":
            assert etree.QName(root).namespace == "http://zakupki.gov.ru/223fz/purchase/1"
            assert b"+03:00" not in data  # 223 datetimes carry no offset
            document = json.loads(snap.render_json(v), parse_float=Decimal)
            assert document["noticeInfo"]["lots"][0]["startingContractPrice"] == v.nmck
    assert {"epNotificationEF2020", "epNotificationEZK2020", "epNotificationEOK2020"} <= set(roots)
    assert {
        "purchaseNoticeAE",
        "purchaseNoticeZK",
        "purchaseNoticeOK",
        "purchaseNoticeEP",
        "purchaseNoticeIS",
    } <= set(roots)
    etree.fromstring(snap.render_rss(SearchQuery(per_page=100)))


def test_search_page_paging_sort_and_filters(snap):
    first, total = snap.search(SearchQuery(per_page=50))
    assert total == len(snap.purchases) and len(first) == 50
    updated = [e.updated_at for e in first]
    assert updated == sorted(updated, reverse=True)
    second, _ = snap.search(SearchQuery(per_page=50, page=2))
    assert not {e.purchase.reg_number for e in first} & {e.purchase.reg_number for e in second}
    only223, total223 = snap.search(SearchQuery(laws=frozenset({"223-FZ"}), per_page=500))
    assert total223 == sum(p.law == "223-FZ" for p in snap.purchases) == len(only223)
    rich, _ = snap.search(SearchQuery(price_from=Decimal("10000000"), per_page=500))
    assert rich and all(e.version.nmck >= Decimal("10000000") for e in rich)
    html = snap.render_search_page(SearchQuery(per_page=10)).decode()
    assert html.count('class="search-registry-entry-block box-shadow-search-input"') == 10
    assert 'paginator-button paginator-button-next" data-pagenumber="2"' in html
    assert "&nbsp;₽" not in html and "\xa0" not in html and "&nbsp;" in html
    last_page = -(-total // 500)
    assert (
        "paginator-button-next"
        not in snap.render_search_page(SearchQuery(per_page=500, page=last_page)).decode()
    )


def test_query_parameters_are_read_like_the_eis_form():
    query = SearchQuery.from_params(
        {
            "fz44": "on",
            "recordsPerPage": "_50",
            "pageNumber": "3",
            "sortBy": "PRICE",
            "sortDirection": "true",
            "updateDateFrom": "01.11.2026",
            "priceFromGeneral": "100000",
        }
    )
    assert query.laws == frozenset({"44-FZ"}) and query.per_page == 50 and query.page == 3
    assert query.sort == "PRICE" and query.descending is False
    assert query.updated_from.isoformat() == "2026-11-01" and query.price_from == Decimal("100000")
    for bad in (
        {"recordsPerPage": "_37"},
        {"pageNumber": "0"},
        {"updateDateFrom": "2026-11-01"},
        {"sortBy": "X"},
    ):
        with pytest.raises(QueryError, match=next(iter(bad))):
            SearchQuery.from_params(bad)


def test_rss_keeps_the_real_quirks(snap):
    rss = etree.fromstring(
        snap.render_rss(SearchQuery(per_page=20, search="поставк"), query_string="fz44=on")
    )
    items = rss.findall("channel/item")
    assert items and all(item.find("guid") is None for item in items)
    assert rss.findtext("channel/link") == "/epz/order/extendedsearch/results.html?fz44=on"
    description = items[0].findtext("description")
    assert description.startswith("<b>Параметры поиска: </b>")
    assert "<span class='highlightColor'>" in description
    assert items[0].findtext("pubDate").endswith(" GMT")


def test_write_bulk_lays_out_the_export_archives(snap, tmp_path):
    written = snap.write_bulk(tmp_path)
    zips = [p for p in written if p.suffix == ".zip"]
    xmls = [p for p in written if p.suffix == ".xml"]
    assert zips and xmls
    moscow = [p for p in zips if p.parent.name == "Moskva"]
    assert (
        moscow
        and moscow[0].name.startswith("notification_Moskva_")
        and moscow[0].name.endswith("00_001.xml.zip")
    )
    members = [name for z in zips for name in zipfile.ZipFile(z).namelist()]
    assert len(members) == sum(len(p.versions) for p in snap.purchases if p.law == "44-FZ")
    assert all(name.startswith("epNotification") and name.endswith(".xml") for name in members)
    assert len(xmls) == sum(len(p.versions) for p in snap.purchases if p.law == "223-FZ")
    assert ftp_region_name("Свердловская область") == "Sverdlovskaja_obl"


def test_publish_next_mints_new_notices_after_now():
    one, two = build_snapshot(seed=5, count=20, now=NOW), build_snapshot(seed=5, count=20, now=NOW)
    at = NOW + timedelta(minutes=5)
    first = one.publish_next(at)
    assert first == two.publish_next(at)
    assert first.published_at == at and first.version == 1
    assert one.version(first.reg_number).notice == first
    later = one.publish_next(at + timedelta(minutes=1))
    assert later.reg_number != first.reg_number and len(one.purchases) == 22
    with pytest.raises(SnapshotError, match="timezone-aware"):
        one.publish_next(datetime(2026, 11, 23))
    with pytest.raises(SnapshotError, match="not in the snapshot"):
        one.purchase("0000000000000000000")


LIVE_AT = NOW + timedelta(hours=2)


def _open_purchase(snapshot, law: str, *, with_securities: bool = False):
    return next(
        p
        for p in snapshot.purchases
        if p.law == law
        and not p.cancelled
        and p.method.kind not in ("single_supplier", "quotation")
        and p.latest.deadline > LIVE_AT
        and (not with_securities or (p.latest.bid_security and p.latest.contract_security))
    )


def test_revise_live_moves_the_deadline_as_the_next_version_on_top():
    one, two = build_snapshot(seed=5, count=40, now=NOW), build_snapshot(seed=5, count=40, now=NOW)
    oldest = min(
        (
            p
            for p in one.purchases
            if not p.cancelled and p.latest.has_deadline and p.latest.deadline > LIVE_AT
        ),
        key=lambda p: (one.listing_updated_at(p), p.reg_number),
    )
    before = oldest.latest
    revised = one.revise_live(at=LIVE_AT)
    assert revised == two.revise_live(at=LIVE_AT)  # deterministic in the seed
    assert revised.reg_number == oldest.reg_number and revised.version == before.number + 1
    assert revised.updated_at == LIVE_AT and revised.published_at == oldest.versions[0].published_at
    assert revised.submission_deadline >= LIVE_AT + timedelta(days=10)
    assert revised.submission_deadline > before.deadline and revised.submission_deadline.minute == 0
    assert (revised.nmck, revised.items) == (before.notice.nmck, before.notice.items)
    assert one.version(revised.reg_number).notice == revised and revised in one.notices
    assert one.version(revised.reg_number, before.number) is before
    assert oldest.latest.modification == "Продление срока подачи заявок"
    entries, _ = one.search(SearchQuery(per_page=10))
    assert (entries[0].purchase.reg_number, entries[0].updated_at) == (revised.reg_number, LIVE_AT)
    second = one.revise_live(at=LIVE_AT + timedelta(seconds=1))
    assert second.reg_number != revised.reg_number  # the longest-unchanged one goes next


def test_revise_live_price_keeps_sums_and_security_shares_consistent():
    snapshot = build_snapshot(seed=2026, count=120, now=NOW)
    purchase = _open_purchase(snapshot, "44-FZ", with_securities=True)
    before = purchase.latest
    revised = snapshot.revise_live(purchase.reg_number, at=LIVE_AT, change="price")
    assert revised.nmck != before.nmck
    assert revised.nmck == sum((item.sum for item in revised.items), Decimal(0))
    assert all(item.sum == (item.price * item.quantity).quantize(Decimal("0.01")) for item in revised.items)
    assert [i.quantity for i in revised.items] == [i.quantity for i in before.notice.items]
    assert revised.bid_security_percent == before.bid_security.part
    assert revised.bid_security == (revised.nmck * before.bid_security.part / 100).quantize(Decimal("0.01"))
    assert revised.contract_security_percent == before.contract_security.part
    assert revised.submission_deadline >= LIVE_AT + timedelta(days=7)
    card = _parse()(snapshot.render_card(purchase.latest), url=purchase.card_url)[0]
    assert _mismatches(card, revised, CARD_FIELDS) == []


def test_revise_live_223_is_a_later_modification():
    snapshot = build_snapshot(seed=5, count=40, now=NOW)
    purchase = _open_purchase(snapshot, "223-FZ")
    revised = snapshot.revise_live(
        purchase.reg_number, at=LIVE_AT + timedelta(microseconds=5), change="price"
    )
    assert (revised.version, revised.updated_at) == (2, LIVE_AT)  # 223 documents carry whole seconds
    assert revised.updated_at.utcoffset() == purchase.tz.utcoffset(None)
    (card,) = _parse()(snapshot.render_card(purchase.latest), url=purchase.card_url)
    assert _mismatches(card, revised, CARD_FIELDS) == []


def test_cancel_live_lists_the_cancelled_stage_and_keeps_the_card():
    snapshot = build_snapshot(seed=5, count=40, now=NOW)
    purchase = _open_purchase(snapshot, "223-FZ")
    versions = len(purchase.versions)
    cancelled = snapshot.cancel_live(purchase.reg_number, at=LIVE_AT)
    assert cancelled.status == "Закупка отменена" and cancelled.cancelled
    assert len(purchase.versions) == versions and cancelled == purchase.latest.notice
    assert snapshot.listing_updated_at(purchase) == LIVE_AT
    listed = _parse()(snapshot.render_search_page(per_page=10), url="https://zakupki.gov.ru/results.html")
    assert (listed[0].reg_number, listed[0].status) == (purchase.reg_number, "Закупка отменена")
    with pytest.raises(SnapshotError, match=f"cannot revise {purchase.reg_number} .*: it is cancelled"):
        snapshot.revise_live(purchase.reg_number, at=LIVE_AT + timedelta(minutes=1))
    picked = snapshot.cancel_live(at=LIVE_AT + timedelta(minutes=1))
    stage = {"44-FZ": "Определение поставщика отменено", "223-FZ": "Закупка отменена"}[picked.law]
    assert (picked.status, snapshot.listing(snapshot.purchase(picked.reg_number)).status) == (stage, stage)
    assert picked.reg_number != purchase.reg_number


def test_live_changes_refuse_what_the_eis_would_not_do():
    snapshot = build_snapshot(seed=2026, count=120, now=NOW)
    purchase = _open_purchase(snapshot, "44-FZ")
    single = next(p for p in snapshot.purchases if p.method.kind == "single_supplier")
    past = next(p for p in snapshot.purchases if not p.cancelled and p.latest.deadline < NOW)
    with pytest.raises(SnapshotError, match="timezone-aware"):
        snapshot.revise_live(at=datetime(2026, 11, 23))
    with pytest.raises(SnapshotError, match="change='title' is not one of deadline, price"):
        snapshot.revise_live(at=LIVE_AT, change="title")
    with pytest.raises(SnapshotError, match="it was last updated at"):
        snapshot.cancel_live(purchase.reg_number, at=purchase.latest.published_at)
    with pytest.raises(SnapshotError, match="single-supplier purchase collects no applications"):
        snapshot.revise_live(single.reg_number, at=LIVE_AT)
    with pytest.raises(SnapshotError, match=r"submission deadline .* has passed"):
        snapshot.cancel_live(past.reg_number, at=LIVE_AT)
    with pytest.raises(SnapshotError, match="not in the snapshot"):
        snapshot.revise_live("0000000000000000000", at=LIVE_AT)
    far = NOW + timedelta(days=400)  # every deadline has passed by then
    with pytest.raises(SnapshotError, match=r"cannot cancel any purchase at .*: none is open"):
        snapshot.cancel_live(at=far)


def test_regions_catalog_is_rich_enough():
    assert len(REGIONS) >= 30 and len({r.code for r in REGIONS}) == len(REGIONS)


# ---- round trip through the project's parsers ---------------------------------------------------------

CARD_FIELDS = (
    "reg_number",
    "version",
    "law",
    "method_code",
    "kind",
    "title",
    "customer_name",
    "customer_inn",
    "customer_region",
    "delivery_regions",
    "nmck",
    "currency",
    "okpd2",
    "ktru",
    "updated_at",
    "submission_deadline",
    "auction_date",
    "bid_security",
    "bid_security_percent",
    "contract_security",
    "contract_security_percent",
    "smp_only",
    "preferences",
    "etp_name",
    "ikz",
)
JSON_FIELDS = tuple(
    f for f in CARD_FIELDS if f not in ("version", "method_code", "smp_only", "ikz", "updated_at")
)
LISTING_FIELDS = ("reg_number", "law", "title", "customer_name", "nmck", "status")


def _parse():
    parsers = pytest.importorskip("crawler.parsers")
    if not hasattr(parsers, "parse_document"):
        pytest.skip("crawler.parsers.parse_document is not written yet")
    return parsers.parse_document


def _mismatches(got, want, fields) -> list[str]:
    return [
        f"{want.reg_number} v{want.version} {f}: expected {getattr(want, f)!r}, got {getattr(got, f)!r}"
        for f in fields
        if getattr(got, f) != getattr(want, f)
    ]


def test_round_trip_cards_and_exports(snap):
    parse = _parse()
    problems = []
    for url, data, v in iter_documents(snap):
        (card,) = parse(data, url=url)
        problems += _mismatches(card, v.notice, CARD_FIELDS)
        (exported,) = parse(snap.render_export(v), url=f"bulk/{v.purchase.reg_number}.xml")
        problems += _mismatches(exported, v.notice, CARD_FIELDS)
        if v.purchase.law == "223-FZ":
            json_url = (
                "https://zakupki.gov.ru/api/mobile/proxy/223/purchase/public/purchase/info/"
                f"common-info.html?regNumber={v.purchase.reg_number}"
            )
            (mobile,) = parse(snap.render_json(v), url=json_url)
            problems += _mismatches(mobile, v.notice, JSON_FIELDS)
    assert problems == [], f"{len(problems)} mismatches, first: {problems[:10]}"


def test_round_trip_search_pages_and_rss(snap):
    parse = _parse()
    problems = []
    for page in (1, 2):
        query = SearchQuery(per_page=100, page=page)
        entries, _ = snap.search(query)
        for kind, data in (("html", snap.render_search_page(query)), ("rss", snap.render_rss(query))):
            parsed = parse(data, url=f"https://zakupki.gov.ru/epz/order/extendedsearch/results.{kind}")
            assert [n.reg_number for n in parsed] == [e.purchase.reg_number for e in entries]
            for got, entry in zip(parsed, entries, strict=True):
                want = snap.listing_notice(entry.purchase)
                fields = (
                    LISTING_FIELDS if kind == "html" else ("reg_number", "law", "title", "nmck", "status")
                )
                problems += [f"{kind}: {m}" for m in _mismatches(got, want, fields)]
                assert got.completeness == "listing"
    assert problems == [], f"{len(problems)} mismatches, first: {problems[:10]}"
