"""Notifier throughput: 1,000 alerts to 50 chats through the fake Bot API, with and without limits.

Run: ``.venv/bin/python benchmarks/bench_notify.py [--quick]``.

Two runs over the same outbox, in the same process: a baseline with no rate limiter (what the
notifier, the database and HTTP cost on their own) and the real run with Telegram's limits (30
messages/s overall, 20/min per group, 1/s per private chat). With limits, the total time is
bounded below by the limits themselves; the script computes that theoretical minimum and checks,
from the timestamps the fake server recorded, that no limit was exceeded in any window.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.notifier import Notifier
from bot.notifier import TelegramSender
from bot.ratelimit import ChatRateLimiter
from bot.ratelimit import RateLimits
from data.db import make_engine
from data.db import session_scope
from data.db import upgrade
from data.models import MatchRow
from data.models import OutboxRow
from data.models import ProfileRow
from data.notice import Notice
from data.store import outbox
from data.store import upsert_notices
from tests.bot.fake_telegram import FakeTelegram

TOKEN = "1:BENCH"


def seed(engine: sa.Engine, alerts: int, chats: list[int]) -> None:
    now = datetime.now(UTC)
    per_chat = alerts // len(chats)
    with session_scope(engine) as session:
        notices = [
            Notice(
                reg_number=f"03732001382260{i:05d}",
                law="44-FZ",
                version=1,
                title=f"Поставка компьютерной техники, лот {i}",
                customer_name="ГБУ «Городская поликлиника № 3»",
                customer_region="77",
                nmck=Decimal("1234567.89") + i,
                kind="auction",
                method="Электронный аукцион",
                submission_deadline=now + timedelta(days=7),
                url=f"https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber={i}",
            )
            for i in range(per_chat * len(chats))
        ]
        upsert_notices(session, notices)
        ids = session.execute(sa.text("SELECT id FROM notices ORDER BY reg_number")).scalars().all()
        for c, chat_id in enumerate(chats):
            profile = ProfileRow(name=f"profile {c}", spec={"chats": [chat_id]})
            session.add(profile)
            session.flush()
            for notice_id in ids[c * per_chat : (c + 1) * per_chat]:
                session.add(
                    MatchRow(
                        notice_id=notice_id, profile_id=profile.id, matched=True, reasons=["ОКПД2 26.20"]
                    )
                )
        session.flush()
        created = outbox.enqueue_matches(session, now=now)
    assert created == per_chat * len(chats), created


def reset(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        session.execute(
            sa.update(OutboxRow).values(status="pending", message_id=None, sent_at=None, attempts=0)
        )


async def drain(engine: sa.Engine, fake: FakeTelegram, limits: RateLimits | None) -> tuple[float, int]:
    bot = ExtBot(
        TOKEN,
        base_url=fake.base_url,
        request=HTTPXRequest(connection_pool_size=64),
        rate_limiter=ChatRateLimiter(limits) if limits else None,
    )
    async with bot:
        notifier = Notifier(engine, TelegramSender(bot), digest_threshold=10_000, concurrency=64)
        started = time.perf_counter()
        report = await notifier.drain_once()
        return time.perf_counter() - started, report.sent


def theoretical_minimum(alerts: int, chats: list[int], limits: RateLimits) -> float:
    """The least time any pacing that respects every window can take for this workload."""
    overall_n, overall_w = limits.overall
    bound = max(0.0, math.ceil(alerts / overall_n - 1) * overall_w)
    per_chat = alerts // len(chats)
    for chat_id in chats:
        n, w = limits.group if chat_id < 0 else limits.private
        bound = max(bound, max(0, math.ceil(per_chat / n) - 1) * w)
    return bound


def check_limits(fake: FakeTelegram, chats: list[int], limits: RateLimits) -> list[str]:
    problems = []
    overall = fake.max_in_window(limits.overall[1])
    if overall > limits.overall[0]:
        problems.append(f"overall: {overall} in {limits.overall[1]} s")
    for chat_id in chats:
        n, w = limits.group if chat_id < 0 else limits.private
        seen = fake.max_in_window(w, chat_id)
        if seen > n:
            problems.append(f"chat {chat_id}: {seen} in {w} s")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 alerts instead of 1,000 (about 7 s)")
    args = parser.parse_args()
    alerts = 200 if args.quick else 1000
    chats = [10_000 + i for i in range(25)] + [-1_000_000 - i for i in range(25)]
    limits = RateLimits()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        seed(engine, alerts, chats)
        with FakeTelegram() as fake:
            base_time, base_sent = asyncio.run(drain(engine, fake, None))
        reset(engine)
        with FakeTelegram() as fake:
            lim_time, lim_sent = asyncio.run(drain(engine, fake, limits))
            problems = check_limits(fake, chats, limits)
            peak = fake.max_in_window(1.0)
            private_peak = max(fake.max_in_window(1.0, c) for c in chats if c > 0)
            group_peak = max(fake.max_in_window(60.0, c) for c in chats if c < 0)
        engine.dispose()
    minimum = theoretical_minimum(alerts, chats, limits)
    print(f"workload: {alerts} alerts to {len(chats)} chats (25 private, 25 groups), one message each")
    print(
        f"baseline, no limiter : {base_sent} sent in {base_time:6.2f} s = {base_sent / base_time:7.1f} msg/s"
    )
    print(f"with Telegram limits : {lim_sent} sent in {lim_time:6.2f} s = {lim_sent / lim_time:7.1f} msg/s")
    print(f"theoretical minimum under the limits: {minimum:.2f} s; achieved {minimum / lim_time:.0%} of it")
    print(
        f"peaks seen by the fake: {peak}/s overall (limit 30), {private_peak}/s per private chat (limit 1), "
        f"{group_peak}/min per group (limit 20)"
    )
    print("limits respected: " + ("yes" if not problems else "NO: " + "; ".join(problems)))
    if problems or lim_sent != alerts or base_sent != alerts:
        sys.exit(1)


if __name__ == "__main__":
    main()
