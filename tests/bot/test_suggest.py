"""Suggestions from triage through the store and the bot: what people decided, and /suggest for admins."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from data.db import session_scope
from data.models import DecisionRow
from data.models import ProfileRow
from data.store import outbox
from data.store.near_misses import NearMissFound
from data.store.near_misses import replace_near_misses
from data.store.triage import taken_near_misses
from data.store.triage import triaged_notices
from tests.bidder.test_suggest import SKIPPED
from tests.bidder.test_suggest import TAKEN
from tests.bot.factories import NOW
from tests.bot.factories import make_notice
from tests.bot.factories import seed_triage
from tests.bot.factories import store
from tests.bot.live import ADMIN
from tests.bot.live import ALICE
from tests.bot.live import BOB
from tests.bot.live import GROUP
from tests.bot.live import private
from tests.bot.live import replies_to
from tests.bot.live import wait

PROFILE = {"name": "it", "keywords": ["ноутбук", "компьютер*"]}


def seed(engine) -> None:
    # one taken alert was skipped by a colleague first: a take outvotes a skip
    decided = [(t, ["skip"]) for t in SKIPPED] + [
        (TAKEN[0], ["skip", "take"]),
        *((t, ["take"]) for t in TAKEN[1:]),
    ]
    seed_triage(engine, PROFILE, decided)


def test_the_store_gives_each_decided_alert_once_taken_when_anyone_took_it(engine) -> None:
    seed(engine)
    with session_scope(engine) as session:
        triaged = triaged_notices(session, profile="it")
        assert [(n.title, action) for n, action in triaged] == [
            *((t, "skip") for t in SKIPPED),
            *((t, "take") for t in TAKEN),
        ]
        assert triaged_notices(session, profile="nobody") == []


async def test_an_admin_asks_for_suggestions_and_others_may_not(engine, fake, running) -> None:
    seed(engine)
    fake.user_message(chat=private(ADMIN), user=ADMIN, text="/suggest it")
    await wait(fake, lambda: fake.sends_to(ADMIN["id"]))
    fake.user_message(chat=private(ADMIN), user=ADMIN, text="/suggest нет такого")
    await wait(fake, lambda: len(fake.sends_to(ADMIN["id"])) == 2)
    fake.user_message(chat=private(ALICE), user=ALICE, text="/suggest it")
    await wait(fake, lambda: fake.sends_to(ALICE["id"]))

    answer, missing = replies_to(fake, ADMIN["id"])
    assert answer == (
        "<b>Предложения для «it»</b>\n"
        "По 10 решениям: не интересно — 7, взято — 3.\n"
        "Минус-слова, которые напрашиваются:\n"
        "• <b>ремонт</b>: в 4 из 7 пропущенных — напр. «Ремонт ноутбуков и компьютерной техники»\n"
        "Профиль не меняется сам: согласные слова добавьте в exclude профиля в settings.toml "
        "(или в свой фильтр через /filter)."
    )
    assert "Профиля «нет такого» нет" in missing
    assert replies_to(fake, ALICE["id"]) == ["Эта команда доступна только администраторам."]


def seed_near_miss(engine) -> int:
    """A tender the «it» profile's rules missed but whose title is close to «ноутбук», queued for
    the group's «Возможно, интересно» digest; returns the notice id."""
    with session_scope(engine) as session:
        profile = ProfileRow(name="it", spec={**PROFILE, "chats": [GROUP["id"]]}, origin="db")
        session.add(profile)
        session.flush()
        notice_id = store(session, make_notice("0373200138226099001", title="Поставка планшетов для школы"))
        found = [NearMissFound(profile.id or 0, 0.73, "ноутбук", "планшетов")]
        replace_near_misses(session.connection(), notice_id=notice_id, found=found, now=NOW)
        assert outbox.enqueue_near_misses(session, since=NOW - timedelta(days=1), now=NOW) == 1
    return notice_id


async def test_a_near_miss_taken_from_its_digest_is_proposed_as_a_keyword(engine, fake, running) -> None:
    """Issue 14 item 5: the «Возможно, интересно» digest's «N ▸» opens the tender with take/skip;
    what people take there, /suggest and `profiles suggest` propose as keywords."""
    notice_id = seed_near_miss(engine)
    await wait(fake, lambda: fake.sends_to(GROUP["id"]))
    [digest] = fake.sends_to(GROUP["id"])
    assert digest.text.startswith("<b>🤔 Возможно, интересно: 1 закупка</b>")
    [[button]] = digest.reply_markup["inline_keyboard"]
    assert button["text"] == "1 ▸"

    fake.press_button(chat=GROUP, user=BOB, message_id=digest.message_id, data=button["callback_data"])
    await wait(fake, lambda: len(fake.sends_to(GROUP["id"])) == 2)
    card = fake.sends_to(GROUP["id"])[1]
    assert card.text.startswith("<b>📄 Закупка</b>\n<b>Поставка планшетов для школы</b>")
    assert "«планшетов» по смыслу близко к «ноутбук» (0,73)" in card.text  # why it is in front of them
    take = card.reply_markup["inline_keyboard"][0][0]
    assert take["text"] == "Беру"
    fake.press_button(chat=GROUP, user=BOB, message_id=card.message_id, data=take["callback_data"])
    await wait(fake, lambda: fake.calls_of("editMessageText"))
    edited = fake.calls_of("editMessageText")[0].params["text"]
    assert "«планшетов» по смыслу близко к «ноутбук» (0,73)" in edited and "Борис" in edited

    with session_scope(engine) as session:
        [taken] = taken_near_misses(session, profile="it")
        assert (taken.notice.reg_number, taken.word, taken.keyword) == (
            "0373200138226099001",
            "планшетов",
            "ноутбук",
        )
        assert taken_near_misses(session, profile="nobody") == []
        decided = session.exec(select(DecisionRow)).one()
        assert (decided.notice_id, decided.action) == (notice_id, "take")

    fake.user_message(chat=private(ADMIN), user=ADMIN, text="/suggest it")
    await wait(fake, lambda: fake.sends_to(ADMIN["id"]))
    [answer] = replies_to(fake, ADMIN["id"])
    assert (
        "Ключевые слова из «Возможно, интересно»: правила пропустили, а люди взяли 1 закупку:\n"
        "• <b>планшет</b>: взято 1, по смыслу близко к «ноутбук» (0,73)"
        " — напр. «Поставка планшетов для школы»\n"
        "Профиль не меняется сам: согласные слова добавьте в keywords или exclude профиля"
    ) in answer
