"""The notifier against the fake Bot API: delivery, digests, every error kind, crashes, rate limits."""

from __future__ import annotations

import io
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select
from telegram.error import NetworkError
from telegram.error import TimedOut

from bot.notifier import ConsoleSender
from bot.notifier import Notifier
from bot.notifier import TelegramSender
from bot.notifier import maybe_delivered
from bot.ratelimit import RateLimits
from data.db import session_scope
from data.models import ChatRow
from data.models import OutboxRow
from data.store import chats
from data.store import outbox
from tests.bot.conftest import make_bot
from tests.bot.factories import NOW
from tests.bot.factories import add_match
from tests.bot.factories import add_profile
from tests.bot.factories import make_notice
from tests.bot.factories import seed_matches
from tests.bot.factories import store
from tests.bot.factories import store_past_auction

PRIVATE = 1001
GROUP = -1002003004


def rows(engine) -> list[OutboxRow]:
    with session_scope(engine) as session:
        return list(session.exec(select(OutboxRow).order_by(OutboxRow.id)).all())


def chat(engine, chat_id: int) -> ChatRow | None:
    with session_scope(engine) as session:
        return session.exec(select(ChatRow).where(ChatRow.chat_id == chat_id)).first()


def enqueue(engine, **kw) -> int:
    with session_scope(engine) as session:
        return outbox.enqueue_matches(session, now=NOW, **kw)


def notifier(engine, bot, **kw) -> Notifier:
    kw.setdefault("digest_threshold", 5)
    kw.setdefault("backoff_base", 30.0)
    return Notifier(engine, TelegramSender(bot), clock=lambda: NOW, **kw)


async def test_alert_is_sent_once_with_buttons_and_message_id(engine, fake, bot):
    seed_matches(engine, [PRIVATE], 1)
    assert enqueue(engine) == 1
    assert enqueue(engine) == 0  # unique per (notice, chat): re-enqueueing adds nothing

    report = await notifier(engine, bot).drain_once()
    again = await notifier(engine, bot).drain_once()

    assert (report.sent, report.messages, again.sent) == (1, 1, 0)
    [sent] = fake.sends
    assert sent.chat_id == PRIVATE
    assert "НМЦК: <b>1 234 567,89 ₽</b>" in sent.text
    assert "ключевое слово «ноутбук» — в тексте «ноутбуков»" in sent.text
    [row] = rows(engine)
    labels = [b["text"] for line in sent.reply_markup["inline_keyboard"] for b in line]
    assert labels == ["Беру", "Не интересно", "Симуляция", "Подробнее"]
    assert sent.reply_markup["inline_keyboard"][0][0]["callback_data"] == f"t:{row.id}:take"
    assert (row.status, row.message_id, row.attempts, row.claim_token) == ("sent", sent.message_id, 1, None)
    assert fake.calls_of("sendMessage")[0].params["parse_mode"] == "HTML"


async def test_an_alert_says_how_the_customers_purchases_ended(engine, fake, bot):
    seed_matches(engine, [PRIVATE], 1)
    store_past_auction(engine)
    enqueue(engine)
    await notifier(engine, bot).drain_once()
    [sent] = fake.sends
    assert "<i>У заказчика 2 закупки за год, средняя скидка 12,0 %, обычно 2 участника</i>" in sent.text


async def test_burst_for_one_chat_becomes_a_digest_split_at_tender_boundaries(engine, fake, bot):
    seed_matches(engine, [GROUP], 40, title="Поставка " + "оборудования " * 20 + "лот {i}")
    enqueue(engine)

    report = await notifier(engine, bot, digest_threshold=5).drain_once()

    texts = [s.text for s in fake.sends]
    assert report.sent == 40 and report.digests == len(texts) > 1
    assert all(len(t) <= 4000 for t in texts)
    numbers = [int(line.split(".")[0]) for t in texts for line in t.split("\n") if line[:1].isdigit()]
    assert numbers == list(range(1, 41))  # every tender once, in order, none cut across messages
    by_message = {}
    for row in rows(engine):
        by_message.setdefault(row.message_id, []).append(row.id)
    assert sorted(len(v) for v in by_message.values()) == sorted(
        sum(1 for line in t.split("\n") if line[:1].isdigit()) for t in texts
    )
    # each part carries the «N ▸» buttons of its own tenders, bound to the rows it settled
    for sent in fake.sends:
        labels = [b["text"] for line in sent.reply_markup["inline_keyboard"] for b in line]
        listed = [int(line.split(".")[0]) for line in sent.text.split("\n") if line[:1].isdigit()]
        assert labels == [f"{n} ▸" for n in listed]
        bound = {
            int(b["callback_data"].split(":")[1])
            for line in sent.reply_markup["inline_keyboard"]
            for b in line
        }
        assert bound == set(by_message[sent.message_id])


async def test_retry_after_waits_and_resends(engine, fake, bot):
    seed_matches(engine, [PRIVATE], 1)
    enqueue(engine)
    fake.fail("sendMessage", "retry_after", retry_after=1)

    report = await notifier(engine, bot).drain_once()

    assert report.sent == 1 and len(fake.sends) == 1
    calls = fake.calls_of("sendMessage")
    assert len(calls) == 2 and calls[1].at - calls[0].at >= 1.0
    assert rows(engine)[0].status == "sent"


async def test_server_error_keeps_row_pending_with_backoff(engine, fake, bot):
    seed_matches(engine, [PRIVATE], 1)
    enqueue(engine)
    fake.fail("sendMessage", "server_error")

    report = await notifier(engine, bot, backoff_base=30.0).drain_once()

    [row] = rows(engine)
    assert (report.retried, row.status, row.attempts) == (1, "pending", 1)
    assert row.not_before == NOW + timedelta(seconds=30)
    assert row.last_error == "network error: Bad Gateway"
    # not due yet: a drain now sends nothing; once due, it is sent exactly once
    assert (await notifier(engine, bot).drain_once()).sent == 0
    later = Notifier(engine, TelegramSender(bot), clock=lambda: NOW + timedelta(seconds=31))
    assert (await later.drain_once()).sent == 1
    assert len(fake.sends) == 1 and rows(engine)[0].status == "sent"


async def test_read_timeout_parks_the_row_as_delivery_unknown(engine, fake):
    seed_matches(engine, [PRIVATE], 1)
    enqueue(engine)
    fake.fail("sendMessage", "slow", delay=1.0)
    async with make_bot(fake, read_timeout=0.3) as bot:
        report = await notifier(engine, bot).drain_once()

    [row] = rows(engine)
    assert (report.parked, row.status) == (1, "parked")
    assert row.last_error.startswith(outbox.UNKNOWN_DELIVERY)


def test_only_errors_after_the_request_was_written_may_have_delivered():
    def network(cause: Exception, cls: type = NetworkError) -> NetworkError:
        try:
            raise cls("x") from cause
        except NetworkError as exc:
            return exc

    request = httpx.Request("POST", "http://127.0.0.1/")
    assert maybe_delivered(network(httpx.ReadTimeout("t", request=request), TimedOut)) is True
    assert maybe_delivered(network(httpx.RemoteProtocolError("closed", request=request))) is True
    assert maybe_delivered(network(httpx.ConnectTimeout("t", request=request), TimedOut)) is False
    assert maybe_delivered(network(httpx.ConnectError("refused", request=request))) is False
    assert maybe_delivered(NetworkError("Bad Gateway (502)")) is False


async def test_forbidden_marks_chat_inactive_and_parks_its_rows(engine, fake, bot):
    seed_matches(engine, [PRIVATE, 2002], 3)
    enqueue(engine)
    fake.fail("sendMessage", "forbidden", chat_id=PRIVATE)

    report = await notifier(engine, bot).drain_once()

    assert chat(engine, PRIVATE).active is False
    by_chat = {}
    for row in rows(engine):
        by_chat.setdefault(row.chat_id, []).append(row.status)
    private_row, other_row = chat(engine, PRIVATE).id, chat(engine, 2002).id
    assert by_chat[private_row] == ["parked"] * 3
    assert by_chat[other_row] == ["sent"] * 3
    assert report.parked == 3 and len(fake.sends_to(PRIVATE)) == 0
    # an inactive chat is not enqueued for again
    seed_matches(engine, [PRIVATE], 1, profile="Другой")
    assert enqueue(engine) == 0


async def test_chat_migrated_updates_the_chat_id_and_resends(engine, fake, bot):
    old, new = -4004, -1004004004
    seed_matches(engine, [old], 1)
    enqueue(engine)
    fake.fail("sendMessage", "migrated", chat_id=old, migrate_to=new)

    report = await notifier(engine, bot).drain_once()

    assert report.migrated == 1 and report.sent == 1
    assert [s.chat_id for s in fake.sends] == [new]
    migrated = chat(engine, new)
    assert (migrated.migrated_to_chat_id, migrated.type) == (new, "supergroup")
    retired = chat(engine, old)  # the old id stays behind, pointing at the supergroup
    assert (retired.active, retired.migrated_to_chat_id, retired.id != migrated.id) == (False, new, True)
    assert rows(engine)[0].status == "sent"


async def test_alerts_for_a_configured_old_chat_id_follow_the_migration(engine, fake, bot, caplog):
    old, new = -4004, -1004004004
    seed_matches(engine, [old], 1)
    enqueue(engine)
    fake.fail("sendMessage", "migrated", chat_id=old, migrate_to=new)
    await notifier(engine, bot).drain_once()
    with session_scope(engine) as session:  # a new tender for a profile still naming the old id
        notice_id = store(session, make_notice("0373200138225099999", title="Поставка ноутбуков, второй лот"))
        add_match(session, notice_id, add_profile(session, "Ноутбуки-2", [old]), ["ноутбук"])
    caplog.set_level("INFO", logger="data.store.outbox")

    created = enqueue(engine)
    report = await notifier(engine, bot).drain_once()
    again = await notifier(engine, bot).drain_once()

    assert (created, report.sent, report.migrated, again.sent) == (1, 1, 0, 0)
    assert [s.chat_id for s in fake.sends] == [new, new]
    assert "второй лот" in fake.sends[1].text
    assert fake.calls_of("sendMessage")[-1].params["chat_id"] == new
    assert {r.chat_id for r in rows(engine)} == {chat(engine, new).id}
    assert f"configured chat {old} has migrated to {new}" in caplog.text


def test_a_chain_of_migrations_resolves_to_the_live_chat(engine):
    with session_scope(engine) as session:
        chats.migrate_chat(session, old_chat_id=-1, new_chat_id=-2)
        chats.migrate_chat(session, old_chat_id=-2, new_chat_id=-3)
        live = chats.ensure_chat(session, chat_id=-1)
        assert (live.chat_id, live.active) == (-3, True)
        assert chats.ensure_chat(session, chat_id=-2).id == live.id


def test_migrating_into_a_known_supergroup_resolves_the_old_id_to_it(engine):
    with session_scope(engine) as session:
        chats.ensure_chat(session, chat_id=-5)
        target = chats.ensure_chat(session, chat_id=-1005, type="supergroup")
        assert chats.migrate_chat(session, old_chat_id=-5, new_chat_id=-1005).id == target.id
        assert chats.ensure_chat(session, chat_id=-5).id == target.id


async def test_bad_request_fails_the_row_with_the_reason_and_never_retries(engine, fake, bot):
    seed_matches(engine, [PRIVATE], 1)
    enqueue(engine)
    fake.fail("sendMessage", "bad_request", description="Bad Request: can't parse entities: tag <b> unclosed")

    report = await notifier(engine, bot).drain_once()
    await notifier(engine, bot).drain_once()

    [row] = rows(engine)
    assert (report.failed, row.status) == (1, "failed")
    assert row.last_error == "bad request: Can't parse entities: tag <b> unclosed"
    assert len(fake.calls_of("sendMessage")) == 1


async def test_crash_after_claim_before_send_is_resent_once(engine, fake, bot):
    seed_matches(engine, [PRIVATE], 2)
    enqueue(engine)
    with session_scope(engine) as session:  # a notifier claimed, then died before any request
        claimed = outbox.claim(session, token="dead", now=NOW - timedelta(minutes=10), limit=10)
    assert len(claimed) == 2

    report = await notifier(engine, bot).drain_once()

    assert (report.requeued_stale, report.parked_stale, report.sent) == (2, 0, 2)
    assert len(fake.sends) == 2 and {r.status for r in rows(engine)} == {"sent"}


async def test_crash_while_request_in_flight_is_parked_not_duplicated(engine, fake, bot):
    seed_matches(engine, [PRIVATE], 2)
    enqueue(engine)
    with session_scope(engine) as session:
        claimed = outbox.claim(session, token="dead", now=NOW - timedelta(minutes=10), limit=10)
        outbox.mark_sending(session, ids=[claimed[0].id], token="dead")
        session.execute(OutboxRow.__table__.update().values(claimed_at=NOW - timedelta(minutes=10)))

    report = await notifier(engine, bot).drain_once()

    first, second = rows(engine)
    assert (report.requeued_stale, report.parked_stale) == (1, 1)
    assert (first.status, first.last_error) == ("parked", outbox.UNKNOWN_DELIVERY)
    assert second.status == "sent" and len(fake.sends) == 1


async def test_rate_limits_hold_at_the_server(engine, fake):
    limits = RateLimits(overall=(5, 0.3), group=(3, 0.6), private=(1, 0.25))
    private_chats = [3001, 3002, 3003]
    seed_matches(engine, [*private_chats, GROUP], 4)
    enqueue(engine)

    async with make_bot(fake, limits) as bot:
        report = await notifier(engine, bot, digest_threshold=10).drain_once()

    assert report.sent == 16
    slack = 0.8  # the fake stamps arrival, a few ms after the limiter let the request go
    # the limits are ceilings: how close a loaded machine comes to them is timing, not a claim
    for chat_id in private_chats:
        assert fake.max_in_window(limits.private[1] * slack, chat_id) <= 1
    assert fake.max_in_window(limits.group[1] * slack, GROUP) <= 3
    assert fake.max_in_window(limits.overall[1] * slack) <= 5


async def test_without_token_alerts_are_printed(engine):
    seed_matches(engine, [PRIVATE], 1, title="Поставка <b>ноутбуков</b> & мышей")
    enqueue(engine)
    out = io.StringIO()

    report = await Notifier(engine, ConsoleSender(out), clock=lambda: NOW).drain_once()

    text = out.getvalue()
    assert report.sent == 1
    assert "→ чат 1001" in text
    assert "Поставка <b>ноутбуков</b> & мышей" in text  # as the user would read it, tags unescaped
    assert "НМЦК: 1 234 567,89 ₽" in text
    assert "[Беру]  [Не интересно]  [Симуляция]  [Подробнее]" in text
    assert rows(engine)[0].status == "sent"


@pytest.mark.parametrize("muted", [True])
async def test_muted_and_paused_chats_get_nothing(engine, fake, bot, muted):
    from data.store.chats import set_chat_flags

    with session_scope(engine) as session:
        set_chat_flags(session, chat_id=PRIVATE, muted=muted)
        set_chat_flags(session, chat_id=2002, paused_profiles=["Ноутбуки"])
    seed_matches(engine, [PRIVATE, 2002, 2003], 1)

    assert enqueue(engine) == 1
    await notifier(engine, bot).drain_once()
    assert [s.chat_id for s in fake.sends] == [2003]
