"""The admins' commands: /status, /requeue, /allow."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot import outbox, records
from bot.errors import UsageError
from bot.handlers.context import chat_of, message_of, require_admin, tw, user_of
from bot.render import (
    MOSCOW,
    esc,
    plural,
)
from data.db import session_scope

log = logging.getLogger(__name__)


async def cmd_status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not await require_admin(update, context):
        return
    with session_scope(tw(context).engine) as session:
        state = records.status(session)
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


async def cmd_requeue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Retry this chat's parked alerts: including "delivery unknown" ones, so an admin decides."""
    if not await require_admin(update, context):
        return
    with session_scope(tw(context).engine) as session:
        chat = records.ensure_chat(session, chat_id=chat_of(update).id)
        count = outbox.requeue_parked(session, chat_row_id=chat.id)
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
    with session_scope(tw(context).engine) as session:
        if target > 0:
            added = records.allow_user(session, user_id=target, added_by=admin_id)
            what = f"пользователь <code>{target}</code>"
        else:
            added = records.allow_chat(session, chat_id=target, added_by=admin_id)
            what = f"чат <code>{target}</code>"
    log.info("admin %s allowed %s", admin_id, target)
    await message_of(update).reply_html(f"Доступ выдан: {what}." if added else f"У {what} уже есть доступ.")
