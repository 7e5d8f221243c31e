"""Issue items 1 and 4: a listing page that is cut off or cannot be read must never end a crawl as
complete, and the high-water mark must never move past entries that were not listed.

Every cut point of a real-format results page is tried against the check the spider makes, then
whole crawls of the replay are run with the faults the audit found (page 1 cut once; page 2 cut
or failing on every retry) and followed by clean crawls: every notice must end up stored once.
"""

from __future__ import annotations

import pytest

from crawler.parsers import ParseError
from crawler.parsers import parse_document
from crawler.parsers.html import read_search_page
from crawler.replay import SearchQuery
from crawler.replay import build_snapshot
from crawler.replay.server import start_replay
from crawler.runner import run_crawl
from data.db import make_engine
from data.db import session_scope
from data.store import get_high_water
from tests.crawler.crawl_helpers import NOW
from tests.crawler.crawl_helpers import fast_config
from tests.crawler.crawl_helpers import mismatches
from tests.crawler.crawl_helpers import stored_rows
from tests.faults.ledger import record

PAGE = 100
"""Crawls read 100 entries a page (``recordsPerPage=_100``, an EIS choice; production asks 500):
three pages of the 300-notice snapshot, so page 2 is a middle page, at a fifth of the time."""
CUT_PAGE = 20
"""The cut-point test uses 20 entries a page (``recordsPerPage=_20``, an EIS choice): the same
markup, and 400 parses of it take seconds instead of minutes."""


@pytest.fixture(scope="module")
def snapshot():
    return build_snapshot(seed=13, count=300, now=NOW)


def _cut_points(data: bytes, count: int = 400) -> range:
    return range(1, len(data), max(1, len(data) // count))


def _parses(data: bytes) -> bool:
    try:
        parse_document(data, url="results.html")
    except ParseError:
        return False
    return True


@pytest.mark.parametrize("page", [1, 2, 3])
def test_no_cut_point_of_a_results_page_passes_as_whole(page):
    """What the eis spider does with a listing body: it takes it only if it proves it is whole."""
    snapshot = build_snapshot(seed=13, count=50, now=NOW)  # pages of 20, 20 and 10 entries
    data = snapshot.render_search_page(SearchQuery(per_page=CUT_PAGE, page=page), query_string="fz44=on")
    assert read_search_page(data, "results.html").gap(page=page, page_size=CUT_PAGE) is None
    cuts = list(_cut_points(data))
    parsed, accepted = 0, 0
    for cut in cuts:
        try:
            listing = read_search_page(data[:cut], "results.html")
        except ParseError:
            continue
        parsed += 1  # before the fix, each of these was taken as a valid (shorter, last) page
        accepted += listing.gap(page=page, page_size=CUT_PAGE) is None
    case = record(
        1,
        "results page cut at every point (pages 1-3)",
        unit="cut points",
        tried=len(cuts),
        survived=len(cuts) - accepted,
        lost=accepted,
    )
    assert case.lost == 0
    assert parsed > len(cuts) // 5  # the cuts really make parsable pages: only the check stops them


def test_no_cut_point_of_the_rss_feed_passes(snapshot):
    data = snapshot.render_rss(SearchQuery(per_page=200), query_string="fz44=on")
    cuts = list(_cut_points(data))
    accepted = [cut for cut in cuts if _parses(data[:cut])]
    record(
        1,
        "RSS feed cut at every point",
        unit="cut points",
        tried=len(cuts),
        survived=len(cuts) - len(accepted),
        lost=len(accepted),
    )
    assert accepted == []


def _config(db_url: str, replay_url: str):
    return fast_config(db_url, replay_url, TENDERWATCH_PAGE_SIZE=PAGE)


def _mark(db_url: str):
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            return get_high_water(session, source="eis", search_key="fz44=on&fz223=on")
    finally:
        engine.dispose()


def _settle(db_url: str, snapshot, name: str, item: int) -> None:
    """Everything in the snapshot must be stored exactly once by now: record it and assert."""
    stored = stored_rows(db_url)  # asserts no (law, number) is stored twice
    lost = len({(p.law, p.reg_number) for p in snapshot.purchases} - set(stored))
    case = record(
        item,
        name,
        unit="notices",
        tried=len(snapshot.purchases),
        survived=len(snapshot.purchases) - lost,
        lost=lost,
    )
    assert case.lost == 0 and mismatches(db_url, snapshot) == []


@pytest.mark.slow
def test_page_one_cut_once_is_fetched_again_not_taken_as_the_last_page(tmp_path):
    """The audit's reproduction: ``replay --count 320 --faults truncate=1,only=list`` gave 160 new, ok."""
    snapshot = build_snapshot(seed=9, count=320, now=NOW)
    db_url = f"sqlite:///{tmp_path / 'crawl.db'}"
    with start_replay(snapshot, faults="truncate=1,only=list") as replay:
        summary = run_crawl("eis", config=fast_config(db_url, replay.url))
    assert (summary.outcome, summary.new, summary.errors) == ("ok", 320, 0), summary.reason
    _settle(db_url, snapshot, "results page 1 cut once (320 notices)", 1)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("spec", "name", "item"),
    [
        ("truncate=3,cut=0.5,skip=1,only=list", "page 2 cut on every retry, then clean crawls", 1),
        ("5xx=1000,skip=1,only=list", "page 2 failing (503) for a whole crawl, then clean crawls", 4),
    ],
)
def test_a_page_lost_after_page_one_makes_the_crawl_partial_and_the_next_crawls_complete(
    tmp_path, snapshot, spec, name, item
):
    db_url = f"sqlite:///{tmp_path / 'crawl.db'}"
    with start_replay(snapshot) as replay:
        replay.set_faults(spec)
        broken = run_crawl("eis", config=_config(db_url, replay.url))
        assert broken.outcome == "partial", broken.reason
        assert broken.listing_complete is False
        assert "listing page 2 could not be read" in (broken.reason or "")
        assert broken.new == PAGE  # page 1 was stored, and the run row counted it
        assert _mark(db_url) is None  # never moved past entries that were not listed
        replay.set_faults(None)
        for _ in range(2):  # the audit ran three crawls; the notices beyond page 1 were never stored
            clean = run_crawl("eis", config=_config(db_url, replay.url))
            assert clean.outcome == "ok" and clean.listing_complete is True, clean.reason
    assert _mark(db_url) is not None
    _settle(db_url, snapshot, name, item)
