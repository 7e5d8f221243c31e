"""The bot's composition root: the real auction summary seam and `tenderwatch notify` offline."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from data.db import make_engine
from data.db import session_scope
from data.db import upgrade
from data.models import OutboxRow
from data.store import outbox
from tenderwatch.bot_setup import auction_summary
from tenderwatch.cli import app
from tests.bot.conftest import PROJECT_ROOT
from tests.bot.conftest import TOKEN
from tests.bot.factories import make_notice
from tests.bot.factories import seed_matches
from tests.bot.fake_telegram import FakeTelegram


def test_auction_summary_runs_the_real_simulator():
    notice = make_notice(nmck=Decimal("1000000.00"))

    with_cost = auction_summary(notice, Decimal("700000"))
    market = auction_summary(notice, None)

    assert "НМЦК: 1 000 000,00 ₽; шаг 0.5% = 5 000,00 ₽" in with_cost
    assert "Шагов до 700 000,00 ₽: 60" in with_cost
    assert "Антидемпинг: от 750 000,00 ₽ и ниже" in with_cost
    assert "Вероятность победы на 700 000,00 ₽:" in with_cost
    assert "Шагов до 750 000,00 ₽: 50" in market
    assert market.endswith("Для вероятности победы и прибыли: /sim НОМЕР СЕБЕСТОИМОСТЬ")


def test_notify_without_token_prints_alerts_and_sends_each_once(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    engine = make_engine(url)
    upgrade(engine)
    deadline = datetime.now(UTC) + timedelta(days=10)
    seed_matches(engine, [-100777], 2, title="Поставка <i>ноутбуков</i> {i}", submission_deadline=deadline)
    monkeypatch.setenv("TENDERWATCH_DATABASE__URL", url)
    monkeypatch.setenv("TENDERWATCH_TELEGRAM__TOKEN", "")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    dry = runner.invoke(app, ["notify", "--dry-run"])
    first = runner.invoke(app, ["notify"])
    second = runner.invoke(app, ["notify"])

    assert dry.exit_code == 0, dry.output
    assert "dry run: 2 messages would be sent; nothing was changed" in dry.output
    assert first.exit_code == 0, first.output
    assert first.output.count("→ чат -100777") == 2
    assert "Поставка <i>ноутбуков</i> 0" in first.output
    assert "2 sent in 2 messages (0 digests)" in first.output
    assert "0 sent in 0 messages" in second.output
    with session_scope(engine) as session:
        assert [r.status for r in session.exec(select(OutboxRow))] == ["sent", "sent"]
    engine.dispose()


def test_bot_command_refuses_to_start_without_a_token(tmp_path, monkeypatch):
    monkeypatch.setenv("TENDERWATCH_DATABASE__URL", f"sqlite:///{tmp_path / 'tw.db'}")
    monkeypatch.setenv("TENDERWATCH_TELEGRAM__TOKEN", "")
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(app, ["bot"])

    assert result.exit_code == 2
    assert "telegram.token is empty" in result.output


@pytest.mark.slow
def test_bot_command_polls_sends_and_stops_cleanly_on_sigterm(tmp_path):
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    engine = make_engine(url)
    upgrade(engine)
    deadline = datetime.now(UTC) + timedelta(days=10)
    seed_matches(engine, [-100888], 1, submission_deadline=deadline)
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "TENDERWATCH_DATABASE__URL": url,
        "TENDERWATCH_TELEGRAM__TOKEN": TOKEN,
        "TENDERWATCH_TELEGRAM__ALLOWED_USERS": "[11]",
    }
    with FakeTelegram() as fake:
        env["TENDERWATCH_TELEGRAM__BASE_URL"] = fake.base_url
        proc = subprocess.Popen(
            [sys.executable, "-m", "tenderwatch.cli", "-v", "bot"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            fake.wait_for(lambda: fake.sends_to(-100888) and fake.get_updates_offsets, timeout=30)
        finally:
            proc.send_signal(signal.SIGTERM)
            output, _ = proc.communicate(timeout=30)

    assert proc.returncode == 0, output
    assert "bot stopped" in output
    assert TOKEN not in output  # even at -v (DEBUG), where PTB and httpx log request URLs
    assert "Поставка ноутбуков, лот 0" in fake.sends_to(-100888)[0].text
    with session_scope(engine) as session:
        assert [r.status for r in session.exec(select(OutboxRow))] == ["sent"]
    engine.dispose()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    """A migrated SQLite database and a token; the tests set the Bot API base URL."""
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    engine = make_engine(url)
    upgrade(engine)
    monkeypatch.setenv("TENDERWATCH_DATABASE__URL", url)
    monkeypatch.setenv("TENDERWATCH_TELEGRAM__TOKEN", TOKEN)
    monkeypatch.chdir(tmp_path)
    yield engine
    engine.dispose()


def assert_one_line_error(result, expected: str, code: int) -> None:
    """One line, no traceback, no token; exit 2 for a wrong setting, 1 when Telegram cannot be used."""
    assert result.exit_code == code, result.output
    assert result.output.strip() == expected
    assert "Traceback" not in result.output and TOKEN not in result.output


@pytest.mark.parametrize("command", ["notify", "bot"])
def test_unreachable_bot_api_is_one_clear_line(cli_env, monkeypatch, command):
    base_url = f"http://127.0.0.1:{closed_port()}/bot"
    monkeypatch.setenv("TENDERWATCH_TELEGRAM__BASE_URL", base_url)

    result = CliRunner().invoke(app, [command])

    assert_one_line_error(
        result,
        f"error: cannot use Telegram Bot API at {base_url}: "
        "httpx.ConnectError: All connection attempts failed (NetworkError)",
        code=1,
    )


@pytest.mark.parametrize("command", ["notify", "bot"])
def test_rejected_token_is_one_clear_line(cli_env, monkeypatch, command):
    with FakeTelegram() as fake:
        fake.fail("getMe", "unauthorized", times=5)
        base_url = fake.base_url
        monkeypatch.setenv("TENDERWATCH_TELEGRAM__BASE_URL", base_url)

        result = CliRunner().invoke(app, [command])

    assert_one_line_error(
        result,
        f"error: Telegram Bot API at {base_url} rejected telegram.token "
        "(set TENDERWATCH_TELEGRAM__TOKEN to the token from @BotFather)",
        code=2,
    )
    assert [c.method for c in fake.calls] == ["getMe"]


def test_notify_never_prints_the_database_password(tmp_path, monkeypatch):
    port = closed_port()
    monkeypatch.setenv("TENDERWATCH_DATABASE__URL", f"postgresql+psycopg://tw:s3cr3t-pw@127.0.0.1:{port}/tw")
    monkeypatch.setenv("TENDERWATCH_TELEGRAM__TOKEN", "")
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(app, ["notify"])

    assert result.exit_code == 1, result.output  # the database failed: not a usage error
    assert f"error: notify failed: database postgresql+psycopg://tw:***@127.0.0.1:{port}/tw:" in result.output
    assert "s3cr3t-pw" not in result.output and "Traceback" not in result.output


def test_notify_requeue_parked_sends_the_parked_rows_of_every_chat(cli_env, monkeypatch):
    deadline = datetime.now(UTC) + timedelta(days=10)
    seed_matches(cli_env, [-100777, 555], 2, submission_deadline=deadline)
    with session_scope(cli_env) as session:
        outbox.enqueue_matches(session)
        for row in session.exec(select(OutboxRow)):
            row.status, row.last_error = "parked", outbox.UNKNOWN_DELIVERY
            session.add(row)
    monkeypatch.setenv("TENDERWATCH_TELEGRAM__TOKEN", "")
    runner = CliRunner()

    plain = runner.invoke(app, ["notify"])
    requeued = runner.invoke(app, ["notify", "--requeue-parked"])
    refused = runner.invoke(app, ["notify", "--requeue-parked", "--dry-run"])

    assert "0 sent in 0 messages" in plain.output
    assert requeued.exit_code == 0, requeued.output
    assert "4 parked rows queued again" in requeued.output
    assert "4 sent in 4 messages (0 digests)" in requeued.output
    assert (requeued.output.count("→ чат -100777"), requeued.output.count("→ чат 555")) == (2, 2)
    with session_scope(cli_env) as session:
        assert [r.status for r in session.exec(select(OutboxRow))] == ["sent"] * 4
    assert refused.exit_code == 2
    assert "--dry-run changes nothing, so it cannot be combined with --requeue-parked" in refused.output


def test_without_token_or_chats_notify_prints_the_alerts_to_the_console(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    engine = make_engine(url)
    upgrade(engine)
    deadline = datetime.now(UTC) + timedelta(days=10)
    seed_matches(engine, [], 2, submission_deadline=deadline)  # the profile names no chat
    monkeypatch.setenv("TENDERWATCH_DATABASE__URL", url)
    monkeypatch.setenv("TENDERWATCH_TELEGRAM__TOKEN", "")
    monkeypatch.delenv("TENDERWATCH_TELEGRAM__DEFAULT_CHATS", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["notify"])
    assert result.exit_code == 0, result.output
    assert result.output.count("→ консоль (нет чата для оповещений)") == 2
    assert "2 sent in 2 messages" in result.output


def test_the_bots_market_view_stops_exactly_at_the_antidumping_line():
    """NMCK 1 000 000,02: 75 % is 750 000,015, so 750 000,01 is the highest price that triggers
    Art. 37. The bot's floor used to be 750 000,02 (rounded half up), one kopeck above the line,
    and the x1.5 contract security went unshown there."""
    notice = make_notice(nmck=Decimal("1000000.02"))
    summary = auction_summary(notice, None)
    assert "Антидемпинг: от 750 000,01 ₽ и ниже" in summary
    assert "Шагов до 750 000,01 ₽:" in summary
