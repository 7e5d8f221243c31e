"""The EIS replay server over real HTTP on 127.0.0.1: paths, paging, filters, faults, publishing, CLI."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

from crawler.parsers import ParseError
from crawler.parsers import parse_document
from crawler.parsers.html import looks_like_error_page
from crawler.replay import build_snapshot
from crawler.replay.faults import FaultPlan
from crawler.replay.faults import FaultSpecError
from crawler.replay.generate import moscow_now_floor
from crawler.replay.pages import ru_date
from crawler.replay.server import ReplayServerError
from crawler.replay.server import start_replay

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
COUNT = 40
SEARCH = "/epz/order/extendedsearch/results.html"
RSS = "/epz/order/extendedsearch/rss.html"
CARD44 = "/epz/order/notice/printForm/viewXml.html?regNumber="
JSON223 = "/api/mobile/proxy/223/purchase/public/purchase/info/common-info.html?regNumber="
EIS = "https://zakupki.gov.ru"
NEXT_BUTTON = 'class="paginator-button paginator-button-next"'
CARD_FIELDS = ("reg_number", "law", "version", "title", "nmck", "submission_deadline", "customer_inn")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


LAWS = "fz44=on&fz223=on"
"""Both laws, as the spider asks: without a law flag the EIS also lists «ПП РФ 615» auctions."""


def fetch(base: str, path: str, *, data: bytes | None = None, timeout: float = 10) -> Reply:
    request = urllib.request.Request(base + path, data=data, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, dict(exc.headers.items()), exc.read())


@pytest.fixture(scope="module")
def snap():
    return build_snapshot(seed=2026, count=COUNT, now=NOW)


@pytest.fixture
def server(snap):
    with start_replay(snap) as running:
        yield running


@pytest.fixture
def fresh():
    """A snapshot of its own for tests that publish (they mutate it)."""
    return build_snapshot(seed=11, count=COUNT, now=NOW)


@pytest.fixture
def ahead():
    """A snapshot of its own whose "now" is tomorrow: live changes land one second after its newest
    update whatever the wall clock says, and its open purchases stay open on any day the tests run."""
    return build_snapshot(seed=11, count=COUNT, now=moscow_now_floor(None) + timedelta(days=1))


def reg_numbers(body: bytes) -> list[str]:
    return [n.reg_number for n in parse_document(body, url=EIS + SEARCH)]


def expected_order(snapshot, purchases=None) -> list[str]:
    purchases = snapshot.purchases if purchases is None else purchases
    ranked = sorted(purchases, key=lambda p: (snapshot.listing_updated_at(p), p.reg_number), reverse=True)
    return [p.reg_number for p in ranked]


def first(snapshot, law: str):
    return next(p for p in snapshot.purchases if p.law == law)


# ---- search page -------------------------------------------------------------------------------------


def test_search_pages_cover_everything_newest_update_first(server, snap):
    pages = [fetch(server.url, f"{SEARCH}?{LAWS}&pageNumber={n}&recordsPerPage=_10") for n in (1, 2, 3, 4)]
    assert [p.status for p in pages] == [200, 200, 200, 200]
    assert pages[0].headers["Content-Type"] == "text/html; charset=utf-8"
    listed = [reg for page in pages for reg in reg_numbers(page.body)]
    assert listed == expected_order(snap)
    assert [NEXT_BUTTON in p.body.decode() for p in pages] == [True, True, True, False]
    assert "40 записей" in pages[0].body.decode()


def test_default_page_size_and_largest_page(server, snap):
    assert len(reg_numbers(fetch(server.url, f"{SEARCH}?{LAWS}").body)) == 10
    whole = fetch(server.url, f"{SEARCH}?{LAWS}&recordsPerPage=_50")
    assert reg_numbers(whole.body) == expected_order(snap)
    assert NEXT_BUTTON not in whole.body.decode()
    assert "paginator-block" not in whole.body.decode()


def test_laws_filter(server, snap):
    for flag, law in (("fz44", "44-FZ"), ("fz223", "223-FZ")):
        body = fetch(server.url, f"{SEARCH}?{flag}=on&recordsPerPage=_50").body
        want = expected_order(snap, [p for p in snap.purchases if p.law == law])
        assert reg_numbers(body) == want
        assert {n.law for n in parse_document(body, url=EIS + SEARCH)} == {law}
    both = fetch(server.url, f"{SEARCH}?fz44=on&fz223=on&recordsPerPage=_50").body
    assert len(reg_numbers(both)) == COUNT


def test_update_date_from_filter(server, snap):
    days = sorted({_day(snap, p) for p in snap.purchases})
    cutoff = days[len(days) // 2]
    want = expected_order(snap, [p for p in snap.purchases if _day(snap, p) >= cutoff])
    body = fetch(server.url, f"{SEARCH}?updateDateFrom={cutoff:%d.%m.%Y}&recordsPerPage=_50").body
    assert reg_numbers(body) == want
    assert 0 < len(want) < COUNT


def _day(snapshot, purchase):
    """The Moscow day the search page shows as «Обновлено» (what updateDateFrom compares)."""
    return datetime.strptime(ru_date(snapshot.listing_updated_at(purchase)), "%d.%m.%Y").date()


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("recordsPerPage=_7", "recordsPerPage='_7'"),
        ("pageNumber=0", "pageNumber='0'"),
        ("pageNumber=two", "pageNumber='two'"),
        ("updateDateFrom=2026-11-01", "updateDateFrom='2026-11-01'"),
        ("sortBy=NAME", "sortBy='NAME'"),
    ],
)
def test_bad_search_parameter_is_400_naming_it(server, query, named):
    for path in (SEARCH, RSS):
        reply = fetch(server.url, f"{path}?{query}")
        assert reply.status == 400
        assert named in reply.body.decode()


def test_search_entries_link_to_card_pages_that_parse(server, snap):
    body = fetch(server.url, f"{SEARCH}?{LAWS}&recordsPerPage=_50").body
    links = re.findall(
        r'registry-entry__header-mid__number">\s*<a target="_blank" href="([^"]+)"', body.decode()
    )
    assert len(links) == COUNT
    for link in links:
        assert link.startswith(EIS)
        reply = fetch(server.url, link.removeprefix(EIS))
        assert reply.status == 200, link
        (notice,) = parse_document(reply.body, url=link)
        purchase = snap.purchase(notice.reg_number)
        assert link == purchase.card_url
        assert (notice.law, notice.nmck, notice.title) == (purchase.law, purchase.latest.nmck, purchase.title)
        assert notice.status == snap.listing(purchase).status


def test_card_page_with_another_method_slug_is_404(server, snap):
    purchase = first(snap, "44-FZ")
    other = "ea20" if purchase.method.slug != "ea20" else "zk20"
    reply = fetch(
        server.url, f"/epz/order/notice/{other}/view/common-info.html?regNumber={purchase.reg_number}"
    )
    assert reply.status == 404
    assert f"/{purchase.method.slug}/" in reply.body.decode()


# ---- RSS ---------------------------------------------------------------------------------------------


def test_rss_same_parameters_as_search(server, snap):
    reply = fetch(server.url, f"{RSS}?fz223=on&recordsPerPage=_20")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    notices = parse_document(reply.body, url=EIS + RSS)
    want = expected_order(snap, [p for p in snap.purchases if p.law == "223-FZ"])[:20]
    assert [n.reg_number for n in notices] == want
    assert b"fz223=on&amp;recordsPerPage=_20" in reply.body  # the channel link keeps the query


# ---- cards -------------------------------------------------------------------------------------------


def test_44_card_is_the_latest_version_xml(server, snap):
    versioned = [p for p in snap.purchases if p.law == "44-FZ" and len(p.versions) > 1]
    purchase = versioned[0] if versioned else first(snap, "44-FZ")
    reply = fetch(server.url, CARD44 + purchase.reg_number)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert reply.body == snap.render_card(purchase.latest)
    (notice,) = parse_document(reply.body, url=server.url + CARD44 + purchase.reg_number)
    want = purchase.latest.notice
    assert [getattr(notice, f) for f in CARD_FIELDS] == [getattr(want, f) for f in CARD_FIELDS]


def test_223_json_is_the_latest_version(server, snap):
    purchase = first(snap, "223-FZ")
    reply = fetch(server.url, JSON223 + purchase.reg_number)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    assert reply.body == snap.render_json(purchase.latest)
    (notice,) = parse_document(reply.body, url=server.url + JSON223 + purchase.reg_number)
    want = purchase.latest.notice
    assert (notice.reg_number, notice.law, notice.nmck, notice.title, notice.customer_inn) == (
        want.reg_number,
        "223-FZ",
        want.nmck,
        want.title,
        want.customer_inn,
    )


def test_card_errors(server, snap):
    p44, p223 = first(snap, "44-FZ"), first(snap, "223-FZ")
    cases = {
        CARD44 + "0000000000000000000": (404, "'0000000000000000000' is not in the snapshot"),
        CARD44 + p223.reg_number: (404, "is a 223-FZ notice"),
        JSON223 + p44.reg_number: (404, "is a 44-FZ notice"),
        CARD44.removesuffix("?regNumber="): (400, "regNumber is required"),
        JSON223 + "": (400, "regNumber is required"),
        "/epz/order/notice/nowhere.html": (404, "no such page"),
    }
    for path, (status, message) in cases.items():
        reply = fetch(server.url, path)
        assert (reply.status, message in reply.body.decode()) == (status, True), path
    assert fetch(server.url, SEARCH, data=b"x").status == 405


# ---- stats and control -------------------------------------------------------------------------------


def test_stats_count_by_kind_and_status_and_reset(server, snap):
    fetch(server.url, SEARCH)
    fetch(server.url, SEARCH + "?pageNumber=x")
    fetch(server.url, RSS)
    fetch(server.url, CARD44 + first(snap, "44-FZ").reg_number)
    fetch(server.url, JSON223 + first(snap, "223-FZ").reg_number)
    fetch(server.url, "/nothing")
    stats = json.loads(fetch(server.url, "/_replay/stats").body)
    assert stats["requests"] == {
        "card": {"200": 1},
        "json": {"200": 1},
        "list": {"200": 1, "400": 1},
        "other": {"404": 1},
        "rss": {"200": 1},
    }
    assert stats["total"] == 6  # control requests are not counted
    assert stats["faults_total"] == 0
    assert stats["published_count"] == 0
    assert stats["purchases"] == COUNT
    assert stats["snapshot_now"] == NOW.isoformat()
    assert datetime.fromisoformat(stats["now"]).tzinfo is not None
    assert stats == {**server.stats(), "now": stats["now"]}
    reset = json.loads(fetch(server.url, "/_replay/reset-stats", data=b"").body)
    assert (reset["total"], reset["requests"]) == (0, {})


def test_fault_plan_set_and_shown_over_http(server):
    shown = json.loads(fetch(server.url, "/_replay/faults", data=b"5xx=2,only=card").body)
    assert shown == {"plan": {"5xx": 2, "only": ["card"]}, "spec": "5xx=2,only=card", "remaining": {"5xx": 2}}
    body = json.dumps({"429": 1, "retry-after": 3}).encode()
    assert json.loads(fetch(server.url, "/_replay/faults", data=body).body)["spec"] == "429=1,retry-after=3"
    assert json.loads(fetch(server.url, "/_replay/faults").body)["plan"] == {"429": 1, "retry-after": 3}
    bad = fetch(server.url, "/_replay/faults", data=b"teapot=1")
    assert bad.status == 400 and "unknown fault key 'teapot'" in bad.body.decode()
    assert json.loads(fetch(server.url, "/_replay/faults", data=b"").body)["plan"] == {}


# ---- faults ------------------------------------------------------------------------------------------


def test_5xx_burst_then_success(server):
    server.set_faults("5xx=2")
    statuses = [fetch(server.url, SEARCH).status for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert server.stats()["faults"]["5xx"] == 2
    assert server.stats()["requests"]["list"] == {"200": 1, "503": 2}


def test_429_carries_retry_after(server):
    server.set_faults("429=1,retry-after=7")
    limited = fetch(server.url, RSS)
    assert (limited.status, limited.headers["Retry-After"]) == (429, "7")
    assert fetch(server.url, RSS).status == 200
    assert server.stats()["faults"]["429"] == 1


def test_slow_response_trips_a_client_timeout_then_recovers(server, snap):
    server.set_faults("slow=1,delay=2")
    path = CARD44 + first(snap, "44-FZ").reg_number
    with pytest.raises((TimeoutError, urllib.error.URLError, socket.timeout)):
        fetch(server.url, path, timeout=0.2)
    assert fetch(server.url, path).status == 200
    assert server.stats()["faults"]["slow"] == 1


def test_truncated_xml_is_half_the_body_and_fails_to_parse(server, snap):
    server.set_faults("truncate=1,only=card")
    purchase = first(snap, "44-FZ")
    assert fetch(server.url, SEARCH).status == 200  # not a card: untouched, nothing consumed
    cut = fetch(server.url, CARD44 + purchase.reg_number)
    whole = snap.render_card(purchase.latest)
    assert (cut.status, cut.body) == (200, whole[: len(whole) // 2])
    with pytest.raises(ParseError, match="malformed XML"):
        parse_document(cut.body, url=server.url + CARD44 + purchase.reg_number)
    assert fetch(server.url, CARD44 + purchase.reg_number).body == whole


@pytest.mark.parametrize(("kind", "reason"), [("maintenance", "maintenance page"), ("captcha", "captcha")])
def test_error_pages_are_200_html_and_recognised(server, snap, kind, reason):
    server.set_faults(f"{kind}=1")
    reply = fetch(server.url, CARD44 + first(snap, "44-FZ").reg_number)
    assert (reply.status, reply.headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert reason in looks_like_error_page(reply.body)
    with pytest.raises(ParseError, match=reason):
        parse_document(reply.body, url=server.url + CARD44)
    assert server.stats()["faults"][kind] == 1
    if kind == "maintenance":
        assert "Технические работы" in reply.body.decode()


def test_every_spaces_the_faults_and_only_limits_the_kind(server, snap):
    server.set_faults("5xx=2,every=2,only=list")
    statuses = [fetch(server.url, SEARCH).status for _ in range(5)]
    assert statuses == [200, 503, 200, 503, 200]
    assert fetch(server.url, CARD44 + first(snap, "44-FZ").reg_number).status == 200


def test_probability_faults_are_seeded(server):
    server.set_faults("5xx=0.5,seed=3")
    statuses = [fetch(server.url, RSS).status for _ in range(12)]
    rng = random.Random(3)
    assert statuses == [503 if rng.random() < 0.5 else 200 for _ in range(12)]


def test_query_parameter_fault(server):
    assert fetch(server.url, f"{SEARCH}?_fault=503").status == 503
    reply = fetch(server.url, f"{RSS}?fz44=on&_fault=429")
    assert (reply.status, reply.headers["Retry-After"]) == (429, "1")
    bad = fetch(server.url, f"{SEARCH}?_fault=boom")
    assert bad.status == 400 and "_fault='boom'" in bad.body.decode()
    clean = fetch(server.url, f"{RSS}?fz44=on&_fault=slow")
    assert clean.status == 200 and b"_fault" not in clean.body


def test_start_with_fault_plan_counts_in_stats(snap):
    with start_replay(snap, faults=FaultPlan.parse("maintenance=1,5xx=1")) as running:
        assert [fetch(running.url, SEARCH).status for _ in range(3)] == [503, 200, 200]
        stats = running.stats()
        assert stats["faults"] == {
            "5xx": 1,
            "429": 0,
            "403": 0,
            "434": 0,
            "maintenance": 1,
            "captcha": 0,
            "truncate": 0,
            "slow": 0,
        }
        assert stats["faults_total"] == 2


# ---- fault grammar -----------------------------------------------------------------------------------


def test_fault_spec_grammar_round_trips():
    spec = "5xx=3,429=2,maintenance=2,captcha=1,truncate=0.1,slow=1,"
    spec += "retry-after=4,delay=0.5,every=4,only=card+json"
    plan = FaultPlan.parse(spec)
    assert plan.rates == {"5xx": 3, "429": 2, "maintenance": 2, "captcha": 1, "truncate": 0.1, "slow": 1}
    assert (plan.retry_after, plan.delay, plan.every, plan.only) == (4, 0.5, 4, frozenset({"card", "json"}))
    assert FaultPlan.parse(plan.to_spec()) == plan
    assert FaultPlan.from_mapping(json.loads(json.dumps(plan.to_dict()))) == plan
    assert FaultPlan.parse("503=1") == FaultPlan.parse("5xx=1")
    assert FaultPlan.parse("") == FaultPlan()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("5xx", "'5xx' is not key=value"),
        ("5xx=lots", "5xx='lots' is not a number"),
        ("5xx=1.5", "a count must be whole"),
        ("429=-1", "429='-1' must be a count"),
        ("every=0", "every='0' must be 1 or more"),
        ("delay=forever", "delay='forever' is not a number of seconds"),
        ("only=cards", "unknown path kind 'cards'"),
        ("timeout=3", "unknown fault key 'timeout'"),
    ],
)
def test_bad_fault_specs_name_the_problem(spec, message):
    with pytest.raises(FaultSpecError, match=re.escape(message)):
        FaultPlan.parse(spec)


def test_bad_settings_and_busy_port_are_clear_errors(snap):
    with pytest.raises(FaultSpecError):
        start_replay(snap, faults="nope=1")
    with pytest.raises(ReplayServerError, match="publish_rate=0"):
        start_replay(snap, publish_rate=0)
    with start_replay(snap) as running:
        with pytest.raises(ReplayServerError, match=f"cannot listen on 127.0.0.1:{running.port}"):
            start_replay(snap, port=running.port)
        running.stop()
        running.stop()  # idempotent


# ---- publishing --------------------------------------------------------------------------------------


def test_publish_puts_new_notices_on_top_of_search_and_rss(fresh):
    newest_before = fresh.latest_update()
    with start_replay(fresh) as running:
        minted = json.loads(fetch(running.url, "/_replay/publish?count=2", data=b"").body)["published"]
        assert len(minted) == 2 and not set(minted) & set(expected_order(fresh)[2:])
        assert reg_numbers(fetch(running.url, SEARCH).body)[:2] == minted[::-1]
        rss = parse_document(fetch(running.url, RSS).body, url=EIS + RSS)
        assert [n.reg_number for n in rss[:2]] == minted[::-1]
        stats = running.stats()
        assert [p["reg_number"] for p in stats["published"]] == minted
        updated = [datetime.fromisoformat(p["updated_at"]) for p in stats["published"]]
        assert newest_before < updated[0] < updated[1]
        for reg in minted:
            path = (CARD44 if fresh.purchase(reg).law == "44-FZ" else JSON223) + reg
            (card,) = parse_document(fetch(running.url, path).body, url=running.url + path)
            assert card.reg_number == reg
        assert fetch(running.url, "/_replay/publish?count=0", data=b"").status == 400


def test_revise_and_cancel_endpoints_change_listed_notices(ahead):
    newest_before = ahead.latest_update()
    with start_replay(ahead) as running:
        reply = fetch(running.url, "/_replay/revise?count=2&change=price", data=b"")
        revised = json.loads(reply.body)["revised"]
        cancelled = json.loads(fetch(running.url, "/_replay/cancel?count=1", data=b"").body)["cancelled"]
        assert len(set(revised + cancelled)) == 3
        assert reg_numbers(fetch(running.url, SEARCH).body)[:3] == [*cancelled, *revised[::-1]]
        stats = running.stats()
        assert (stats["revised_count"], stats["cancelled_count"], stats["published_count"]) == (2, 1, 0)
        assert [(e["reg_number"], e["change"], e["version"]) for e in stats["revised"]] == [
            (reg, "price", ahead.purchase(reg).latest.number) for reg in revised
        ]
        assert [e["reg_number"] for e in stats["cancelled"]] == cancelled
        moments = [datetime.fromisoformat(e["updated_at"]) for e in stats["revised"] + stats["cancelled"]]
        assert newest_before < moments[0] < moments[1] < moments[2]
        assert all(datetime.fromisoformat(e["published_at"]).tzinfo is UTC for e in stats["revised"])
        for reg in revised:
            purchase = ahead.purchase(reg)
            path = (CARD44 if purchase.law == "44-FZ" else JSON223) + reg
            (card,) = parse_document(fetch(running.url, path).body, url=running.url + path)
            assert card.nmck == purchase.latest.nmck != purchase.versions[-2].nmck
        top = parse_document(fetch(running.url, SEARCH).body, url=EIS + SEARCH)[0]
        assert (top.reg_number, top.cancelled) == (cancelled[0], True)


def test_revise_and_cancel_endpoints_refuse_bad_requests(ahead):
    with start_replay(ahead) as running:
        bad_change = fetch(running.url, "/_replay/revise?count=1&change=title", data=b"")
        assert (bad_change.status, bad_change.body) == (
            400,
            b"change='title' is not one of deadline, price\n",
        )
        assert fetch(running.url, "/_replay/cancel?count=0", data=b"").status == 400
        with pytest.raises(ReplayServerError, match="change='x' is not one of deadline, price"):
            running.revise(change="x")
        exhausted = fetch(running.url, "/_replay/cancel?count=1000", data=b"")
        assert exhausted.status == 409
        done = running.stats()["cancelled_count"]
        assert exhausted.body.decode().endswith(
            f"none is open, uncancelled and older (after {done} of 1000 cancelled)\n"
        )
        assert 0 < done < COUNT and running.stats()["total"] == 0  # control requests are not counted


def test_publish_rate_mints_in_the_background(fresh):
    with start_replay(fresh, publish_rate=1200) as running:  # one every 50 ms
        deadline = time.monotonic() + 20
        while running.stats()["published_count"] < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        published = running.stats()["published"]
        assert len(published) >= 2
        top = reg_numbers(fetch(running.url, f"{SEARCH}?recordsPerPage=_50").body)
        assert published[0]["reg_number"] in top
        assert all(datetime.fromisoformat(p["published_at"]).tzinfo is not None for p in published)


def test_concurrent_requests_while_publishing(fresh):
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def crawl() -> None:
        for _ in range(10):
            status = fetch(running.url, f"{SEARCH}?recordsPerPage=_50").status
            with lock:
                statuses[status] += 1

    with start_replay(fresh, publish_rate=3000) as running:
        workers = [threading.Thread(target=crawl) for _ in range(6)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert statuses == Counter({200: 60})
        assert running.stats()["requests"]["list"] == {"200": 60}


# ---- CLI ---------------------------------------------------------------------------------------------


def test_cli_serves_until_sigterm(tmp_path: Path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    command = [sys.executable, "-m", "tenderwatch.cli", "replay", "--port", "0", "--count", "40"]
    command += ["--faults", "5xx=1"]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path
    )
    try:
        lines = []
        url = None
        while url is None:
            line = proc.stdout.readline()
            if not line:
                pytest.fail(f"replay exited early: {''.join(lines)} {proc.stderr.read()}")
            lines.append(line)
            m = re.search(r"TENDERWATCH_CRAWLER__BASE_URL=(http://127\.0\.0\.1:\d+)", line)
            url = m.group(1) if m else None
        assert fetch(url, SEARCH).status == 503
        assert len(reg_numbers(fetch(url, f"{SEARCH}?recordsPerPage=_50").body)) == 40
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "stopped after 2 requests" in out
