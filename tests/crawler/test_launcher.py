"""The crawl launcher (``crawler.launcher``): crawls forked from a pre-imported process behave as
crawls started as new interpreters, each with its own environment, and a dead launcher loses no
crawl."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from crawler import launcher
from crawler.replay import build_snapshot
from crawler.replay.server import start_replay
from crawler.runner import run_crawl
from tests.crawler.crawl_helpers import NOW
from tests.crawler.crawl_helpers import fast_config
from tests.crawler.crawl_helpers import mismatches

pytestmark = pytest.mark.slow


@pytest.fixture
def replay():
    with start_replay(build_snapshot(seed=21, count=30, now=NOW)) as server:
        yield server


@pytest.fixture
def own_launcher(monkeypatch):
    """A launcher of the test's own, so that killing it leaves the worker's shared one alone."""
    monkeypatch.setattr(launcher, "_launcher", None)
    monkeypatch.delenv(launcher.LAUNCHER_ENV, raising=False)
    yield
    if launcher._launcher is not None:
        launcher._launcher.close()


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _crawl(db_url: str, server, parents: list[int]):
    return run_crawl(
        "eis", config=fast_config(db_url, server.url), on_start=lambda pid: parents.append(_parent(pid))
    )


@pytest.mark.parametrize("mode", ["1", "0"])
def test_crawls_started_either_way_store_the_same_notices_each_in_its_own_database(
    replay, tmp_path, monkeypatch, own_launcher, mode
):
    monkeypatch.setenv(launcher.LAUNCHER_ENV, mode)
    parents: list[int] = []
    first, second = (_crawl(f"sqlite:///{tmp_path / name}", replay, parents) for name in ("a.db", "b.db"))
    for name, summary in (("a.db", first), ("b.db", second)):
        assert (summary.outcome, summary.new, summary.returncode) == ("ok", 30, 0), summary.log_tail
        assert mismatches(f"sqlite:///{tmp_path / name}", replay.snapshot) == []
    if mode == "1":  # both forked by one launcher, which is our child
        assert parents[0] == parents[1] == launcher._launcher._process.pid  # type: ignore[union-attr]
    else:
        assert parents == [os.getpid(), os.getpid()]


def test_a_dead_launcher_loses_no_crawl_and_the_next_starts_as_a_new_interpreter(
    replay, tmp_path, own_launcher
):
    db_url = f"sqlite:///{tmp_path / 'crawl.db'}"
    parents: list[int] = []

    def kill_the_launcher(pid: int) -> None:
        parents.append(_parent(pid))
        os.kill(parents[0], signal.SIGKILL)

    orphaned = run_crawl("eis", config=fast_config(db_url, replay.url), on_start=kill_the_launcher)
    # The crawl went on in its own session and recorded its run; nobody was left to tell its code.
    assert (orphaned.outcome, orphaned.new, orphaned.returncode) == ("ok", 30, launcher.LOST)
    assert mismatches(db_url, replay.snapshot) == []
    replay.publish(count=2)
    after: list[int] = []
    again = _crawl(db_url, replay, after)
    assert (again.outcome, again.new, again.returncode) == ("ok", 2, 0)
    assert after == [os.getpid()]
