"""A small, fully known database for the report tests, built relative to a given ``now``.

Notices (44-FZ unless said; published dates are Moscow days):

====  ===========  ======  ============  ============  =============  ==================
key   kind         region  NMCK          OKPD2         published      deadline from now
====  ===========  ======  ============  ============  =============  ==================
A     auction      50      1000000.00    26.20.11.110  2026-03-02 W10  +2 d 5 h
B     competition  77      2500000.50    26.20.15.000  2026-03-04 W10  +10 d
C     auction 223  77->50  300000.25     62.01.11.000  2026-02-23 W09  +1 d
D     quotation    50      (none)        26.20.11.110  2026-02-10 W07  -1 d
E     auction      50      999.00        26.20.11.110  2026-03-03 W10  none (cancelled)
====  ===========  ======  ============  ============  =============  ==================

Matches: A, B, D -> laptops; C -> software; B -> old (inactive profile); A -> software is a miss.
Decisions: Anna takes A (in two chats) and D; Boris takes C and skips B.
"""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from data.models import ChatRow
from data.models import CrawlRun
from data.models import DecisionRow
from data.models import MatchRow
from data.models import ProfileRow
from data.notice import Notice
from data.store import notice_id_of
from data.store import upsert_notices

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=MSK)
REG = {
    "A": "0173200001426000001",
    "B": "0173200001426000002",
    "C": "32600000003",
    "D": "0173200001426000004",
    "E": "0173200001426000005",
}


def _msk(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=MSK)


def notices(now: datetime, *, published_base: date | None = None) -> list[Notice]:
    """The five notices; ``published_base`` shifts the publication days (the CLI tests use today)."""
    shift = (published_base - date(2026, 3, 10)) if published_base else timedelta(0)

    def published(day: date) -> datetime:
        return _msk(day + shift)

    return [
        Notice(
            reg_number=REG["A"],
            law="44-FZ",
            kind="auction",
            title="Поставка ноутбуков",
            customer_name="ГБУ Школа №1",
            customer_region="50",
            delivery_regions=["50"],
            nmck=Decimal("1000000.00"),
            okpd2=["26.20.11.110"],
            published_at=published(date(2026, 3, 2)),
            submission_deadline=now + timedelta(days=2, hours=5),
            auction_date=(now + timedelta(days=4)).astimezone(MSK).date(),
            bid_security_percent=Decimal("1"),
            contract_security_percent=Decimal("10"),
            url="https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber=0173200001426000001",
        ),
        Notice(
            reg_number=REG["B"],
            law="44-FZ",
            kind="competition",
            title="Поставка серверов",
            customer_name="ФГБУ Наука",
            customer_region="77",
            nmck=Decimal("2500000.50"),
            okpd2=["26.20.15.000"],
            published_at=published(date(2026, 3, 4)),
            submission_deadline=now + timedelta(days=10),
        ),
        Notice(
            reg_number=REG["C"],
            law="223-FZ",
            kind="auction",
            title="Разработка ПО",
            customer_name="АО Завод",
            customer_region="77",
            delivery_regions=["50"],
            nmck=Decimal("300000.25"),
            okpd2=["62.01.11.000"],
            published_at=published(date(2026, 2, 23)),
            submission_deadline=now + timedelta(days=1),
        ),
        Notice(
            reg_number=REG["D"],
            law="44-FZ",
            kind="quotation",
            title="Мыши и клавиатуры",
            customer_region="50",
            okpd2=["26.20.11.110"],
            published_at=published(date(2026, 2, 10)),
            submission_deadline=now - timedelta(days=1),
        ),
        Notice(
            reg_number=REG["E"],
            law="44-FZ",
            kind="auction",
            title="Отменённая закупка",
            status="Определение поставщика отменено",
            customer_region="50",
            nmck=Decimal("999.00"),
            okpd2=["26.20.11.110"],
            published_at=published(date(2026, 3, 3)),
        ),
    ]


def build(engine: Engine, now: datetime = NOW, *, published_base: date | None = None) -> dict[str, int]:
    """Fill an empty, migrated database; returns the notice ids by key letter."""
    with Session(engine, expire_on_commit=False) as session:
        upsert_notices(session, notices(now, published_base=published_base))
        ids = {
            k: notice_id_of(session, law="223-FZ" if k == "C" else "44-FZ", reg_number=r)
            for k, r in REG.items()
        }
        laptops, software, old = (
            ProfileRow(name="laptops"),
            ProfileRow(name="software"),
            ProfileRow(name="old", active=False),
        )
        team, private = ChatRow(chat_id=-100123, type="supergroup"), ChatRow(chat_id=42, type="private")
        session.add_all([laptops, software, old, team, private])
        session.flush()

        def match(
            key: str, profile: ProfileRow, ago: timedelta, reasons: list, matched: bool = True
        ) -> MatchRow:
            return MatchRow(
                notice_id=ids[key],
                profile_id=profile.id,
                matched=matched,
                reasons=reasons,
                created_at=now - ago,
                updated_at=now - ago,
            )

        def decide(key: str, chat: ChatRow, user: int, name: str, action: str, ago: timedelta) -> DecisionRow:
            return DecisionRow(
                notice_id=ids[key],
                chat_id=chat.id,
                user_id=user,
                user_name=name,
                action=action,
                decided_at=now - ago,
            )

        session.add_all(
            [
                match(
                    "A",
                    laptops,
                    timedelta(days=3),
                    ["ОКПД2 26.20.11.110 в 26.20", {"text": "регион заказчика 50"}],
                ),
                match("A", software, timedelta(days=3), [], matched=False),
                match("B", laptops, timedelta(days=1), ["ОКПД2 26.20.15.000 в 26.20"]),
                match("B", old, timedelta(days=1, hours=1), ["старый профиль"]),
                match("C", software, timedelta(days=10), ["ключевое слово «ПО»"]),
                match("D", laptops, timedelta(days=2), ["ОКПД2 26.20.11.110 в 26.20"]),
                decide("A", team, 7, "Anna", "take", timedelta(days=2)),
                decide("A", private, 7, "Anna", "take", timedelta(days=1)),
                decide("D", team, 7, "Anna", "take", timedelta(days=1)),
                decide("C", team, 8, "Boris", "take", timedelta(days=5)),
                decide("B", team, 8, "Boris", "skip", timedelta(hours=5)),
            ]
        )
        session.add_all(crawl_runs(now))
        session.commit()
    return ids


def crawl_runs(now: datetime) -> list[CrawlRun]:
    base = now.astimezone(UTC)
    return [
        CrawlRun(
            source="eis-search",
            started_at=base - timedelta(hours=3),
            finished_at=base - timedelta(hours=3) + timedelta(seconds=60),
            requests=10,
            notices_new=3,
            outcome="ok",
        ),
        CrawlRun(
            source="eis-search",
            started_at=base - timedelta(hours=2),
            finished_at=base - timedelta(hours=2) + timedelta(seconds=95),
            requests=40,
            pages=4,
            notices_new=5,
            notices_changed=2,
            errors=2,
            errors_by_kind={"timeout": 2},
            outcome="partial",
        ),
        CrawlRun(source="eis-search", started_at=base - timedelta(hours=1), requests=3, outcome="running"),
        CrawlRun(
            source="eis-rss",
            started_at=base - timedelta(minutes=30),
            finished_at=base - timedelta(minutes=29),
            errors=1,
            outcome="failed",
            reason="feed unavailable: HTTP 503",
        ),
    ]
