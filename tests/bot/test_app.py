"""End to end: the real PTB Application polling the fake Bot API, with the notifier in the same loop."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from datetime import date
from datetime import timedelta
from decimal import Decimal

from sqlmodel import select
from telegram.error import Conflict

from bot.access import AccessPolicy
from bot.app import build_application
from bot.app import redact_secrets_in_logs
from bot.app import run_bot
from bot.app import telegram_notifier
from data.db import session_scope
from data.models import AllowedUser
from data.models import ChatRow
from data.models import DecisionRow
from data.models import NoticeChange
from data.models import OutboxRow
from data.models import ProfileRow
from data.notice import MOSCOW
from data.results import UnfairSupplierCheck
from data.results import UnfairSupplierEntry
from data.store import outbox
from data.store import upsert_results
from data.store.places import PlaceFound
from data.store.places import replace_notice_places
from tests.bot.conftest import FAST_LIMITS
from tests.bot.conftest import TOKEN
from tests.bot.factories import NOW
from tests.bot.factories import make_notice
from tests.bot.factories import seed_matches
from tests.bot.factories import store_past_auction
from tests.bot.live import ADMIN
from tests.bot.live import ALICE
from tests.bot.live import BOB
from tests.bot.live import GROUP
from tests.bot.live import STRANGER
from tests.bot.live import private
from tests.bot.live import replies_to
from tests.bot.live import wait


async def test_stranger_gets_a_polite_refusal_with_ids_and_nothing_else(engine, fake, running):
    fake.user_message(chat=private(STRANGER), user=STRANGER, text="/digest")
    await wait(fake, lambda: fake.sends_to(STRANGER["id"]))
    fake.user_message(chat=private(STRANGER), user=STRANGER, text="/tender 0373200138225000001")
    await wait(fake, lambda: len(fake.sends_to(STRANGER["id"])) == 2)

    texts = replies_to(fake, STRANGER["id"])
    assert all("только для сотрудников" in t and "<code>99</code>" in t for t in texts)
    with session_scope(engine) as session:
        assert session.exec(select(ChatRow).where(ChatRow.chat_id == STRANGER["id"])).first() is None


async def test_group_triage_flow_is_visible_to_everyone(engine, fake, running, simulations):
    seed_matches(engine, [GROUP["id"]], 1)
    with session_scope(engine) as session:
        outbox.enqueue_matches(session, now=NOW)
    await wait(fake, lambda: fake.sends_to(GROUP["id"]))
    [alert] = fake.sends_to(GROUP["id"])
    data = {b["text"]: b["callback_data"] for line in alert.reply_markup["inline_keyboard"] for b in line}

    fake.press_button(chat=GROUP, user=ALICE, message_id=alert.message_id, data=data["Беру"])
    await wait(fake, lambda: "Алиса" in fake.messages[(GROUP["id"], alert.message_id)]["text"])
    fake.press_button(chat=GROUP, user=BOB, message_id=alert.message_id, data=data["Не интересно"])
    await wait(fake, lambda: "Борис" in fake.messages[(GROUP["id"], alert.message_id)]["text"])
    fake.press_button(chat=GROUP, user=BOB, message_id=alert.message_id, data=data["Не интересно"])
    await wait(fake, lambda: len(fake.answers) == 3)

    text = fake.messages[(GROUP["id"], alert.message_id)]["text"]
    assert "✅ Взял(а): Алиса &lt;b&gt;Смирнова&lt;/b&gt; (10.03 12:00)" in text
    assert "🚫 Не интересно: Борис (10.03 12:00)" in text
    assert [a.get("text") for a in fake.answers] == [
        "Взято в работу",
        "Отмечено: не интересно",
        "Уже отмечено",
    ]
    with session_scope(engine) as session:
        decisions = {(d.user_id, d.action) for d in session.exec(select(DecisionRow))}
    assert decisions == {(11, "take"), (12, "skip")}

    fake.press_button(chat=GROUP, user=ALICE, message_id=alert.message_id, data=data["Симуляция"])
    await wait(fake, lambda: len(fake.sends_to(GROUP["id"])) == 2)
    assert simulations.calls == [("0373200138225000000", None)]
    assert "победа &lt; 50% &amp; шагов: 60" in fake.sends_to(GROUP["id"])[1].text


async def test_forged_and_foreign_callback_data_is_refused(engine, fake, running):
    seed_matches(engine, [GROUP["id"], ALICE["id"]], 1)
    with session_scope(engine) as session:
        outbox.enqueue_matches(session, now=NOW)
        alice_chat = session.exec(select(ChatRow).where(ChatRow.chat_id == ALICE["id"])).one()
        alice_row = session.exec(select(OutboxRow).where(OutboxRow.chat_id == alice_chat.id)).one()
    await wait(fake, lambda: fake.sends_to(GROUP["id"]) and fake.sends_to(ALICE["id"]))
    [alert] = fake.sends_to(GROUP["id"])

    for data in (f"t:{alice_row.id}:take", "t:999999:take", "t:1:drop_table", "x" * 64):
        fake.press_button(chat=GROUP, user=ALICE, message_id=alert.message_id, data=data)
    await wait(fake, lambda: len(fake.answers) == 4)

    assert {(a.get("text"), a.get("show_alert")) for a in fake.answers} == {
        ("Кнопка устарела или недействительна.", True)
    }
    assert fake.calls_of("editMessageText") == []
    with session_scope(engine) as session:
        assert session.exec(select(DecisionRow)).first() is None


async def test_admin_allows_a_user_and_only_admins_see_status(engine, fake, running):
    fake.user_message(chat=private(BOB), user=BOB, text="/status")
    await wait(fake, lambda: fake.sends_to(BOB["id"]))
    fake.user_message(chat=private(ADMIN), user=ADMIN, text="/allow 12")
    await wait(fake, lambda: fake.sends_to(ADMIN["id"]))
    fake.user_message(chat=private(BOB), user=BOB, text="/status")
    await wait(fake, lambda: len(fake.sends_to(BOB["id"])) == 2)
    fake.user_message(chat=private(ADMIN), user=ADMIN, text="/status")
    await wait(fake, lambda: len(fake.sends_to(ADMIN["id"])) == 2)

    assert "только для сотрудников" in replies_to(fake, BOB["id"])[0]
    assert replies_to(fake, ADMIN["id"])[0] == "Доступ выдан: пользователь <code>12</code>."
    assert replies_to(fake, BOB["id"])[1] == "Эта команда доступна только администраторам."
    assert "<b>Состояние</b>" in replies_to(fake, ADMIN["id"])[1]
    with session_scope(engine) as session:
        assert [(u.user_id, u.added_by) for u in session.exec(select(AllowedUser))] == [(12, 1)]


async def test_tender_and_sim_commands(engine, fake, running, simulations):
    seed_matches(engine, [], 1)  # a profile without chats: its alerts go to the default chats
    fake.user_message(chat=private(ALICE), user=ALICE, text="/tender 0373200138225000000")
    await wait(fake, lambda: fake.sends_to(ALICE["id"]))
    fake.user_message(chat=private(ALICE), user=ALICE, text="/sim 0373200138225000000 850 000,50")
    await wait(fake, lambda: len(fake.sends_to(ALICE["id"])) == 2)
    fake.user_message(chat=private(ALICE), user=ALICE, text="/sim 0373200138225000000 -5")
    await wait(fake, lambda: len(fake.sends_to(ALICE["id"])) == 3)
    fake.user_message(chat=private(ALICE), user=ALICE, text="/tender 0000000000000000000")
    await wait(fake, lambda: len(fake.sends_to(ALICE["id"])) == 4)

    card, sim, bad_cost, missing = fake.sends_to(ALICE["id"])
    assert card.text.startswith("<b>📄 Закупка</b>")
    assert "Профиль «Ноутбуки»: ключевое слово «ноутбук» — в тексте «ноутбуков»" in card.text
    assert card.reply_markup["inline_keyboard"][0][0]["text"] == "Беру"
    assert simulations.calls == [("0373200138225000000", Decimal("850000.50"))]
    assert "Себестоимость: 850 000,50 ₽" in sim.text
    assert bad_cost.text == "Себестоимость должна быть положительной, получено «-5»"
    assert missing.text == "Закупка № 0000000000000000000 не найдена в базе."
    # the card became this chat's alert: the notifier will not send the same tender again
    with session_scope(engine) as session:
        assert outbox.enqueue_matches(session, now=NOW, default_chats=[ALICE["id"]]) == 0


async def test_the_tender_card_and_the_digest_say_how_the_customers_auctions_ended(engine, fake, running):
    seed_matches(engine, [], 1, published_at=NOW - timedelta(hours=1))
    store_past_auction(engine)
    for text in ("/tender 0373200138225000000", "/digest"):
        count = len(fake.sends_to(ALICE["id"]))
        fake.user_message(chat=private(ALICE), user=ALICE, text=text)
        await wait(fake, lambda count=count: len(fake.sends_to(ALICE["id"])) == count + 1)
    card, digest = replies_to(fake, ALICE["id"])
    line = "У заказчика 2 закупки за год, средняя скидка 12,0 %, обычно 2 участника"
    assert f"<i>{line}</i>" in card
    assert line in digest


async def test_customer_and_competitor_commands(engine, fake, running):
    store_past_auction(engine, winner_inn="7725000001", winner_name="ООО <Альфа>")
    listed = UnfairSupplierEntry(
        registry_number="26000001",
        listed_under="44-ФЗ",
        inn="7725000001",
        status="Размещено",
        included_on=date(2026, 1, 1),
        exclusion_planned_on=date(2099, 1, 1),
    )
    with session_scope(engine) as session:  # what eis_rnp would have stored
        upsert_results(
            session,
            [
                UnfairSupplierCheck(inn="7725000001", checked_at=NOW, entries=[listed]),
                UnfairSupplierCheck(inn="7725009999", checked_at=NOW),
            ],
        )
    for text in ("/customer 7701234567", "/competitor 7725000001", "/competitor 7725009999", "/customer 12"):
        count = len(fake.sends_to(ALICE["id"]))
        fake.user_message(chat=private(ALICE), user=ALICE, text=text)
        await wait(fake, lambda count=count: len(fake.sends_to(ALICE["id"])) == count + 1)
    customer, competitor, unknown, bad = replies_to(fake, ALICE["id"])
    assert customer.startswith("<b>Заказчик ИНН 7701234567</b> — за год")
    assert "Средняя скидка от НМЦК: 12,0 %" in customer
    assert "• ООО &lt;Альфа&gt; (ИНН 7725000001): 1 ⚠️ в РНП" in customer
    assert competitor.startswith("<b>ООО &lt;Альфа&gt;</b> — ИНН 7725000001")
    assert "За год: заявок 1, побед 1" in competitor and "Медианная скидка в победах: 12 %" in competitor
    assert competitor.endswith("\n⚠️ В РНП до 01.01.2099: 1 запись")
    checked = NOW.astimezone(MOSCOW).strftime("%d.%m.%Y")
    assert unknown == (
        "Поставщик ИНН 7725009999: за год нет ни заявок, ни побед в сохранённых протоколах.\n"
        f"В РНП не найден (проверено {checked})"
    )
    assert bad == "Использование: /customer ИНН (ИНН: 10 цифр, у ИП 12)"


async def test_mute_stops_alerts_for_that_chat(engine, fake, running):
    fake.user_message(chat=GROUP, user=ALICE, text="/mute")
    await wait(fake, lambda: fake.sends_to(GROUP["id"]))
    seed_matches(engine, [GROUP["id"]], 2)
    with session_scope(engine) as session:
        assert outbox.enqueue_matches(session, now=NOW) == 0
    assert replies_to(fake, GROUP["id"]) == ["🔕 Уведомления в этом чате выключены. Включить: /unmute"]


async def test_token_never_appears_in_logs(engine, fake, caplog):
    caplog.set_level(logging.DEBUG)
    policy = AccessPolicy.of(admins=[], users=[ALICE["id"]], chats=[])
    app = build_application(
        token=TOKEN, base_url=fake.base_url, engine=engine, policy=policy, limits=FAST_LIMITS
    )
    notifier = telegram_notifier(app, engine, digest_threshold=5)
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_bot(app, notifier, stop=stop, drain_interval=0.1, poll_timeout=1, signals=())
    )
    fake.fail("getUpdates", "server_error")  # an error path too: PTB logs the failing request
    fake.user_message(chat=private(ALICE), user=ALICE, text="/help")
    await wait(fake, lambda: fake.sends_to(ALICE["id"]))
    stop.set()
    await asyncio.wait_for(task, 15)

    assert "getUpdates" in caplog.text or "polling" in caplog.text  # DEBUG logging really happened
    assert TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text


async def test_profiles_pause_and_resume_per_chat(engine, fake, running):
    seed_matches(engine, [GROUP["id"]], 1)
    fake.user_message(chat=GROUP, user=ALICE, text="/profiles")
    await wait(fake, lambda: fake.sends_to(GROUP["id"]))
    [listing] = fake.sends_to(GROUP["id"])
    [[button]] = listing.reply_markup["inline_keyboard"]
    assert (listing.text, button["text"]) == (
        "<b>Профили</b> (пауза действует только в этом чате):\n▶️ Ноутбуки",
        "Пауза: Ноутбуки",
    )

    fake.press_button(chat=GROUP, user=ALICE, message_id=listing.message_id, data=button["callback_data"])
    await wait(fake, lambda: "⏸" in fake.messages[(GROUP["id"], listing.message_id)]["text"])
    with session_scope(engine) as session:
        assert outbox.enqueue_matches(session, now=NOW) == 0  # paused here: nothing queued
    resume = fake.messages[(GROUP["id"], listing.message_id)]["reply_markup"]["inline_keyboard"][0][0]
    fake.press_button(chat=GROUP, user=ALICE, message_id=listing.message_id, data=resume["callback_data"])
    await wait(fake, lambda: "▶️" in fake.messages[(GROUP["id"], listing.message_id)]["text"])

    assert [a.get("text") for a in fake.answers] == [
        "Профиль «Ноутбуки» на паузе",
        "Профиль «Ноутбуки» снова активен",
    ]
    with session_scope(engine) as session:
        assert outbox.enqueue_matches(session, now=NOW) == 1


async def test_mine_lists_taken_tenders_and_changes_reach_the_taker(engine, fake, running):
    [notice_id] = seed_matches(engine, [GROUP["id"]], 1)
    with session_scope(engine) as session:
        outbox.enqueue_matches(session, now=NOW)
    await wait(fake, lambda: fake.sends_to(GROUP["id"]))
    [alert] = fake.sends_to(GROUP["id"])
    take = alert.reply_markup["inline_keyboard"][0][0]["callback_data"]
    fake.press_button(chat=GROUP, user=ALICE, message_id=alert.message_id, data=take)
    await wait(fake, lambda: fake.answers)
    fake.user_message(chat=private(ALICE), user=ALICE, text="/mine")
    await wait(fake, lambda: fake.sends_to(ALICE["id"]))

    with session_scope(engine) as session:
        session.add(
            NoticeChange(
                notice_id=notice_id,
                field="submission_deadline",
                old_value="2026-03-15T10:00:00Z",
                new_value="2026-03-20T10:00:00Z",
                changed_at=NOW + timedelta(hours=1),
            )
        )
        session.flush()
        assert outbox.enqueue_changes(session) == 1
    await wait(fake, lambda: len(fake.sends_to(ALICE["id"])) == 2)

    mine, change = replies_to(fake, ALICE["id"])
    assert mine.startswith(
        "<b>Мои закупки: 1</b>\n\n• <b>Поставка ноутбуков, лот 0</b>\n  № 0373200138225000000"
    )
    assert "до 15.03.2026 13:00 МСК (осталось 5 полных дней)" in mine
    assert change.startswith(
        "<b>✏️ Изменения в закупке, которую вы взяли</b>\n"
        "• срок подачи заявок: 15.03.2026 13:00 МСК → <b>20.03.2026 13:00 МСК</b>"
    )


async def test_digest_lists_todays_matches(engine, fake, running):
    first, *_ = seed_matches(engine, [GROUP["id"]], 3)
    with session_scope(engine) as session:  # what a match run read from the first one's words
        replace_notice_places(
            session.connection(),
            notice_id=first,
            found=[PlaceFound("54", "title", "Новосибирске")],
            stored=[],
            now=NOW,
        )
    fake.user_message(chat=GROUP, user=BOB, text="/digest")  # anyone inside an allowed group may ask
    await wait(fake, lambda: fake.sends_to(GROUP["id"]))

    [digest] = fake.sends_to(GROUP["id"])
    assert digest.text.startswith("<b>Совпадения за сегодня: 3 новые</b>\n\n1. <b>Поставка ноутбуков, лот ")
    assert digest.text.count("поставка: 54 Новосибирская область (из названия: «Новосибирске»)") == 1
    assert "/tender" not in digest.text  # no command a tap cannot send whole: buttons instead
    assert digest.text.count("44-ФЗ · ") == 3 and digest.text.count("Профиль «Ноутбуки»") == 3
    buttons = [b for line in digest.reply_markup["inline_keyboard"] for b in line]
    assert [b["text"] for b in buttons] == ["1 ▸", "2 ▸", "3 ▸"]

    fake.press_button(chat=GROUP, user=BOB, message_id=digest.message_id, data=buttons[1]["callback_data"])
    await wait(fake, lambda: len(fake.sends_to(GROUP["id"])) == 2)
    card = fake.sends_to(GROUP["id"])[1]
    second = digest.text.split("\n\n")[2].split("\n")[0].removeprefix("2. ")  # the 2nd tender's title
    assert card.text.startswith("<b>📄 Закупка</b>\n" + second)
    assert [b["text"] for line in card.reply_markup["inline_keyboard"] for b in line][:2] == [
        "Беру",
        "Не интересно",
    ]


def park_alerts(engine, chat_id: int, count: int, errors: list[str]) -> None:
    """``count`` alerts for ``chat_id``, parked with ``errors`` in order (the chat is left inactive)."""
    seed_matches(engine, [chat_id], count)
    with session_scope(engine) as session:
        outbox.enqueue_matches(session, now=NOW)
        chat = session.exec(select(ChatRow).where(ChatRow.chat_id == chat_id)).one()
        chat.active = False
        session.add(chat)
        for row, error in zip(
            session.exec(select(OutboxRow).order_by(OutboxRow.id)).all(), errors, strict=True
        ):
            row.status, row.last_error = "parked", error
            session.add(row)


def statuses(engine) -> list[tuple[str, str | None]]:
    with session_scope(engine) as session:
        return [(r.status, r.last_error) for r in session.exec(select(OutboxRow).order_by(OutboxRow.id))]


def chat_active(engine, chat_id: int) -> bool:
    with session_scope(engine) as session:
        return session.exec(select(ChatRow.active).where(ChatRow.chat_id == chat_id)).one()


def membership(chat: dict, old: str, new: str) -> dict:
    bot_user = {"id": 424242, "is_bot": True, "first_name": "Tenderwatch"}
    return {
        "my_chat_member": {
            "chat": chat,
            "from": ADMIN,
            "date": 1773133200,
            "old_chat_member": {"status": old, "user": bot_user},
            "new_chat_member": {
                "status": new,
                "user": bot_user,
                **({"until_date": 0} if new == "kicked" else {}),
            },
        }
    }


async def test_admin_requeues_the_parked_alerts_of_a_chat(engine, fake, running):
    park_alerts(engine, GROUP["id"], 2, [outbox.UNKNOWN_DELIVERY, "forbidden: bot was kicked"])
    with session_scope(engine) as session:
        session.exec(select(ChatRow).where(ChatRow.chat_id == GROUP["id"])).one().active = True

    fake.user_message(chat=GROUP, user=ALICE, text="/requeue")
    await wait(fake, lambda: fake.sends_to(GROUP["id"]))
    refused = statuses(engine)
    fake.user_message(chat=GROUP, user=ADMIN, text="/requeue")
    await wait(fake, lambda: len(fake.sends_to(GROUP["id"])) == 4)
    fake.user_message(chat=GROUP, user=ADMIN, text="/requeue")
    await wait(fake, lambda: len(fake.sends_to(GROUP["id"])) == 5)

    texts = replies_to(fake, GROUP["id"])
    assert texts[0] == "Эта команда доступна только администраторам."
    assert [status for status, _ in refused] == ["parked", "parked"]
    assert texts[1] == "Снова в очереди: 2 уведомления."
    assert sorted(t.split("\n")[0] for t in texts[2:4]) == ["<b>🔔 Новая закупка</b>"] * 2
    assert texts[4] == "Отложенных уведомлений в этом чате нет."
    assert statuses(engine) == [("sent", None), ("sent", None)]


async def test_bot_let_back_in_resends_only_what_the_block_parked(engine, fake, running):
    park_alerts(engine, GROUP["id"], 2, ["forbidden: bot was kicked", outbox.UNKNOWN_DELIVERY])

    fake.push_update(membership(GROUP, "left", "member"))
    await wait(fake, lambda: fake.sends_to(GROUP["id"]))
    await wait(fake, lambda: statuses(engine)[0][0] == "sent")

    assert len(fake.sends_to(GROUP["id"])) == 1
    assert "лот 0" in fake.sends_to(GROUP["id"])[0].text
    assert statuses(engine) == [("sent", None), ("parked", outbox.UNKNOWN_DELIVERY)]
    assert chat_active(engine, GROUP["id"]) is True


async def test_bot_removed_from_a_chat_requeues_nothing(engine, fake, running):
    park_alerts(engine, GROUP["id"], 1, ["forbidden: bot was kicked"])
    with session_scope(engine) as session:
        session.exec(select(ChatRow).where(ChatRow.chat_id == GROUP["id"])).one().active = True

    fake.push_update(membership(GROUP, "member", "kicked"))
    await wait(fake, lambda: not chat_active(engine, GROUP["id"]))

    assert statuses(engine) == [("parked", "forbidden: bot was kicked")]
    assert fake.sends_to(GROUP["id"]) == []


def test_telegram_errors_are_logged_in_one_line_by_any_logger_without_the_token(caplog):
    """asyncio's "Task exception was never retrieved" (PTB's polling task ending on a 409 while the
    updater stops) carries a TelegramError traceback: it is folded to one line like PTB's own."""
    secret = "55555:fold-me-token"
    redact_secrets_in_logs(secret)
    try:
        raise Conflict(f"Conflict: terminated by other getUpdates request ({secret})")
    except Conflict as exc:
        error = exc
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        logging.getLogger("asyncio").error("Task exception was never retrieved", exc_info=error)
    [record] = [r for r in caplog.records if r.name == "asyncio"]
    assert record.exc_info is None and record.exc_text is None
    assert record.getMessage() == (
        "Task exception was never retrieved (Conflict: Conflict: terminated by other getUpdates request"
        " (<token>))"
    )


async def test_the_bot_answers_while_a_crawl_holds_the_database_write_lock(engine, fake, db_path):
    """Issue 15 item 4. A drain with an alert due writes (it claims the row); done on the event loop,
    a drain waiting for a crawl's write lock froze the bot until SQLite's 30 s busy timeout. Now the
    database work runs in worker threads: the answer comes while the lock is still held. The order
    is asserted, not a duration."""
    seed_matches(engine, [GROUP["id"]], 1)
    with session_scope(engine) as session:
        outbox.enqueue_matches(session, now=NOW)
        for row in session.exec(select(OutboxRow)):
            row.not_before = NOW + timedelta(hours=1)  # due once the clock below moves on
            session.add(row)
    clock = [NOW]
    app = build_application(
        token=TOKEN,
        base_url=fake.base_url,
        engine=engine,
        policy=AccessPolicy.of(admins=[ADMIN["id"]], users=[ALICE["id"]], chats=[GROUP["id"]]),
        limits=FAST_LIMITS,
        clock=lambda: clock[0],
    )
    notifier = telegram_notifier(app, engine, digest_threshold=5, clock=lambda: clock[0])
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_bot(app, notifier, stop=stop, drain_interval=0.1, poll_timeout=1, signals=())
    )
    answered_while_locked: list[bool] = []

    def crawl_writing() -> None:
        """Holds the write lock as a crawl's batch does and, from this thread (the bot's loop may be
        the one that is stuck), asks the bot something; lets go only once it knows whether the
        answer came while it held the lock, or gave up well inside SQLite's 30 s busy timeout."""
        connection = sqlite3.connect(db_path, timeout=30)
        connection.execute("BEGIN IMMEDIATE")
        try:
            clock[0] = NOW + timedelta(hours=2)  # the alert is due: the next drain must claim it, a write
            time.sleep(0.5)  # drains have started meanwhile and wait for the lock
            fake.user_message(chat=private(ALICE), user=ALICE, text="/help")
            try:
                fake.wait_for(lambda: len(fake.sends_to(ALICE["id"])) == 2, timeout=20)
                answered_while_locked.append(True)
            except AssertionError:
                answered_while_locked.append(False)
        finally:
            connection.rollback()
            connection.close()

    try:
        fake.user_message(chat=private(ALICE), user=ALICE, text="/help")
        await wait(fake, lambda: len(fake.sends_to(ALICE["id"])) == 1)  # Alice's chat row exists now
        await asyncio.to_thread(crawl_writing)
        await wait(fake, lambda: fake.sends_to(GROUP["id"]))  # the alert goes out once the lock is free
    finally:
        stop.set()
        await asyncio.wait_for(task, 40)
    assert answered_while_locked == [True]


async def test_plain_text_in_a_private_chat_is_a_search_and_a_hit_opens_its_alert(engine, fake, running):
    seed_matches(engine, [GROUP["id"]], 3, title="Поставка ноутбуков для филиала в г. Новосибирске, лот {i}")
    fake.user_message(chat=private(ALICE), user=ALICE, text="ноутбуки -ремонт")
    await wait(fake, lambda: fake.sends_to(ALICE["id"]))
    [reply] = fake.sends_to(ALICE["id"])
    assert reply.text.startswith("<b>Поиск «ноутбуки -ремонт»: 3 закупки</b>")
    # a Moscow customer buying for its branch: the search read the place as the matcher does
    assert reply.text.count("· 77 Москва; поставка: 54 Новосибирская область (из названия:") == 3
    buttons = [b for line in reply.reply_markup["inline_keyboard"] for b in line]
    assert [b["text"] for b in buttons] == ["1 ▸", "2 ▸", "3 ▸"]
    fake.press_button(
        chat=private(ALICE), user=ALICE, message_id=reply.message_id, data=buttons[0]["callback_data"]
    )
    await wait(fake, lambda: len(fake.sends_to(ALICE["id"])) == 2)
    assert fake.sends_to(ALICE["id"])[1].text.startswith("<b>📄 Закупка</b>")

    fake.user_message(chat=GROUP, user=BOB, text="ноутбуки")  # people talking in a group: no search
    fake.user_message(chat=GROUP, user=BOB, text="/search мебель")
    await wait(fake, lambda: fake.sends_to(GROUP["id"]))
    assert replies_to(fake, GROUP["id"]) == ["По запросу «мебель» открытых закупок не найдено."]


async def test_a_personal_filter_is_made_matched_alerted_to_its_owner_paused_and_deleted(
    engine, fake, running
):
    """Issue 17 item 2 (personal filters): one line makes a profile owned by its author, validated
    like settings.toml's; the matcher picks it up and alerts go to the owner's private chat."""
    from data.store import upsert_notices
    from tenderwatch.matching import run_match

    me = private(ALICE)
    fake.user_message(
        chat=me, user=ALICE, text="/filter Ноутбуки Алисы: ноутбук -ремонт; регион 77; цена 100000-5000000"
    )
    await wait(fake, lambda: fake.sends_to(ALICE["id"]))
    assert replies_to(fake, ALICE["id"])[0].startswith("Фильтр «Ноутбуки Алисы» создан")
    fake.user_message(chat=GROUP, user=BOB, text="/filter Ноутбуки Алисы: мебель")
    fake.user_message(chat=me, user=ALICE, text="/filter Без двоеточия")
    await wait(fake, lambda: fake.sends_to(GROUP["id"]) and len(fake.sends_to(ALICE["id"])) == 2)
    assert replies_to(fake, GROUP["id"]) == ["Имя «Ноутбуки Алисы» уже занято: выберите другое."]
    assert replies_to(fake, ALICE["id"])[1].startswith("Использование: /filter Название: слова")

    with session_scope(engine) as session:
        upsert_notices(session, [make_notice("0373200000026000042")], source="test")
    report = await asyncio.to_thread(run_match, engine, [], now=NOW)
    assert report.new == 1
    with session_scope(engine) as session:
        outbox.enqueue_matches(session, now=NOW)
    await wait(fake, lambda: len(fake.sends_to(ALICE["id"])) == 3)
    assert "Профиль «Ноутбуки Алисы»" in replies_to(fake, ALICE["id"])[2]

    fake.user_message(chat=me, user=ALICE, text="/filters")
    await wait(fake, lambda: len(fake.sends_to(ALICE["id"])) == 4)
    listing = fake.sends_to(ALICE["id"])[3]
    assert "▶️ Ноутбуки Алисы: ноутбук; без: ремонт; регионы 77" in listing.text
    data = {b["text"]: b["callback_data"] for line in listing.reply_markup["inline_keyboard"] for b in line}
    fake.press_button(chat=GROUP, user=BOB, message_id=listing.message_id, data=data["Удалить"])  # not his
    fake.press_button(chat=me, user=ALICE, message_id=listing.message_id, data=data["Пауза: Ноутбуки Алисы"])
    await wait(fake, lambda: len(fake.answers) == 2)
    assert [a.get("text") for a in fake.answers] == [
        "Это не ваш фильтр, или его уже нет.",
        "Фильтр «Ноутбуки Алисы» на паузе",
    ]
    fake.press_button(chat=me, user=ALICE, message_id=listing.message_id, data=data["Удалить"])
    await wait(fake, lambda: len(fake.answers) == 3)
    assert fake.answers[2].get("text") == "Фильтр «Ноутбуки Алисы» удалён"
    with session_scope(engine) as session:
        assert "Ноутбуки Алисы" not in {p.name for p in session.exec(select(ProfileRow))}
