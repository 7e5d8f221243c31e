"""Enqueueing: routing of matches, change alerts and deadline reminders for taken tenders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.ratelimit import SlidingWindow
from bot.ratelimit import chat_kind
from data.db import session_scope
from data.models import NoticeChange
from data.models import OutboxRow
from data.process import this_process
from data.store import chats as stored_chats
from data.store import outbox
from tests.bot.factories import NOW
from tests.bot.factories import seed_matches

TAKER = 77
GROUP = -100900


def take(engine, notice_id: int, *, user_id: int = TAKER, at=NOW) -> None:
    with session_scope(engine) as session:
        chat = stored_chats.ensure_chat(session, chat_id=GROUP)
        stored_chats.record_decision(
            session,
            notice_id=notice_id,
            chat_row_id=chat.id,
            user_id=user_id,
            user_name="Вера",
            action="take",
            now=at,
        )


def outbox_rows(engine, kind: str) -> list[tuple[int, str, dict]]:
    with session_scope(engine) as session:
        rows = session.exec(select(OutboxRow).where(OutboxRow.kind == kind).order_by(OutboxRow.id)).all()
        chats = {c.id: c.chat_id for c in [stored_chats.get_chat(session, chat_id=GROUP)] if c}
        private = stored_chats.get_chat(session, chat_id=TAKER)
        if private:
            chats[private.id] = TAKER
        return [(chats[r.chat_id], r.event_key, r.payload) for r in rows]


def test_matches_route_to_profile_chats_or_default_chats(engine):
    notice_ids = seed_matches(engine, [GROUP], 2, profile="С чатами")
    seed_matches(engine, [], 1, profile="Без чатов")  # notice 0 again, for another profile
    seed_matches(engine, [GROUP], 1, profile="Тоже в группу")  # notice 0 again, same chat

    with session_scope(engine) as session:
        created = outbox.enqueue_matches(session, default_chats=[TAKER], now=NOW)
        again = outbox.enqueue_matches(session, default_chats=[TAKER], now=NOW)
        rows = session.exec(select(OutboxRow).order_by(OutboxRow.id)).all()
        chat_ids = {r.chat_id: stored_chats.get_chat_by_row(session, r.chat_id).chat_id for r in rows}

    assert (created, again) == (3, 0)
    got = sorted((r.notice_id, chat_ids[r.chat_id], r.payload["profiles"]) for r in rows)
    assert got == [
        (notice_ids[0], GROUP, ["С чатами", "Тоже в группу"]),  # one row per (notice, chat), both reasons
        (notice_ids[0], TAKER, ["Без чатов"]),
        (notice_ids[1], GROUP, ["С чатами"]),
    ]


def test_expired_tenders_are_not_alerted(engine):
    seed_matches(engine, [GROUP], 1)
    with session_scope(engine) as session:
        assert outbox.enqueue_matches(session, now=NOW + timedelta(days=30)) == 0


def test_changes_go_to_whoever_took_the_tender(engine):
    [notice_id] = seed_matches(engine, [GROUP], 1)
    take(engine, notice_id)
    with session_scope(engine) as session:
        stored_chats.ensure_chat(
            session, chat_id=TAKER, type="private"
        )  # the taker talks to the bot privately
        session.add(
            NoticeChange(
                notice_id=notice_id,
                field="nmck",
                old_value="1.00",
                new_value="2.00",
                changed_at=NOW + timedelta(hours=1),
            )
        )
        session.add(
            NoticeChange(
                notice_id=notice_id,
                field="title",
                old_value="a",
                new_value="b",
                changed_at=NOW + timedelta(hours=1),
            )
        )
        session.add(
            NoticeChange(
                notice_id=notice_id,
                field="nmck",
                old_value="0.50",
                new_value="1.00",
                changed_at=NOW - timedelta(hours=1),
            )
        )  # before the take: not news to them
        session.flush()
        created = outbox.enqueue_changes(session)
        again = outbox.enqueue_changes(session)

    assert (created, again) == (1, 0)
    [(chat_id, key, payload)] = outbox_rows(engine, "change")
    assert chat_id == TAKER and key.startswith("c")
    assert payload == {
        "changes": [{"field": "nmck", "old": "1.00", "new": "2.00"}],
        "users": [{"id": TAKER, "name": "Вера"}],
    }


def test_reminders_once_per_offset_and_only_the_nearest_due(engine):
    [notice_id] = seed_matches(engine, [GROUP], 1, submission_deadline=NOW + timedelta(days=5))
    take(engine, notice_id)

    def remind(at) -> int:
        with session_scope(engine) as session:
            return outbox.enqueue_reminders(session, now=at, days=[3, 1], hours=[3])

    assert remind(NOW) == 0  # 5 days left: nothing due
    assert remind(NOW + timedelta(days=2, hours=1)) == 1  # 3d reached
    assert remind(NOW + timedelta(days=2, hours=2)) == 0
    assert remind(NOW + timedelta(days=4, hours=22)) == 1  # late start: only 3h, not 1d and 3h both
    assert remind(NOW + timedelta(days=5, hours=1)) == 0  # deadline passed
    assert [(c, k) for c, k, _ in outbox_rows(engine, "reminder")] == [(GROUP, "3d"), (GROUP, "3h")]


def test_sliding_window_counts_in_flight_requests_and_stamps_answers():
    window = SlidingWindow(2, 1.0)
    assert window.wait_time(0.0) == 0.0
    window.take()
    window.take()
    assert window.wait_time(0.0) == 0.01  # both slots in flight: poll shortly
    window.finish(0.2)
    window.finish(0.4)
    assert window.wait_time(0.5) == pytest.approx(0.7)  # the window runs from the answer at 0.2
    assert window.wait_time(1.2) == 0.0
    assert (chat_kind(5), chat_kind(-5), chat_kind("@channel"), chat_kind(None)) == (
        "private",
        "group",
        "group",
        None,
    )


def test_claims_of_a_gone_notifier_come_back_at_once_and_a_live_ones_stay(engine):
    """Same host: a dead owner's fresh claims are taken back without waiting for the lease."""
    seed_matches(engine, [GROUP], 4)
    host, pid, started = this_process().rsplit(":", 2)
    with session_scope(engine) as session:
        outbox.enqueue_matches(session, now=NOW)
        rows = session.exec(select(OutboxRow).order_by(OutboxRow.id)).all()
        owners = [
            f"{host}:{pid}:{int(started) + 1}",
            this_process(),
            "other-host:1:1",
            f"{host}:{pid}:{started}",
        ]
        tokens = ["c:dead", "c:live", "c:far", "s:live"]
        for row, owner, token in zip(rows, owners, tokens, strict=True):
            row.status, row.claim_owner, row.claim_token, row.claimed_at = "claimed", owner, token, NOW
            session.add(row)
    with session_scope(engine) as session:
        assert outbox.recover_stale_claims(session, older_than=NOW - timedelta(minutes=5)) == (1, 0)
        statuses = [r.status for r in session.exec(select(OutboxRow).order_by(OutboxRow.id))]
    assert statuses == ["pending", "claimed", "claimed", "claimed"]
    with session_scope(engine) as session:  # once the lease is over, the far host's claim comes back too
        assert outbox.recover_stale_claims(session, older_than=NOW + timedelta(seconds=1)) == (2, 1)


def test_an_empty_enqueue_is_not_logged_at_info(engine, caplog):
    """``bot`` enqueues every few seconds: «enqueued 0 …» at INFO flooded its log (issue 17)."""
    import logging

    caplog.set_level(logging.INFO, logger="data.store.outbox")
    with session_scope(engine) as session:
        assert outbox.enqueue_matches(session, default_chats=[-100]) == 0
        assert outbox.enqueue_reminders(session, now=NOW, days=[3], hours=[3]) == 0
    assert "enqueued" not in caplog.text
