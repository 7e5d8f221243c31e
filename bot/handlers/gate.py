"""Who may use the bot, and which chats can be reached: the gatekeeper every update passes, and the
bot's own membership changes (blocked, removed, let back in)."""

from __future__ import annotations

import html
import logging
import re

from sqlmodel import Session
from telegram import Update
from telegram.ext import ApplicationHandlerStop
from telegram.ext import ContextTypes

from bot.access import refusal
from bot.database import in_session
from bot.handlers.context import message_of
from bot.handlers.context import tw
from data.models import ChatRow
from data.store import chats
from data.store import outbox

log = logging.getLogger(__name__)


async def gatekeeper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs first (group -1): strangers get a refusal with their ids and nothing else happens."""
    if update.my_chat_member is not None:
        return
    user = update.effective_user
    chat = update.effective_chat
    user_id = user.id if user else None
    chat_id = chat.id if chat else None
    ctx = tw(context)

    def admit(session: Session) -> bool:
        """Whether the update may pass; the chat's row is created or refreshed (a write only when
        something changed, so an answer to a known chat waits for no lock)."""
        allowed = ctx.policy.permits_stored(
            session, user_id=user_id, chat_id=chat_id, chat_type=chat.type if chat else None
        )
        if allowed and chat is not None:
            row = chats.ensure_chat(
                session, chat_id=chat.id, type=chat.type, title=chat.title or chat.username
            )
            if not row.active and row.chat_id == chat.id:
                _reachable_again(session, row)
        return allowed

    allowed = await in_session(ctx.engine, admit)
    if allowed:
        return
    log.info("refused update from user %s in chat %s", user_id, chat_id)
    if update.callback_query is not None:
        await update.callback_query.answer(
            html.unescape(_strip_tags(refusal(user_id, chat_id))), show_alert=True
        )
    elif update.effective_message is not None:
        await message_of(update).reply_html(refusal(user_id, chat_id))
    raise ApplicationHandlerStop


def _reachable_again(session: Session, chat: ChatRow) -> None:
    """A chat the notifier had given up on (blocked, "chat not found") let the bot back in or wrote
    to it: it can get messages again, so its alerts parked as never delivered go out on the next drain."""
    chats.set_chat_flags(session, chat_id=chat.chat_id, active=True)
    requeued = outbox.requeue_parked(session, chat_row_id=chat.id, only_chat_gone=True)
    log.info("chat %s is reachable again: %d parked alerts queued again", chat.chat_id, requeued)


def _strip_tags(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


async def track_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Blocked by a user or removed from a group: stop sending there; added back: resume."""
    member = update.my_chat_member
    if member is None:
        return
    status = member.new_chat_member.status
    active = status not in ("kicked", "left")
    chat_id = member.chat.id

    def record(session: Session) -> bool:
        chat = chats.get_chat(session, chat_id=chat_id)
        if chat is not None and chat.migrated_to_chat_id not in (None, chat.chat_id):
            log.info("membership change in chat %s ignored: it migrated to a supergroup", chat_id)
            return False
        if chat is not None and active:
            _reachable_again(session, chat)
        elif chat is not None:
            chats.set_chat_flags(session, chat_id=chat_id, active=False)
        return True

    if not await in_session(tw(context).engine, record):
        return
    log.info("bot membership in chat %s is now %s", member.chat.id, status)
