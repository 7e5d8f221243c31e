"""The crawl's "changed notice" path end to end: the replay amends and cancels live, a real crawl follows.

A cancellation arrives with the search page (the stage is listed; the EIS publishes no new card
for it), so the spider fetches no card for it: a re-crawl after 3 revisions and 2 cancellations
costs one list page and 3 cards, and records 5 changed notices.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

import pytest

from crawler.parsers import parse_document
from crawler.replay import build_snapshot
from crawler.replay.catalog import STATUS_CANCELLED_44
from crawler.replay.catalog import STATUS_CANCELLED_223
from crawler.replay.generate import moscow_now_floor
from crawler.replay.server import start_replay
from crawler.runner import run_crawl
from crawler.spiders.eis import CARD_PATHS
from data.db import make_engine
from data.db import session_scope
from data.notice import Notice
from data.store import changed_fields
from data.store import notice_changes
from tests.crawler.crawl_helpers import fast_config
from tests.crawler.crawl_helpers import mismatches
from tests.crawler.crawl_helpers import replay_stats
from tests.crawler.crawl_helpers import stored_rows

pytestmark = pytest.mark.slow

COUNT = 60
EIS = "https://zakupki.gov.ru"
CANCELLED = {"44-FZ": STATUS_CANCELLED_44, "223-FZ": STATUS_CANCELLED_223}


@pytest.fixture
def replay():
    # Tomorrow's Moscow midnight: ahead of the wall clock, so every live change happens one second
    # after the newest update (not at the real time) and the open deadlines are open whatever day the
    # test runs. A snapshot built "now" at a Moscow midnight is the same one shifted in time.
    snapshot = build_snapshot(seed=5, count=COUNT, now=moscow_now_floor(None) + timedelta(days=1))
    with start_replay(snapshot) as server:
        yield server


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'crawl.db'}"


def change_log(db_url: str, notice: Notice) -> dict[str, tuple[object, object, int | None, int | None]]:
    """Field -> (old value, new value, old version, new version) of the stored history of one notice."""
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            rows = notice_changes(session, law=notice.law, reg_number=notice.reg_number)
            history = [(r.field, (r.old_value, r.new_value, r.old_version, r.new_version)) for r in rows]
    finally:
        engine.dispose()
    fields = [name for name, _ in history]
    assert len(fields) == len(set(fields)), f"{notice.reg_number}: a field changed twice: {fields}"
    return dict(history)


def card_as_crawled(snapshot, reg_number: str, version: int) -> Notice:
    """A version's card as the spider fetches and parses it (44-FZ XML, 223-FZ mobile JSON)."""
    purchase = snapshot.purchase(reg_number)
    path = CARD_PATHS[purchase.law] + f"?regNumber={reg_number}"
    body = snapshot.render_card if purchase.law == "44-FZ" else snapshot.render_json
    (card,) = parse_document(body(snapshot.version(reg_number, version)), url=EIS + path)
    return card


def instant(value: object) -> datetime:
    assert isinstance(value, str), value
    return datetime.fromisoformat(value)


def test_revisions_and_cancellations_are_crawled_as_changes(replay, db_url):
    config = fast_config(db_url, replay.url)
    first = run_crawl("eis", config=config)
    assert (first.outcome, first.new, first.changed, first.errors) == ("ok", COUNT, 0, 0), first.log_tail
    before = stored_rows(db_url)
    snapshot = replay.snapshot
    old_truth = {p.reg_number: p.latest.notice for p in snapshot.purchases}

    revised = replay.revise(2, change="deadline") + replay.revise(1, change="price")
    cancelled = replay.cancel(2)
    changed_regs = {n.reg_number for n in revised + cancelled}
    assert len(changed_regs) == 5  # five different purchases
    assert {n.law for n in revised} == {"44-FZ", "223-FZ"}  # both card formats are exercised
    stats = replay_stats(replay)
    assert [e["reg_number"] for e in stats["revised"]] == [n.reg_number for n in revised]
    assert [e["change"] for e in stats["revised"]] == ["deadline", "deadline", "price"]
    assert [e["reg_number"] for e in stats["cancelled"]] == [n.reg_number for n in cancelled]

    replay.reset_stats()
    second = run_crawl("eis", config=config)
    assert (second.outcome, second.new, second.changed, second.unchanged, second.errors) == (
        "ok",
        0,
        5,
        COUNT - 5,
        0,
    ), second.log_tail
    # One list page; a card per revision; a cancellation is read off the listing (no card).
    assert second.requests == 1 + 3 and second.pages == 1
    cards = Counter({"44-FZ": "card", "223-FZ": "json"}[notice.law] for notice in revised)
    assert replay_stats(replay)["requests"] == {
        "list": {"200": 1},
        **{k: {"200": n} for k, n in cards.items()},
    }
    assert mismatches(db_url, snapshot) == []

    after = stored_rows(db_url)
    for notice, change in zip(revised, ("deadline", "deadline", "price"), strict=True):
        key, old = notice.key, old_truth[notice.reg_number]
        history = change_log(db_url, notice)
        # One row per field the fetched card changed: what the truth changed, within what the card
        # format carries (the 223 JSON has no item prices). The cards also give the version's own
        # publication (44-FZ publishDTInEIS, 223 applSubmisionStartDate); the store keeps the first
        # publication, so that is no change (the version's moment is updated_at).
        crawled = changed_fields(
            *(card_as_crawled(snapshot, notice.reg_number, v) for v in (old.version, notice.version))
        )
        assert set(history) == set(crawled) - {"published_at"}, notice.reg_number
        assert set(changed_fields(old, notice)) - set(crawled) <= (
            {"items"} if notice.law == "223-FZ" else set()
        )
        assert "published_at" not in history and after[key]["published_at"] == before[key]["published_at"]
        assert after[key]["updated_at"] > before[key]["updated_at"]
        if notice.law == "44-FZ":
            assert (before[key]["version"], after[key]["version"]) == (old.version, old.version + 1)
            assert {h[2:] for h in history.values()} == {(old.version, old.version + 1)}
        if change == "deadline":
            old_deadline, new_deadline = history["submission_deadline"][:2]
            assert instant(old_deadline) == old.submission_deadline
            assert instant(new_deadline) == notice.submission_deadline > old.submission_deadline
            assert "nmck" not in history
        else:
            assert tuple(Decimal(v) for v in history["nmck"][:2]) == (old.nmck, notice.nmck)
            assert notice.nmck == sum((item.sum for item in notice.items), Decimal(0)) != old.nmck
    for notice in cancelled:
        stored_before = before[notice.key]
        assert stored_before["status"] == old_truth[notice.reg_number].status != CANCELLED[notice.law]
        version = stored_before["version"]  # a cancellation publishes no new card version
        assert change_log(db_url, notice) == {
            "status": (stored_before["status"], CANCELLED[notice.law], version, version)
        }
        assert after[notice.key]["version"] == version
        assert after[notice.key]["status"] == notice.status == CANCELLED[notice.law]

    replay.reset_stats()
    third = run_crawl("eis", config=config)
    assert (third.outcome, third.new, third.changed, third.unchanged) == ("ok", 0, 0, COUNT)
    assert third.requests == 1 and replay_stats(replay)["total"] == 1
    assert stored_rows(db_url) == after
