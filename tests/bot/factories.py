"""Stored test data for the bot tests: notices, profiles, matches, through the real store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from data.db import session_scope
from data.models import MatchRow
from data.models import ProfileRow
from data.notice import Notice
from data.results import Bid
from data.results import ProtocolResult
from data.store import chats
from data.store import notice_id_of
from data.store import upsert_notices
from data.store import upsert_results
from data.store.near_misses import NearMissFound
from data.store.near_misses import replace_near_misses

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def make_notice(reg_number: str = "0373200138225001206", **fields: Any) -> Notice:
    values: dict[str, Any] = {
        "reg_number": reg_number,
        "law": "44-FZ",
        "version": 1,
        "method": "Электронный аукцион",
        "kind": "auction",
        "title": "Поставка ноутбуков для нужд школы № 5",
        "customer_name": "ГБОУ Школа № 5",
        "customer_inn": "7701234567",
        "customer_region": "77",
        "nmck": Decimal("1234567.89"),
        "currency": "RUB",
        "okpd2": ["26.20.11.110"],
        "published_at": NOW - timedelta(days=1),
        "updated_at": NOW - timedelta(days=1),
        "submission_deadline": NOW + timedelta(days=5, hours=1),
        "bid_security": Decimal("12345.68"),
        "contract_security_percent": Decimal("5"),
        "smp_only": True,
        "url": f"https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber={reg_number}",
    }
    values.update(fields)
    return Notice(**values)


def store(session: Session, notice: Notice) -> int:
    upsert_notices(session, [notice])
    notice_id = notice_id_of(session, law=notice.law, reg_number=notice.reg_number)
    assert notice_id is not None
    return notice_id


def add_profile(session: Session, name: str, chats: Sequence[int] = ()) -> ProfileRow:
    profile = ProfileRow(name=name, spec={"name": name, "chats": list(chats)})
    session.add(profile)
    session.flush()
    return profile


def add_match(session: Session, notice_id: int, profile: ProfileRow, reasons: Sequence[str]) -> None:
    session.add(
        MatchRow(notice_id=notice_id, profile_id=profile.id or 0, matched=True, reasons=list(reasons))
    )
    session.flush()


def seed_matches(
    engine: Engine,
    chats: Sequence[int],
    count: int,
    *,
    profile: str = "Ноутбуки",
    reasons: Sequence[str] = ("ключевое слово «ноутбук» — в тексте «ноутбуков»",),
    title: str = "Поставка ноутбуков, лот {i}",
    **fields: Any,
) -> list[int]:
    """``count`` matching notices for one profile routed to ``chats``; returns the notice ids."""
    ids = []
    with session_scope(engine) as session:
        row = add_profile(session, profile, chats)
        notices = [
            make_notice(f"03732001382250{i:05d}", title=title.format(i=i), **fields) for i in range(count)
        ]
        upsert_notices(session, notices)
        for notice in notices:
            notice_id = notice_id_of(session, law="44-FZ", reg_number=notice.reg_number)
            assert notice_id is not None
            add_match(session, notice_id, row, reasons)
            ids.append(notice_id)
    return ids


def store_past_auction(
    engine: Engine, *, winner_inn: str | None = None, winner_name: str | None = None
) -> None:
    """A finished auction of ``make_notice``'s customer 40 days before ``NOW``: NMCK 100 000, won
    at 88 000 (12 %), two applications; the winner named when given (a 2020 protocol is not)."""
    past = make_notice("0373200138225000999", published_at=NOW - timedelta(days=40), nmck=Decimal("100000"))
    protocol = ProtocolResult(
        law="44-FZ",
        purchase_number=past.reg_number,
        document="epProtocolEF2020Final",
        published_at=NOW - timedelta(days=20),
        outcome="winner",
        bids=[
            Bid(
                app_number="1",
                participant_inn=winner_inn,
                participant_name=winner_name,
                price=Decimal("88000"),
                admitted=True,
                rank=1,
            ),
            Bid(app_number="2", price=Decimal("90000"), admitted=True, rank=2),
        ],
    )
    with session_scope(engine) as session:
        upsert_notices(session, [past])
        upsert_results(session, [protocol])


def seed_triage(
    engine: Engine,
    profile: dict[str, Any],
    decided: Sequence[tuple[str, Sequence[str]]],
    *,
    taken_near: Sequence[tuple[str, str, str, float]] = (),
) -> None:
    """A stored profile (``origin = "db"``) whose alerts were decided: each (title, actions) is a
    notice it matched and the take/skip of one person per action, in one group chat; each
    (title, word, keyword, similarity) of ``taken_near`` is a near miss of it that one person took."""
    with session_scope(engine) as session:
        row = ProfileRow(name=profile["name"], spec=profile, origin="db")
        session.add(row)
        session.flush()
        chat = chats.ensure_chat(session, chat_id=-100777, type="supergroup", title="Продажи")

        def decide(notice_id: int, user: int, action: str, minute: int) -> None:
            chats.record_decision(
                session,
                notice_id=notice_id,
                chat_row_id=chat.id or 0,
                user_id=user,
                user_name=f"user {user}",
                action=action,
                now=NOW + timedelta(minutes=minute),
            )

        for i, (title, actions) in enumerate(decided):
            notice_id = store(session, make_notice(f"03732001382260{i:05d}", title=title))
            add_match(session, notice_id, row, ())
            for user, action in enumerate(actions, start=1):
                decide(notice_id, user, action, i)
        for i, (title, word, keyword, similarity) in enumerate(taken_near):
            notice_id = store(session, make_notice(f"03732001382261{i:05d}", title=title))
            found = [NearMissFound(row.id or 0, similarity, keyword, word)]
            replace_near_misses(session.connection(), notice_id=notice_id, found=found, now=NOW)
            decide(notice_id, 1, "take", len(decided) + i)
