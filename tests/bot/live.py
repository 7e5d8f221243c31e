"""The people and chats of the running-bot tests, and how they wait for the fake Bot API."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from data.notice import Notice

ADMIN = {"id": 1, "is_bot": False, "first_name": "Анна", "username": "anna"}
ALICE = {"id": 11, "is_bot": False, "first_name": "Алиса", "last_name": "<b>Смирнова</b>"}
BOB = {"id": 12, "is_bot": False, "first_name": "Борис"}
STRANGER = {"id": 99, "is_bot": False, "first_name": "Чужой"}
GROUP = {"id": -100555, "type": "supergroup", "title": "Продажи"}


def private(user: dict) -> dict:
    return {"id": user["id"], "type": "private", "first_name": user["first_name"]}


class Simulations:
    """The injected auction seam: records what the bot asked for."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Decimal | None]] = []

    def __call__(self, notice: Notice, cost: Decimal | None) -> str:
        self.calls.append((notice.reg_number, cost))
        return f"НМЦК {notice.nmck}\nпобеда < 50% & шагов: 60"


async def wait(fake, predicate) -> None:
    await asyncio.to_thread(fake.wait_for, predicate)


def replies_to(fake, chat_id: int) -> list[str]:
    return [s.text for s in fake.sends_to(chat_id)]
