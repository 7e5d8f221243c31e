"""What every handler shares: the bot's context (database, access policy, injected auction summary),
the parts of an update a handler needs, and the error handler."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy.engine import Engine
from telegram import CallbackQuery
from telegram import Chat
from telegram import Message
from telegram import Update
from telegram import User
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.access import AccessPolicy
from bot.errors import BotError
from bot.errors import CallbackDataError
from bot.render import esc
from data.models import utcnow
from data.notice import Notice

log = logging.getLogger(__name__)

T = TypeVar("T")

SimulateSummary = Callable[[Notice, Decimal | None], str]
"""(notice, our cost or None) -> a plain-text auction summary; supplied by the composition root."""


@dataclass
class BotContext:
    """What the handlers need, kept in ``application.bot_data['tw']``."""

    engine: Engine
    policy: AccessPolicy
    simulate_summary: SimulateSummary | None = None
    clock: Callable[[], datetime] = utcnow
    extra: dict[str, object] = field(default_factory=dict)


def tw(context: ContextTypes.DEFAULT_TYPE) -> BotContext:
    return context.application.bot_data["tw"]


def display_name(user: User | None) -> str:
    if user is None:
        return "кто-то"
    name = user.full_name or str(user.id)
    return f"{name} (@{user.username})" if user.username else name


# PTB types every part of an Update as optional, because an update may be of any kind. A handler
# is registered for one kind (a command: a message in a chat from a user; a button: a callback
# query), so a missing part is a registration bug, reported as such instead of an AttributeError.


def _part(update: Update, part: T | None, what: str) -> T:
    if part is None:
        raise BotError(f"update {update.update_id} carries no {what}")
    return part


def message_of(update: Update) -> Message:
    return _part(update, update.effective_message, "message")


def chat_of(update: Update) -> Chat:
    return _part(update, update.effective_chat, "chat")


def user_of(update: Update) -> User:
    return _part(update, update.effective_user, "user")


def query_of(update: Update) -> CallbackQuery:
    return _part(update, update.callback_query, "button press")


def query_chat_id(query: CallbackQuery) -> int:
    """The chat of the message whose button was pressed (an old, inaccessible message has one too)."""
    if query.message is None:
        raise CallbackDataError("the pressed button's message is gone")
    return query.message.chat.id


async def require_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    user = update.effective_user
    if tw(context).policy.is_admin(user.id if user else None):
        return True
    await message_of(update).reply_html("Эта команда доступна только администраторам.")
    return False


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A user error gets its message; anything else is logged and answered with an apology."""
    error = context.error
    message = update.effective_message if isinstance(update, Update) else None
    if isinstance(error, BotError):
        if message is not None:
            await message.reply_html(esc(str(error), 500))
        return
    log.error("handler failed on update %s", getattr(update, "update_id", None), exc_info=error)
    if message is not None:
        await message.reply_html("Что-то пошло не так; ошибка записана в журнал.")


STALE_BUTTON = "Кнопка устарела или недействительна."


async def refuse_button(query: CallbackQuery) -> None:
    """A button whose data is malformed, forged or points at nothing any more: say so, do nothing."""
    await query.answer(STALE_BUTTON, show_alert=True)


async def button_pressed(
    update: Update, pattern: re.Pattern[str]
) -> tuple[CallbackQuery, re.Match[str]] | None:
    """The pressed button and its data read by ``pattern``. Callback data comes from the client and
    can be forged: data that does not fit is refused here, and the handler gets None."""
    query = query_of(update)
    match = pattern.match(query.data or "")
    if match is None:
        await refuse_button(query)
        return None
    return query, match


async def edit_quietly(edit: Awaitable[object]) -> None:
    """Edits race (two people tapping): "message is not modified" is not an error."""
    try:
        await edit
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise
