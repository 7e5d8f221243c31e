"""``tenderwatch crawl`` end to end: a stop signal stops the crawl subprocess too; progress in a log."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from crawler.replay import build_snapshot
from crawler.replay.server import start_replay
from data.db import make_engine
from data.db import upgrade
from data.models import CrawlRun
from tenderwatch.cli import app
from tenderwatch.commands import crawl as crawl_command
from tests.crawler.crawl_helpers import NOW
from tests.crawler.crawl_helpers import replay_stats

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0
"""Upper bound for a step that takes a second or two; never an assertion on how long it took."""


@pytest.fixture(scope="module")
def replay():
    with start_replay(build_snapshot(seed=3, count=20, now=NOW)) as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, replay) -> Path:
    replay.set_faults(None)
    replay.reset_stats()
    path = tmp_path / "settings.toml"
    path.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "tw.db"}"\n\n'
        f'[crawler]\nbase_url = "{replay.url}"\ndownload_delay = 0\nautothrottle = false\n'
        "concurrent_requests = 4\n",
        encoding="utf-8",
    )
    upgrade(
        f"sqlite:///{tmp_path / 'tw.db'}"
    )  # what `tenderwatch init` does; crawl refuses a missing database
    return path


def crawl_runs(settings: Path) -> list[tuple[str, str | None]]:
    engine = make_engine(f"sqlite:///{settings.parent / 'tw.db'}")
    try:
        with engine.connect() as conn:
            query = sa.select(CrawlRun.outcome, CrawlRun.reason).order_by(CrawlRun.id)  # type: ignore[arg-type]
            return [tuple(row) for row in conn.execute(query)]
    finally:
        engine.dispose()


def until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def cards_requested(replay) -> bool:
    requests = replay_stats(replay)["requests"]
    return bool(requests.get("card") or requests.get("json"))


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(("signum", "exit_code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_stop_signal_stops_the_crawl_process_group_and_closes_the_run(replay, settings, signum, exit_code):
    replay.set_faults("slow=1000,delay=2,only=card+json")  # the crawl is busy with slow cards when stopped
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENDERWATCH_")}
    env["PYTHONPATH"] = str(ROOT)
    cli = subprocess.Popen(
        [sys.executable, "-m", "tenderwatch.cli", "--settings", str(settings), "crawl", "eis"],
        cwd=settings.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # A child inherits an ignored SIGINT, and Python then installs no Ctrl-C handler: an earlier
        # test in this worker (Scrapy, asyncio signal handlers) may have left SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        until(lambda: cards_requested(replay), "the crawl to request cards")
        (launcher,) = children_of(cli.pid)  # crawler.launcher, which forked the crawl
        (crawl,) = children_of(launcher)
        assert group_alive(crawl)
        cli.send_signal(signum)
        out, err = cli.communicate(timeout=WAIT)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert cli.returncode == exit_code, err.decode()
    assert not group_alive(crawl)  # the scrapy process and its whole group are gone
    until(lambda: not group_alive(launcher), "the launcher to follow the CLI out")
    ((outcome, reason),) = crawl_runs(settings)
    assert outcome == "partial" and reason.startswith("crawl stopped before it finished (shutdown)"), reason
    assert "outcome: partial (crawl stopped before it finished (shutdown)" in out.decode()


def test_without_a_terminal_progress_is_printed_as_plain_lines(replay, settings, monkeypatch):
    monkeypatch.setattr(crawl_command, "PLAIN_PROGRESS_SECONDS", 0.0)  # every progress line, not every 10 s
    result = CliRunner().invoke(app, ["--settings", str(settings), "crawl", "eis"])
    assert result.exit_code == 0, result.output
    progress = re.findall(r"^crawling: (\d+) requests, 1 pages, (\d+) cards, .*$", result.output, re.M)
    assert progress and progress[-1] == ("21", "20")  # the last line: the list and 20 cards
    assert "crawl run 1 of eis: 20 new, 0 changed, 0 unchanged, 0 errors" in result.output


def test_crawl_fetches_notices_by_registry_number_into_an_empty_database(replay, settings):
    """Issue 17 item 7: one notice by its number (here one of each law), nothing else."""
    snapshot = replay.snapshot
    wanted = [next(p for p in snapshot.purchases if p.law == law) for law in ("44-FZ", "223-FZ")]
    args = ["--settings", str(settings), "crawl"]
    for purchase in wanted:
        args += ["--reg-number", purchase.reg_number]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "crawl run 1 of eis_follow: 2 new, 0 changed" in result.output
    engine = make_engine(f"sqlite:///{settings.parent / 'tw.db'}")
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT reg_number, completeness FROM notices")).all()
    engine.dispose()
    assert sorted(stored) == sorted((p.reg_number, "card") for p in wanted)
    assert replay_stats(replay)["requests"]["list"] == {"200": 2}  # one number search each


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crawl", "--reg-number", "12345"], "registry number '12345': expected 19 digits (44-FZ) or 11"),
        (
            ["crawl", "eis_rss", "--reg-number", "32109998392"],
            "looked up by eis_export, eis_follow, eis_site_results, not by eis_rss",
        ),
    ],
)
def test_a_bad_registry_number_or_source_is_a_usage_error(settings, args, message):
    result = CliRunner().invoke(app, ["--settings", str(settings), *args])
    assert result.exit_code == 2 and message in result.output, result.output
