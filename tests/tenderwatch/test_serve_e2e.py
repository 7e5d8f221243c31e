"""The whole service against the EIS replay and the fake Telegram Bot API.

Real crawl subprocesses, real matching, the real bot (polling and sending over HTTP): every notice
that matches a profile reaches the chat exactly once, the others never do, across an injected
crawl failure (reported to the admin) and a restart of the service.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from crawler.replay import build_snapshot
from crawler.replay.server import start_replay
from data.db import make_engine
from data.models import CrawlRun
from data.models import OutboxRow
from tenderwatch.config import Settings
from tenderwatch.pipeline import Totals
from tenderwatch.service import serve
from tests.bot.fake_telegram import FakeTelegram
from tests.tenderwatch.serve_helpers import PROFILES
from tests.tenderwatch.serve_helpers import alertable
from tests.tenderwatch.serve_helpers import local_service_settings
from tests.tenderwatch.serve_helpers import until

pytestmark = pytest.mark.slow

os.environ.setdefault("PTB_TIMEDELTA", "true")

TOKEN = "123456:E2E-token-never-logged"
CHAT = 5551
ADMIN = 9001
WAIT = 90.0
"""Upper bound for one step (a few crawl cycles); a healthy run needs a fraction of it."""


def service_settings(db_url: str, replay_url: str, fake: FakeTelegram) -> Settings:
    telegram = {"token": TOKEN, "base_url": fake.base_url, "default_chats": [CHAT], "admins": [ADMIN]}
    scheduler = {"crawl_interval_minutes": 2 / 60, "misfire_grace_seconds": 30, "alert_on_first_run": True}
    return local_service_settings(db_url, replay_url, telegram, scheduler, PROFILES)


class Running:
    """One service run in the test's loop."""

    def __init__(self, settings: Settings) -> None:
        self.stop = asyncio.Event()
        self.lines: list[str] = []
        self.task = asyncio.create_task(
            serve(settings, stop=self.stop, signals=(), announce=self.lines.append)
        )

    async def finish(self) -> Totals:
        self.stop.set()
        return await asyncio.wait_for(self.task, timeout=WAIT)


def crawl_runs(db_url: str) -> list[tuple[str, str]]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.select(CrawlRun.source, CrawlRun.outcome))]
    finally:
        engine.dispose()


def outbox_statuses(db_url: str) -> list[tuple[str, str]]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return sorted(tuple(r) for r in conn.execute(sa.select(OutboxRow.kind, OutboxRow.status)))
    finally:
        engine.dispose()


async def test_every_match_is_alerted_once_through_a_crawl_failure_and_a_restart(tmp_path: Path):
    snapshot = build_snapshot(seed=5, count=30, now=datetime.now(UTC))
    db_url = f"sqlite:///{tmp_path / 'serve.db'}"
    with FakeTelegram() as fake, start_replay(snapshot) as replay:
        settings = service_settings(db_url, replay.url, fake)

        def times_alerted(reg: str) -> int:
            return sum(reg in sent.text for sent in fake.sends_to(CHAT))

        def all_alerted(regs: set[str]) -> bool:
            return all(times_alerted(reg) >= 1 for reg in regs)

        expected = alertable(p.latest.notice for p in snapshot.purchases)
        assert len(expected) >= 3

        first = Running(settings)
        await until(lambda: all_alerted(expected), timeout=WAIT, what="the first crawl's alerts")

        replay.set_faults("5xx=1000,only=list")
        minted = replay.publish(8)
        await until(lambda: fake.sends_to(ADMIN), timeout=WAIT, what="the admin told about the failed crawl")
        replay.set_faults(None)
        new = alertable(minted)
        assert new, "the published notices should include a match"
        expected |= new
        await until(
            lambda: all_alerted(expected), timeout=WAIT, what="alerts for the notices published meanwhile"
        )
        totals = await first.finish()
        assert totals.crawls["failed"] >= 1 and totals.crawls["ok"] >= 2

        republished = replay.publish(8)
        expected |= alertable(republished)
        runs_before = len(crawl_runs(db_url))
        second = Running(settings)
        await until(lambda: all_alerted(expected), timeout=WAIT, what="alerts after the restart")
        # one more full cycle after everything arrived: nothing may be sent again
        await until(lambda: len(crawl_runs(db_url)) >= runs_before + 2, timeout=WAIT, what="another crawl")
        await second.finish()

        everything = {p.reg_number for p in snapshot.purchases}
        alerted_counts = {reg: times_alerted(reg) for reg in everything}
        admin_texts = [sent.text for sent in fake.sends_to(ADMIN)]
        chats = {sent.chat_id for sent in fake.sends}

    assert {reg for reg, n in alerted_counts.items() if n} == expected
    assert {alerted_counts[reg] for reg in expected} == {1}
    assert chats == {CHAT, ADMIN}
    assert admin_texts[0].startswith("⚠️ <b>Обход источника eis не удался</b>")
    assert "no listing page could be read" in admin_texts[0]
    assert outbox_statuses(db_url) == [("alert", "sent")] * len(expected)
    runs = crawl_runs(db_url)
    assert ("eis", "failed") in runs and ("eis", "running") not in runs
    assert any("scheduled: crawl eis: now, then every 2 s" in line for line in first.lines)
