"""Issue 17 item 5: the database in use is never a surprise. Run from another directory, a command
used to create an empty ``./var/tenderwatch.db`` and report on nothing; now only ``init`` creates a
database, every other command names the path and the settings it came from."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tenderwatch.cli import app


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """A directory with no settings.toml and no database, and no settings from the environment."""
    for name in ("TENDERWATCH_SETTINGS", "TENDERWATCH_DATABASE__URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ("report", "pipeline"),
        ("match",),
        ("import", "."),
        ("notify", "--dry-run"),
        ("crawl", "eis"),
        ("simulate", "0373100084625000417", "--cost", "1000"),
    ],
    ids=lambda a: a[0],
)
def test_commands_other_than_init_refuse_a_missing_database_and_say_where_it_was_looked_for(elsewhere, args):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 1, result.output
    message = " ".join(result.output.split())
    assert f"database {elsewhere / 'var' / 'tenderwatch.db'} does not exist" in message
    assert "no settings file found" in message and "tenderwatch init" in message
    assert not (elsewhere / "var").exists()  # nothing was created


def test_the_settings_file_that_named_it_is_given(elsewhere):
    settings = elsewhere / "conf.toml"
    settings.write_text('[database]\nurl = "sqlite:///data/tw.db"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["--settings", str(settings), "report", "pipeline"])
    assert result.exit_code == 1
    assert f"from {settings}" in " ".join(result.output.split())


def test_init_creates_it_and_config_check_tries_it(elsewhere):
    runner = CliRunner()
    before = runner.invoke(app, ["config", "check"])
    assert before.exit_code == 0, before.output
    assert "does not exist" in " ".join(before.output.split())
    created = runner.invoke(app, ["init"])
    assert created.exit_code == 0, created.output
    assert (elsewhere / "var" / "tenderwatch.db").is_file()
    after = runner.invoke(app, ["config", "check"])
    assert "reachable, schema up to date" in after.output
    assert runner.invoke(app, ["report", "pipeline"]).exit_code == 0


def test_config_check_fails_on_a_database_that_does_not_answer(elsewhere):
    settings = elsewhere / "pg.toml"
    settings.write_text('[database]\nurl = "postgresql://tw:pw@127.0.0.1:1/tw"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["--settings", str(settings), "config", "check"])
    assert result.exit_code == 1
    assert "tw:***@127.0.0.1:1" in result.output and "pw@" not in result.output
