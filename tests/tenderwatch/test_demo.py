"""``tenderwatch demo``: a short run end to end, and how it treats an existing database file."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from data.db import upgrade
from tenderwatch.cli import app
from tenderwatch.commands.demo import DEMO_CHAT
from tenderwatch.commands.demo import fresh_database
from tenderwatch.commands.demo import mark_demo_database
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow


def test_demo_runs_the_service_and_leaves_a_database_and_a_chart(tmp_path: Path):
    db = tmp_path / "var" / "tenderwatch.db"
    workdir = tmp_path / "var" / "demo"
    args = ["--settings", str(PROJECT_ROOT / "settings.toml"), "demo", "--for", "12", "--count", "40"]
    args += ["--publish-rate", "30", "--db", str(db), "--workdir", str(workdir)]
    result = CliRunner().invoke(app, args)
    out = result.output
    assert result.exit_code == 0, out
    assert f"→ чат {DEMO_CHAT}" in out
    assert "scheduled: crawl eis: now, then every 10 s" in out
    published = int(re.search(r"the replay published (\d+) new notice", out).group(1))
    with sqlite3.connect(db) as conn:
        # crawled from the replay; the imported market history has the parser's source, xml44
        notices = conn.execute("SELECT count(*) FROM notices WHERE source = 'eis'").fetchone()[0]
        sent = conn.execute("SELECT count(*) FROM outbox WHERE status = 'sent'").fetchone()[0]
        outcomes = {row[0] for row in conn.execute("SELECT outcome FROM crawl_runs")}
    stored_published = notices - 40
    assert 0 <= stored_published <= published  # the last ones may appear after the last crawl
    assert sent >= 1 and outcomes <= {"ok"}
    assert "Matches found" in out and "Market: all notices" in out
    assert re.search(r"market history: \d+ notices of last December and \d+ protocols", out)
    assert "У заказчика" in out  # the customer line of an alert, from last year's results
    assert "Market segments (largest)" in out
    assert (workdir / "market.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"market chart: {workdir / 'market.png'}" in out
    assert f"The database is left in {db}" in out


def test_a_previous_demo_database_is_deleted(tmp_path: Path, capsys):
    db = tmp_path / "tenderwatch.db"
    upgrade(f"sqlite:///{db}")
    mark_demo_database(db)
    Path(f"{db}-wal").write_bytes(b"")
    fresh_database(db)
    assert not db.exists() and not Path(f"{db}-wal").exists()
    assert f"deleted the previous demo database {db}" in capsys.readouterr().out


def test_a_database_the_demo_did_not_make_is_moved_aside_not_deleted(tmp_path: Path, capsys):
    db = tmp_path / "tenderwatch.db"
    db.write_bytes(b"precious")
    fresh_database(db)
    (backup,) = tmp_path.glob("tenderwatch.db.*.bak")
    assert backup.read_bytes() == b"precious" and not db.exists()
    assert f"was not made by the demo; moved it to {backup}" in capsys.readouterr().out
