"""Issue item 6: a crawl killed with SIGKILL (the crawl process alone, or it and its runner) must
leave a run row that says what was stored, and no row may stay "running" for ever.

Each notice stored must be counted by exactly one run: the killed run counts what its batches
committed (the counts are written in the batch's own transaction), the next crawl the rest.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from crawler.replay import build_snapshot
from crawler.replay.server import start_replay
from data.db import make_engine
from data.models import CrawlRun
from data.models import NoticeRow
from tests.conftest import PROJECT_ROOT
from tests.crawler.crawl_helpers import NOW
from tests.crawler.crawl_helpers import mismatches
from tests.faults.ledger import record

pytestmark = pytest.mark.slow

COUNT = 320


def _crawl_cli(db_url: str, replay_url: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "TENDERWATCH_DATABASE__URL": db_url,
        "TENDERWATCH_SETTINGS": str(PROJECT_ROOT / "settings.toml"),
        "TENDERWATCH_CRAWLER__BASE_URL": replay_url,
        "TENDERWATCH_CRAWLER__DOWNLOAD_DELAY": "0",
        "TENDERWATCH_CRAWLER__AUTOTHROTTLE": "false",
        "TENDERWATCH_CRAWLER__CONCURRENT_REQUESTS": "4",
        "TENDERWATCH_DATABASE__BATCH_SIZE": "20",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tenderwatch.cli", "crawl", "eis"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _state(db_url: str) -> tuple[int, list[CrawlRun]]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            stored = int(conn.scalar(sa.select(sa.func.count()).select_from(NoticeRow)) or 0)
        from sqlmodel import Session
        from sqlmodel import select

        with Session(engine) as session:
            runs = list(session.exec(select(CrawlRun).order_by(CrawlRun.id)).all())
    finally:
        engine.dispose()
    return stored, runs


def _wait_for_stored(db_url: str, at_least: int, timeout: float = 60.0) -> list[CrawlRun]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            stored, runs = _state(db_url)
        except Exception:  # the schema may not exist yet
            stored, runs = 0, []
        if stored >= at_least and runs and runs[-1].owner and ":" in runs[-1].owner:
            return runs
        time.sleep(0.1)
    raise AssertionError(f"the crawl did not store {at_least} notices in {timeout:g} s")


@pytest.mark.parametrize("kill", ["crawl process", "crawl process and its runner"])
def test_a_killed_crawl_leaves_a_closed_run_counting_what_it_stored(tmp_path, kill):
    snapshot = build_snapshot(seed=21, count=COUNT, now=NOW)
    db_url = f"sqlite:///{tmp_path / 'crawl.db'}"
    # Cards slow enough that the crawl is still running when it is killed.
    with start_replay(snapshot, faults="slow=0.99,delay=0.05,only=card+json") as replay:
        runner = _crawl_cli(db_url, replay.url)
        try:
            runs = _wait_for_stored(db_url, at_least=60)
            child = int(runs[-1].owner.rsplit(":", 2)[1])  # the crawl process took the run over
            assert child != runner.pid
            os.kill(child, signal.SIGKILL)
            if kill != "crawl process":
                runner.kill()
            runner.wait(60)
        finally:
            if runner.poll() is None:
                runner.kill()
        stored_at_kill, runs = _state(db_url)
        killed = runs[-1]
        if kill == "crawl process":
            assert killed.outcome == "failed" and "SIGKILL" in (killed.reason or "")
        else:
            assert killed.outcome == "running"  # nobody was left to close it: the next crawl does

        replay.set_faults(None)
        again = _crawl_cli(db_url, replay.url)
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0, out + err

    stored, runs = _state(db_url)
    killed, clean = runs[-2], runs[-1]
    assert killed.outcome == "failed" and killed.finished_at is not None, killed.reason
    if kill != "crawl process":
        assert killed.reason.startswith("abandoned: the crawl process"), killed.reason
    counted = sum(run.notices_new for run in runs)
    # Before the fix the killed run recorded 0 requests and 0 new.
    assert killed.notices_new == stored_at_kill > 0 and killed.requests > 0
    assert clean.notices_new == stored - stored_at_kill
    case = record(
        6,
        f"SIGKILL of the {kill} mid-crawl, then a clean crawl",
        unit="notices",
        tried=COUNT,
        survived=min(stored, counted),
        lost=(COUNT - stored) + max(0, stored - counted),
        duplicated=max(0, counted - stored),
    )
    assert (case.lost, case.duplicated) == (0, 0)
    assert mismatches(db_url, snapshot) == []
