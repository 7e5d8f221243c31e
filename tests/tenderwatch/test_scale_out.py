"""Scale-out: several crawl workers write into one PostgreSQL at once; the unique keys deduplicate.

Three ``tenderwatch crawl`` worker processes run concurrently against the same replay (two of the
same source, the worst overlap, and the RSS one), then the serving side matches and enqueues,
twice at once as if two processes raced. Every notice, match and outbox row must exist exactly once.
See docs/scaling.md.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from datetime import datetime

import pytest
import sqlalchemy as sa

from bidder.profiles import parse_profiles
from crawler.replay import build_snapshot
from crawler.replay.server import start_replay
from data.db import make_engine
from data.db import session_scope
from data.models import MatchRow
from data.models import NoticeRow
from data.models import OutboxRow
from data.store import outbox
from tenderwatch.matching import run_match
from tests.conftest import PROJECT_ROOT
from tests.data.conftest import _truncate_all
from tests.data.conftest import postgres_url  # noqa: F401 - the throwaway-database fixture
from tests.tenderwatch.serve_helpers import PROFILES
from tests.tenderwatch.serve_helpers import alertable

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CHAT = 4242


def crawl_worker(source: str, db_url: str, replay_url: str) -> subprocess.Popen[str]:
    """A separate ``tenderwatch crawl`` process, configured through the environment as in production."""
    env = {
        **os.environ,
        "TENDERWATCH_DATABASE__URL": db_url,
        "TENDERWATCH_CRAWLER__BASE_URL": replay_url,
        "TENDERWATCH_CRAWLER__DOWNLOAD_DELAY": "0",
        "TENDERWATCH_CRAWLER__AUTOTHROTTLE": "false",
        "TENDERWATCH_CRAWLER__CONCURRENT_REQUESTS": "8",
        "TENDERWATCH_SETTINGS": str(PROJECT_ROOT / "settings.toml"),
        "COLUMNS": "200",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tenderwatch.cli", "crawl", source],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_concurrent_crawl_workers_store_each_notice_match_and_alert_once(postgres_url):  # noqa: F811
    engine = make_engine(postgres_url)
    _truncate_all(engine)
    snapshot = build_snapshot(seed=21, count=40, now=datetime.now(UTC))
    try:
        with start_replay(snapshot) as replay:
            workers = [crawl_worker(source, postgres_url, replay.url) for source in ("eis", "eis", "eis_rss")]
            outputs = [w.communicate(timeout=180) for w in workers]
        assert [w.returncode for w in workers] == [0, 0, 0], outputs
        new = [int(re.search(r": (\d+) new,", out).group(1)) for out, _ in outputs]
        assert sum(new) == 40  # each notice was new to exactly one worker

        run_match(engine, parse_profiles(PROFILES), now=datetime.now(UTC))

        def enqueue() -> int:
            with session_scope(engine) as session:
                return outbox.enqueue_matches(session, default_chats=[CHAT])

        with ThreadPoolExecutor(max_workers=2) as pool:
            created = [f.result(timeout=60) for f in [pool.submit(enqueue), pool.submit(enqueue)]]

        expected = alertable(p.latest.notice for p in snapshot.purchases)
        with engine.connect() as conn:
            keys = conn.execute(sa.select(NoticeRow.law, NoticeRow.reg_number)).all()
            match_keys = conn.execute(
                sa.select(MatchRow.notice_id, MatchRow.profile_id).where(MatchRow.matched.is_(True))
            ).all()
            alerted = (
                conn.execute(
                    sa.select(NoticeRow.reg_number).join(OutboxRow, OutboxRow.notice_id == NoticeRow.id)
                )
                .scalars()
                .all()
            )
    finally:
        _truncate_all(engine)
        engine.dispose()
    assert len(keys) == len(set(keys)) == 40
    assert len(match_keys) == len(set(match_keys))
    assert sorted(created) == [0, len(expected)]  # the second enqueue found everything already queued
    assert sorted(alerted) == sorted(expected)
