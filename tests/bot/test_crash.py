"""Exactly-once across a notifier killed mid-request (a real subprocess, SIGKILL)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.notifier import Notifier
from bot.notifier import TelegramSender
from data.db import session_scope
from data.models import OutboxRow
from data.models import utcnow
from data.store import outbox
from tests.bot.conftest import PROJECT_ROOT
from tests.bot.conftest import make_bot
from tests.bot.factories import NOW
from tests.bot.factories import seed_matches

CHAT = 5005

NOTIFIER_SCRIPT = """
import asyncio, sys
from bot.notifier import Notifier, TelegramSender
from data.db import make_engine
from tests.bot.conftest import make_bot
from tests.bot.fake_telegram import FakeTelegram

class Remote(FakeTelegram):
    base_url = sys.argv[2]

async def main():
    async with make_bot(Remote()) as bot:
        notifier = Notifier(make_engine(sys.argv[1]), TelegramSender(bot), concurrency=1, digest_threshold=50)
        await notifier.drain_once()

asyncio.run(main())
"""


@pytest.mark.slow
async def test_killed_notifier_never_duplicates_and_loses_nothing_it_knows_was_unsent(engine, db_path, fake):
    seed_matches(engine, [CHAT], 5)
    with session_scope(engine) as session:
        assert outbox.enqueue_matches(session, now=NOW) == 5
    hang = fake.hang(chat_id=CHAT, skip=2)  # the 3rd message reaches Telegram, the answer never comes back
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", NOTIFIER_SCRIPT, f"sqlite:///{db_path}", fake.base_url],
        env=env,
        cwd=PROJECT_ROOT,
    )
    try:
        assert hang.hit.wait(30), "the notifier subprocess never reached the third send"
    finally:
        proc.kill()
        proc.wait(10)
    hang.release.set()

    with session_scope(engine) as session:
        states = [
            (r.status, (r.claim_token or "")[:2])
            for r in session.exec(select(OutboxRow).order_by(OutboxRow.id))
        ]
    assert states == [("sent", ""), ("sent", ""), ("claimed", "s:"), ("claimed", "c:"), ("claimed", "c:")]

    restarted_at = utcnow() + timedelta(minutes=6)  # past the claim lease: the dead claims are stale
    async with make_bot(fake) as bot:
        report = await Notifier(engine, TelegramSender(bot), clock=lambda: restarted_at).drain_once()

    assert (report.requeued_stale, report.parked_stale, report.sent) == (2, 1, 2)
    texts = [s.text for s in fake.sends_to(CHAT)]
    delivered = sorted(t.split("Поставка ноутбуков, лот ")[1].split("<")[0] for t in texts)
    assert delivered == ["0", "1", "2", "3", "4"]  # every alert exactly once, the in-flight one included
    with session_scope(engine) as session:
        final = [r.status for r in session.exec(select(OutboxRow).order_by(OutboxRow.id))]
    assert final == ["sent", "sent", "parked", "sent", "sent"]
