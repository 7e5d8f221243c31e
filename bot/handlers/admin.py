"""The admins' commands: /status, /requeue, /allow, /suggest."""

from __future__ import annotations

import logging
from functools import partial

from sqlmodel import Session
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bidder.profiles import validate_profiles
from bidder.suggest import Suggestions
from bidder.suggest import suggest
from bot.database import in_session
from bot.errors import UsageError
from bot.handlers.context import chat_of
from bot.handlers.context import message_of
from bot.handlers.context import require_admin
from bot.handlers.context import tw
from bot.handlers.context import user_of
from bot.render import MOSCOW
from bot.render import esc
from bot.render import plural
from bot.render import suggestions_text
from data.models import ChatRow
from data.store import chats
from data.store import outbox
from data.store import profiles
from data.store.triage import taken_near_misses
from data.store.triage import triaged_notices

log = logging.getLogger(__name__)


async def cmd_status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not await require_admin(update, context):
        return
    state = await in_session(tw(context).engine, chats.status)
    lines = ["<b>Состояние</b>", "<i>Последние обходы:</i>"]
    for run in state.last_crawls:
        started = run.started_at.astimezone(MOSCOW).strftime("%d.%m %H:%M")
        lines.append(
            f"• {esc(run.source)}: {esc(run.outcome)} в {started}, новых {run.notices_new}, "
            f"изменённых {run.notices_changed}, ошибок {run.errors}"
        )
    if not state.last_crawls:
        lines.append("• обходов ещё не было")
    backlog = ", ".join(f"{k}: {v}" for k, v in sorted(state.outbox.items())) or "пусто"
    lines.append(f"<i>Очередь уведомлений:</i> {esc(backlog)}")
    if state.recent_errors:
        lines.append("<i>Последние ошибки доставки:</i>")
        lines += [f"• № {esc(reg)}: {esc(err, 200)}" for reg, err in state.recent_errors]
    await message_of(update).reply_html("\n".join(lines))


async def cmd_suggest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Minus-words and keywords learnt from how the profile's alerts and near misses were triaged
    (``bidder.suggest``)."""
    if not await require_admin(update, context):
        return
    name = " ".join(context.args or []).strip()
    if not name:
        raise UsageError("Напишите имя профиля: /suggest ИМЯ (все профили: /profiles)")

    def suggestions(session: Session) -> Suggestions | None:
        rows = {row["name"]: row for row in profiles.stored_profiles(session, active_only=False)}
        row = rows.get(name)
        if row is None:
            return None
        valid, _ = validate_profiles([{**(row["spec"] or {}), "name": name}])
        if not valid:
            return None
        taken_near = taken_near_misses(session, profile=name)
        return suggest(valid[0], triaged_notices(session, profile=name), taken_near=taken_near)

    found = await in_session(tw(context).engine, suggestions)
    if found is None:
        raise UsageError(f"Профиля «{esc(name, 80)}» нет. Все профили: /profiles")
    await message_of(update).reply_html(suggestions_text(found))


async def cmd_requeue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Retry this chat's parked alerts: including "delivery unknown" ones, so an admin decides."""
    if not await require_admin(update, context):
        return
    chat_id = chat_of(update).id

    def requeue(session: Session) -> tuple[ChatRow, int]:
        chat = chats.ensure_chat(session, chat_id=chat_id)
        return chat, outbox.requeue_parked(session, chat_row_id=chat.id)

    chat, count = await in_session(tw(context).engine, requeue)
    log.info("admin %s requeued %d parked rows of chat %s", user_of(update).id, count, chat.chat_id)
    text = (
        f"Снова в очереди: {count} {plural(count, 'уведомление', 'уведомления', 'уведомлений')}."
        if count
        else "Отложенных уведомлений в этом чате нет."
    )
    await message_of(update).reply_html(text)


async def cmd_allow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not await require_admin(update, context):
        return
    admin_id = user_of(update).id
    chat = chat_of(update)
    args = list(context.args or [])
    if not args and chat.type == ChatType.PRIVATE:
        raise UsageError(
            "Использование: /allow ID (пользователь > 0, группа < 0; без ID в группе — эта группа)"
        )
    try:
        target = int(args[0]) if args else chat.id
    except ValueError:
        raise UsageError(f"«{args[0]}» — не числовой id") from None
    if target > 0:
        allow, what = partial(chats.allow_user, user_id=target), f"пользователь <code>{target}</code>"
    else:
        allow, what = partial(chats.allow_chat, chat_id=target), f"чат <code>{target}</code>"
    added = await in_session(tw(context).engine, partial(allow, added_by=admin_id))
    log.info("admin %s allowed %s", admin_id, target)
    await message_of(update).reply_html(f"Доступ выдан: {what}." if added else f"У {what} уже есть доступ.")
