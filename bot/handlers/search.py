"""Search from the chat: ``/search words`` anywhere, or plain text in a private chat with the bot.

The query is read exactly as ``tenderwatch search`` reads it (``bidder.search``: words and "quoted
phrases" with morphology, ``-word`` excludes); the hits come as a digest, whose «N ▸» buttons open
each tender's full alert with its take/skip buttons.
"""

from __future__ import annotations

from sqlmodel import Session
from telegram import Update
from telegram.ext import ContextTypes

from bidder.profiles import ProfileError
from bidder.search import Found
from bidder.search import query_profile
from bidder.search import search_stored
from bot.database import in_session
from bot.errors import UsageError
from bot.handlers.context import chat_of
from bot.handlers.context import message_of
from bot.handlers.context import tw
from bot.render import digest_messages
from bot.render import esc
from data.notice import Notice
from data.store.outbox import alert_row_ids

CHAT_RESULTS = 10
"""Hits shown in a chat; the CLI shows more (``--limit``)."""
USAGE = 'Использование: /search слова "точная фраза" -исключить (например: /search ноутбук -ремонт)'


async def cmd_search(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _search(update, context, " ".join(context.args or []))


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Plain text in a private chat is a search (in a group, people talk to each other: /search)."""
    await _search(update, context, message_of(update).text or "")


async def _search(update: Update, context: ContextTypes.DEFAULT_TYPE, query: str) -> None:
    if not query.strip():
        raise UsageError(USAGE)
    try:
        profile = query_profile(query)
    except ProfileError as exc:
        raise UsageError(f"{USAGE}\n({exc})") from None
    ctx = tw(context)
    now = ctx.clock()
    chat_id = chat_of(update).id

    def hits(session: Session) -> tuple[list[Found], list[int]]:
        found = search_stored(session, profile, now=now, limit=CHAT_RESULTS)
        return found, alert_row_ids(session, chat_id=chat_id, notice_ids=[f.row_id for f in found], now=now)

    found, alert_ids = await in_session(ctx.engine, hits)
    if not found:
        await message_of(update).reply_html(f"По запросу «{esc(query, 200)}» открытых закупок не найдено.")
        return
    entries: list[tuple[Notice, dict[str, list[object]]]] = [
        (f.notice, {"поиск": list(f.match.reasons)}) for f in found
    ]
    places = {f.notice.key: f.places for f in found}
    title = f"Поиск «{query.strip()[:80]}»"
    counted = ("закупка", "закупки", "закупок")
    parts = digest_messages(entries, alert_ids, now=now, title=title, counted=counted, places=places)
    for text, keyboard, _ in parts:
        await message_of(update).reply_html(text, reply_markup=keyboard)
