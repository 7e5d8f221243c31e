"""``eis_follow``: a stored notice's stage moves without a new version, and only following it sees that
(issue 11 item 5). Against the replay, whose purchases go to «Работа комиссии» at their deadline and
to «Определение поставщика завершено» three days later while their «Обновлено» stays put."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
import sqlalchemy as sa

from crawler.replay.generate import moscow_now_floor
from crawler.replay.server import start_replay
from crawler.replay.snapshot import build_snapshot
from crawler.runner import run_crawl
from data.db import make_engine
from data.db import session_scope
from data.models import MATCHES
from data.models import NOTICE_CHANGES
from data.models import NOTICES
from data.models import PROFILES
from data.notice import Stage
from data.notice import stage_of
from data.store import notices_to_follow
from tests.crawler.crawl_helpers import fast_config
from tests.crawler.crawl_helpers import replay_stats
from tests.crawler.crawl_helpers import stored_rows

NOW = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)


@pytest.fixture
def snap():
    # Today's Moscow midnight, so the notices are as recent as eis_follow's window (follow_days) wants.
    return build_snapshot(seed=21, count=40, now=moscow_now_floor(None))


def _match(db_url: str, keys: list[tuple[str, str]]) -> None:
    """A profile matched these notices (what ``tenderwatch match`` stores)."""
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        conn = session.connection()
        profile = conn.execute(
            sa.insert(PROFILES).values(
                name="p", spec={}, origin="settings", active=True, created_at=NOW, updated_at=NOW
            )
        ).inserted_primary_key[0]
        for law, reg_number in keys:
            notice_id = conn.execute(
                sa.select(NOTICES.c.id).where(NOTICES.c.law == law, NOTICES.c.reg_number == reg_number)
            ).scalar_one()
            conn.execute(
                sa.insert(MATCHES).values(
                    notice_id=notice_id, profile_id=profile, matched=True, created_at=NOW, updated_at=NOW
                )
            )
    engine.dispose()


def _status_changes(db_url: str) -> set[str]:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(NOTICES.c.reg_number)
            .join(NOTICE_CHANGES, NOTICE_CHANGES.c.notice_id == NOTICES.c.id)
            .where(NOTICE_CHANGES.c.field == "status")
        ).all()
    engine.dispose()
    return {r[0] for r in rows}


@pytest.mark.slow
def test_following_sees_the_stage_move_that_the_incremental_search_cannot(snap, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'crawl.db'}"
    with start_replay(snap) as server:
        config = fast_config(db_url, server.url, TENDERWATCH_PAGE_SIZE=10)
        assert run_crawl("eis", config=config).outcome == "ok"
        seen = {p.reg_number: snap.listing(p).status for p in snap.purchases}
        newest = sorted(snap.purchases, key=snap.listing_updated_at)[-10:]  # page 1 of an incremental crawl
        followed = [
            p for p in snap.purchases if stage_of(seen[p.reg_number]) is Stage.SUBMISSION and p not in newest
        ][:6]
        _match(db_url, [(p.law, p.reg_number) for p in followed])
        # Forty days on, every deadline has passed and every commission has finished; nothing was
        # re-published, so the incremental search reads its first page and stops at the mark.
        snap.now += timedelta(days=40)
        incremental = run_crawl("eis", config=config)
        assert (incremental.outcome, incremental.requests) == ("ok", 1), incremental.reason
        rows = stored_rows(db_url)
        assert all(rows[(p.law, p.reg_number)]["status"] == seen[p.reg_number] for p in followed)

        before = sum(replay_stats(server)["requests"].get("list", {}).values())
        summary = run_crawl("eis_follow", config=config)
        asked = sum(replay_stats(server)["requests"].get("list", {}).values()) - before
        assert summary.outcome == "ok", summary.reason
        assert "6 followed notices looked up" in summary.reason
        assert asked == 6 and summary.requests == 6  # one search per followed notice, no card
        rows = stored_rows(db_url)
        for purchase in snap.purchases:
            stored = rows[(purchase.law, purchase.reg_number)]["status"]
            if purchase in followed:
                assert stored == snap.listing(purchase).status and stage_of(stored) is Stage.COMPLETED
            elif purchase not in newest:  # not ours, not listed again: nobody asked
                assert stored == seen[purchase.reg_number]
        changed = _status_changes(db_url)
        assert {p.reg_number for p in followed} <= changed  # each a change alert for whoever took it
        assert changed - {p.reg_number for p in followed} <= {p.reg_number for p in newest}
        # Completed now: nothing is left to follow, and that is no failure.
        idle = run_crawl("eis_follow", config=config)
    assert (idle.outcome, idle.requests) == ("ok", 0), idle.reason
    assert "nothing to follow" in idle.reason


def test_the_followed_are_ours_open_and_recent_with_the_passed_deadlines_first(tmp_path):
    from data.db import upgrade
    from data.notice import Notice
    from data.store import upsert_notices

    engine = make_engine(f"sqlite:///{tmp_path / 'f.db'}")
    upgrade(engine)

    def notice(n: int, *, status: str, days_old: int, deadline_in: int) -> Notice:
        return Notice(
            law="44-FZ",
            reg_number=f"03731000846250000{n:02d}",
            title="t",
            status=status,
            published_at=NOW - timedelta(days=days_old),
            submission_deadline=NOW + timedelta(days=deadline_in),
            source="eis",
            completeness="card",
        )

    notices = [
        notice(1, status="Подача заявок", days_old=3, deadline_in=5),
        notice(2, status="Работа комиссии", days_old=10, deadline_in=-2),
        notice(3, status="Определение поставщика завершено", days_old=20, deadline_in=-10),
        notice(4, status="Закупка отменена", days_old=5, deadline_in=3),
        notice(5, status="Подача заявок", days_old=90, deadline_in=-60),  # too old
        notice(6, status="Подача заявок", days_old=2, deadline_in=9),  # not ours
        notice(7, status="Определение поставщика приостановлено", days_old=4, deadline_in=1),
    ]
    with session_scope(engine) as session:
        upsert_notices(session, notices, source="eis")
    _match(str(engine.url), [n.key for n in notices if n.reg_number[-1] != "6"])
    with session_scope(engine) as session:
        followed = notices_to_follow(session, published_since=NOW - timedelta(days=45), limit=10)
        assert [reg[-1] for _, reg in followed] == ["2", "7", "1"]
        assert len(notices_to_follow(session, published_since=NOW - timedelta(days=45), limit=2)) == 2
    engine.dispose()
