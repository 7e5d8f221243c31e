"""Issue items 2, 3, 9 and 10: what Telegram and a killed notifier do to the alerts and the token.

* 2: every command that talks to Telegram, under every kind of Telegram failure, run as a real
  process with ``--verbose``: the token is in none of its output, nor in the database.
* 3: notifiers killed with SIGKILL while their requests wait in the rate limiter (per-chat
  pacing, a flood wait), restarted at once: every alert arrives exactly once, none is parked.
* 9: 400 "chat not found" parks the chat's rows after one request, tells the admins, and the
  rows go out once the chat writes to the bot.
* 10: a token revoked while ``bot`` or ``serve`` runs stops it with one line and exit code 1.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.access import AccessPolicy
from bot.app import build_application
from bot.app import run_bot
from bot.app import telegram_notifier
from data.db import make_engine
from data.db import session_scope
from data.db import upgrade
from data.models import ChatRow
from data.models import NoticeRow
from data.models import OutboxRow
from data.store import outbox
from tests.bot.conftest import FAST_LIMITS
from tests.bot.factories import seed_matches
from tests.bot.fake_telegram import FakeTelegram
from tests.conftest import PROJECT_ROOT
from tests.faults.ledger import record

TOKEN = "987654321:AAH-secret-token-never-printed"
SECRET = TOKEN.split(":", 1)[1]
ADMIN = 5100
PERSON = 5200
DEADLINE = datetime.now(UTC) + timedelta(days=10)


def closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(db_url: str, base_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "TENDERWATCH_DATABASE__URL": db_url,
        "TENDERWATCH_SETTINGS": str(PROJECT_ROOT / "settings.toml"),
        "TENDERWATCH_TELEGRAM__TOKEN": TOKEN,
        "TENDERWATCH_TELEGRAM__BASE_URL": base_url,
        "TENDERWATCH_TELEGRAM__ADMINS": f"[{ADMIN}]",
        "TENDERWATCH_TELEGRAM__DEFAULT_CHATS": f"[{PERSON}]",
        "TENDERWATCH_CRAWLER__BASE_URL": f"http://127.0.0.1:{closed_port()}",
        "TENDERWATCH_CRAWLER__TIMEOUT_SECONDS": "20",
        "COLUMNS": "200",
    }


def _seeded_database(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    seed_matches(engine, [PERSON], 3, submission_deadline=DEADLINE)
    engine.dispose()
    return url


# --- item 2: the token in no output ---------------------------------------------------------------

FAILURES: dict[str, Callable[[FakeTelegram], None] | None] = {
    "getMe 401": lambda fake: fake.fail("getMe", "unauthorized", times=1000),
    "getMe 404": lambda fake: fake.fail("getMe", "not_found", times=1000),
    "getMe 502": lambda fake: fake.fail("getMe", "server_error", times=1000),
    "getUpdates 409": lambda fake: fake.fail("getUpdates", "conflict", times=1000),
    "sendMessage 401": lambda fake: fake.fail("sendMessage", "unauthorized", times=1000),
    "sendMessage 400": lambda fake: fake.fail("sendMessage", "chat_not_found", times=1000),
    "Bot API unreachable": None,
}
COMMANDS = {
    "serve": ["serve", "--for", "2"],
    "bot": ["bot"],
    "notify": ["notify"],
    "config check": ["config", "check"],  # prints the settings: the token must be masked there too
}


def _folder(tmp_path: Path, command: str, failure: str) -> Path:
    return tmp_path / f"{command}-{re.sub(r'[^a-z0-9]+', '-', failure.lower())}"


def _run_command(command: str, failure: str, tmp_path: Path) -> tuple[str, str]:
    """(what a person would read, what the database holds) of one command under one failure."""
    folder = _folder(tmp_path, command, failure)
    db_url = f"sqlite:///{folder / 'tw.db'}"
    with FakeTelegram() as fake:
        inject = FAILURES[failure]
        if inject is not None:
            inject(fake)
        base_url = fake.base_url if inject is not None else f"http://127.0.0.1:{closed_port()}/bot"
        proc = subprocess.Popen(
            [sys.executable, "-m", "tenderwatch.cli", "--verbose", *COMMANDS[command]],
            env=_env(db_url, base_url),
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            out, err = proc.communicate(timeout=5 if command == "bot" else 60)
        except subprocess.TimeoutExpired:  # the bot polls on (409, failing sends): stop it as systemd would
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
    stored = (folder / "tw.db").read_bytes()
    return out + err, stored.decode("latin-1")


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_no_command_prints_the_token_under_any_telegram_failure(tmp_path, command):
    """One case per command, so that xdist spreads the 22 processes over its workers."""
    # config check prints the settings and calls no Telegram: one failure is enough
    failures = ["getMe 401"] if command == "config check" else list(FAILURES)
    for failure in failures:  # one at a time: Alembic's migration context is process-global
        _folder(tmp_path, command, failure).mkdir()
        _seeded_database(_folder(tmp_path, command, failure) / "tw.db")
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda failure: _run_command(command, failure, tmp_path), failures))
    leaks = [
        f"{command} under {failure}: {'output' if SECRET in output else 'database'}"
        for failure, (output, stored) in zip(failures, results, strict=True)
        if SECRET in output or SECRET in stored
    ]
    tracebacks = [
        f"{command} under {failure}:\n{output[max(0, output.index('Traceback') - 1500) :][:4000]}"
        for failure, (output, _) in zip(failures, results, strict=True)
        if "Traceback" in output
    ]
    record(
        2,
        "every Telegram command x every Telegram failure",
        unit="runs",
        tried=len(failures),
        survived=len(failures) - len(leaks),
        lost=len(leaks),
    )
    assert leaks == []
    assert tracebacks == [], "\n\n".join(tracebacks)


# --- item 10: a token revoked while the bot runs --------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("command", [["bot"], ["serve", "--for", "120"]])
def test_a_token_revoked_while_running_stops_the_process_cleanly(tmp_path, command):
    db_url = _seeded_database(tmp_path / "tw.db")
    with FakeTelegram() as fake:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tenderwatch.cli", *command],
            env=_env(db_url, fake.base_url),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            fake.wait_for(lambda: len(fake.get_updates_offsets) >= 1, timeout=60)
            fake.revoke()
            out, err = proc.communicate(timeout=60)  # before the fix: polling died, the process lived on
        finally:
            if proc.poll() is None:
                proc.kill()
    output = out + err
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    clean = (
        proc.returncode == 1
        and len(errors) == 1
        and "rejected the bot token while the bot was running" in errors[0]
        and "Traceback" not in output
        and SECRET not in output
    )
    record(
        10,
        "token revoked while bot/serve run",
        unit="runs",
        tried=1,
        survived=int(clean),
        lost=int(not clean),
    )
    assert clean, output[-3000:]
    assert re.search(r"CRITICAL .*polling stopped for good", output)  # the log tells the admins


# --- item 3: killed while waiting in the rate limiter ----------------------------------------------

NOTIFIER = """
import asyncio, sys
from bot.notifier import Notifier, TelegramSender
from bot.ratelimit import RateLimits
from data.db import make_engine
from tests.bot.conftest import make_bot
from tests.bot.fake_telegram import FakeTelegram

class Remote(FakeTelegram):
    base_url = sys.argv[2]

async def main():
    async with make_bot(Remote(), limits=RateLimits()) as bot:  # Telegram's real limits: 1/s per person
        notifier = Notifier(make_engine(sys.argv[1]), TelegramSender(bot), digest_threshold=1000)
        await notifier.drain_once()

asyncio.run(main())
"""

CHATS = (6001, 6002, 6003)
PER_CHAT = 8


def _start_notifier(db_url: str, base_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.Popen([sys.executable, "-c", NOTIFIER, db_url, base_url], env=env, cwd=PROJECT_ROOT)


def _wait_for_sends(fake: FakeTelegram, proc: subprocess.Popen[bytes], count: int) -> None:
    fake.wait_for(lambda: len(fake.sends) >= count or proc.poll() is not None, 60)


def _delivered(fake: FakeTelegram) -> dict[tuple[int, str], int]:
    counts: dict[tuple[int, str], int] = {}
    for sent in fake.sends:
        lot = re.search(r"лот (\d+)", sent.text)
        if lot:
            key = (sent.chat_id, lot.group(1))
            counts[key] = counts.get(key, 0) + 1
    return counts


@pytest.mark.slow
@pytest.mark.parametrize("flood", [False, True], ids=["per-chat pacing", "flood wait"])
def test_notifiers_killed_in_the_rate_limiter_wait_lose_and_repeat_nothing(tmp_path, flood):
    db_url = f"sqlite:///{tmp_path / 'tw.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    for index, chat in enumerate(CHATS):
        seed_matches(
            engine,
            [chat],
            PER_CHAT,
            profile=f"p{index}",
            submission_deadline=DEADLINE,
            title=f"Поставка ноутбуков, чат {chat}, лот {{i}}",
        )
    with session_scope(engine) as session:
        total = outbox.enqueue_matches(session)
    assert total == len(CHATS) * PER_CHAT
    kills = 0
    with FakeTelegram() as fake:
        if flood:  # every chat waits a whole flood wait of 3 s: killed in it, nothing has left
            fake.fail("sendMessage", "retry_after", retry_after=3, times=2)
        for _ in range(5):
            proc = _start_notifier(db_url, fake.base_url)
            try:
                # Half a second into a wait: the limiter spaces each chat's messages a second
                # apart, and a flood wait holds every chat for 3 s; nothing is on the wire then.
                _wait_for_sends(fake, proc, min(total, len(fake.sends) + 1))
                time.sleep(1.5)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    kills += 1
                proc.wait(30)
            if len(fake.sends) >= total:
                break
        final = _start_notifier(db_url, fake.base_url)  # restarted at once: no lease to wait for
        assert final.wait(120) == 0
        delivered = _delivered(fake)
    with session_scope(engine) as session:
        rows = [
            (row.status, row.last_error, (chat_id, re.search(r"лот (\d+)", title).group(1)))
            for row, chat_id, title in session.exec(
                select(OutboxRow, ChatRow.chat_id, NoticeRow.title)
                .join(ChatRow, ChatRow.id == OutboxRow.chat_id)
                .join(NoticeRow, NoticeRow.id == OutboxRow.notice_id)
            ).all()
        ]
    engine.dispose()
    unsent = [(status, error, key) for status, error, key in rows if delivered.get(key, 0) == 0]
    duplicated = sum(n - 1 for n in delivered.values() if n > 1)
    case = record(
        3,
        f"notifier SIGKILLed in the rate-limiter wait ({'flood wait' if flood else 'per-chat pacing'}), "
        "restarted at once",
        unit="alerts",
        tried=total,
        survived=sum(1 for n in delivered.values() if n == 1),
        lost=len(unsent),
        duplicated=duplicated,
    )
    assert kills >= 1
    assert (case.lost, case.duplicated) == (0, 0), unsent
    assert len(delivered) == total
    # A row may be parked as "delivery unknown" only when its request had really left: it arrived.
    parked = [key for status, _, key in rows if status == "parked"]
    assert all(delivered.get(key) == 1 for key in parked)
    assert {status for status, _, _ in rows} <= {"sent", "parked"}


# --- item 9: chat not found ------------------------------------------------------------------------

GONE = 7001
FINE = 7002
GONE_USER = {"id": GONE, "is_bot": False, "first_name": "Вера"}


async def test_chat_not_found_parks_once_tells_admins_and_sends_when_the_chat_writes(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'tw.db'}")
    upgrade(engine)
    seed_matches(engine, [GONE], 4, profile="gone", submission_deadline=DEADLINE)
    seed_matches(
        engine, [FINE], 2, profile="fine", submission_deadline=DEADLINE, title="Поставка мониторов, лот {i}"
    )
    with FakeTelegram() as fake:
        fake.fail("sendMessage", "chat_not_found", chat_id=GONE, times=1000)
        policy = AccessPolicy.of(admins=[ADMIN], users=[GONE, FINE], chats=[])
        app, notifier = _bot(fake, engine, policy)
        async with app:
            with session_scope(engine) as session:
                outbox.enqueue_matches(session)
            first = await notifier.drain_once()
            tries = len([c for c in fake.calls_of("sendMessage") if int(c.params["chat_id"]) == GONE])
            told = [s.text for s in fake.sends_to(ADMIN)]
            with session_scope(engine) as session:
                gone = session.exec(select(ChatRow).where(ChatRow.chat_id == GONE)).one()
                parked = session.exec(select(OutboxRow).where(OutboxRow.chat_id == gone.id)).all()
                assert not gone.active
                assert {r.status for r in parked} == {"parked"}
                assert all(r.last_error.startswith(outbox.CHAT_UNREACHABLE) for r in parked)
        fake._rules.clear()  # the person starts the bot: Telegram knows the chat now
        stop = asyncio.Event()
        app, notifier = _bot(fake, engine, policy)
        task = asyncio.create_task(
            run_bot(app, notifier, stop=stop, drain_interval=0.1, poll_timeout=1, signals=())
        )
        await asyncio.to_thread(fake.wait_for, lambda: bool(fake.get_updates_offsets))
        fake.user_message(
            chat={"id": GONE, "type": "private", "first_name": "Вера"}, user=GONE_USER, text="/start"
        )
        await asyncio.to_thread(fake.wait_for, lambda: len(_lots(fake, GONE)) == 4)
        stop.set()
        await asyncio.wait_for(task, 15)
    engine.dispose()
    alerts = _lots(fake, GONE)
    assert first.sent == 2 and first.parked == 4
    assert tries == 1  # one request for the chat, not one per row
    assert len(told) == 1 and str(GONE) in told[0] and "chat not found" in told[0].lower()
    record(
        9,
        "400 chat not found: parked, admins told, sent when the chat writes",
        unit="alerts",
        tried=6,
        survived=len(fake.sends_to(FINE)) + len(alerts),
        lost=6 - len(fake.sends_to(FINE)) - len(alerts),
    )
    assert len(alerts) == 4 and len({a.text for a in alerts}) == 4


def _bot(fake: FakeTelegram, engine, policy: AccessPolicy):
    app = build_application(
        token=TOKEN, base_url=fake.base_url, engine=engine, policy=policy, limits=FAST_LIMITS
    )
    return app, telegram_notifier(app, engine, digest_threshold=10, admins=[ADMIN])


def _lots(fake: FakeTelegram, chat_id: int) -> list:
    return [sent for sent in fake.sends_to(chat_id) if "лот" in sent.text]
