"""Suggestions from triage through the store and the bot: what people decided, and /suggest for admins."""

from __future__ import annotations

from data.db import session_scope
from data.store.triage import triaged_notices
from tests.bidder.test_suggest import SKIPPED, TAKEN
from tests.bot.factories import seed_triage
from tests.bot.live import ADMIN, ALICE, private, replies_to, wait

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
