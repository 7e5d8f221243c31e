"""Fixtures for the bot: a migrated SQLite database per test and the fake Bot API server."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.access import AccessPolicy
from bot.app import build_application
from bot.app import run_bot
from bot.app import telegram_notifier
from bot.ratelimit import ChatRateLimiter
from bot.ratelimit import RateLimits
from data.db import make_engine
from data.db import upgrade
from tests.bot.factories import NOW
from tests.bot.fake_telegram import FakeTelegram
from tests.bot.live import ADMIN
from tests.bot.live import ALICE
from tests.bot.live import GROUP
from tests.bot.live import Simulations

os.environ.setdefault("PTB_TIMEDELTA", "true")  # RetryAfter.retry_after as timedelta, no warning

TOKEN = "123456:TEST-token-never-logged"
FAST_LIMITS = RateLimits(overall=(30, 0.2), group=(20, 0.4), private=(1, 0.05))
"""Telegram's limits with windows shrunk, so rate tests take fractions of a second."""


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("schema") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def db_path(tmp_path: Path, schema_template: Path) -> Path:
    path = tmp_path / "tw.db"
    shutil.copy(schema_template, path)
    return path


@pytest.fixture
def engine(db_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{db_path}")
    yield engine
    engine.dispose()


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


def make_bot(
    fake: FakeTelegram, limits: RateLimits | None = FAST_LIMITS, read_timeout: float = 5.0
) -> ExtBot:
    return ExtBot(
        TOKEN,
        base_url=fake.base_url,
        request=HTTPXRequest(connection_pool_size=64, read_timeout=read_timeout),
        rate_limiter=ChatRateLimiter(limits) if limits else None,
    )


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[ExtBot]:
    bot = make_bot(fake)
    async with bot:
        yield bot


PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def simulations() -> Simulations:
    return Simulations()


@pytest.fixture
async def running(engine, fake, simulations) -> AsyncIterator[asyncio.Event]:
    policy = AccessPolicy.of(admins=[ADMIN["id"]], users=[ALICE["id"]], chats=[GROUP["id"]])
    app = build_application(
        token=TOKEN,
        base_url=fake.base_url,
        engine=engine,
        policy=policy,
        simulate_summary=simulations,
        limits=FAST_LIMITS,
        clock=lambda: NOW,
    )
    notifier = telegram_notifier(app, engine, digest_threshold=5, clock=lambda: NOW)
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_bot(app, notifier, stop=stop, drain_interval=0.1, poll_timeout=1, signals=())
    )
    await asyncio.to_thread(fake.wait_for, lambda: bool(fake.get_updates_offsets))
    yield stop
    stop.set()
    await asyncio.wait_for(task, 15)
