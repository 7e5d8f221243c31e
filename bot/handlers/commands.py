"""The chat commands: /start /help /mute /unmute /profiles /digest /mine, and the profile pause buttons."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import partial

from sqlmodel import Session
from telegram import InlineKeyboardButton
from telegram import InlineKeyboardMarkup
from telegram import Update
from telegram.ext import ContextTypes

from bot.database import in_session
from bot.handlers.context import button_pressed
from bot.handlers.context import chat_of
from bot.handlers.context import edit_quietly
from bot.handlers.context import message_of
from bot.handlers.context import query_chat_id
from bot.handlers.context import refuse_button
from bot.handlers.context import tw
from bot.handlers.context import user_of
from bot.render import MOSCOW
from bot.render import digest_messages
from bot.render import esc
from bot.render import format_deadline
from bot.render import format_money
from bot.render import split_blocks
from data.models import ChatRow
from data.models import ProfileRow
from data.notice import Notice
from data.notice import deadline_order
from data.store import chats
from data.store import notice_from_row
from data.store import profiles as stored_profiles
from data.store.customers import CustomerFigures
from data.store.customers import customers_year
from data.store.outbox import alert_row_ids
from data.store.places import PlaceFound
from data.store.places import places_of

DigestEntry = tuple[Notice, dict[str, list[object]]]


@dataclass(frozen=True)
class _Today:
    """What /digest shows: today's matches with their reasons, alert rows, customers and places."""

    entries: list[DigestEntry]
    alert_ids: list[int]
    customers: dict[str, CustomerFigures]
    places: dict[tuple[str, str], list[PlaceFound]]


log = logging.getLogger(__name__)

PROFILE_CALLBACK_RE = re.compile(r"^p:(\d{1,9}):(pause|resume)$")


@dataclass(frozen=True)
class Command:
    """One bot command: its handler is ``cmd_<name>`` in ``bot.handlers``; ``menu`` is Telegram's
    command list, ``help`` the line of /help (empty: not listed there)."""

    name: str
    menu: str
    help: str = ""
    usage: str = ""


COMMANDS: tuple[Command, ...] = (
    Command("start", "Начать"),
    Command("help", "Что умеет бот"),
    Command("profiles", "Профили и пауза", "профили и их пауза в этом чате"),
    Command("mute", "Выключить уведомления", "выключить уведомления в этом чате"),
    Command("unmute", "Включить уведомления", "включить уведомления в этом чате"),
    Command("digest", "Совпадения за сегодня", "совпадения за сегодня"),
    Command("mine", "Мои закупки", "закупки, которые я взял(а), со сроками"),
    Command("filter", "Свой фильтр", "создать или изменить свой фильтр", "НАЗВАНИЕ: СЛОВА; регион …; цена …"),
    Command("filters", "Мои фильтры", "мои фильтры: пауза, удаление"),
    Command("search", "Поиск", "поиск открытых закупок (или просто текст в личном чате)", "СЛОВА -ИСКЛЮЧИТЬ"),
    Command("tender", "Карточка закупки", "карточка закупки и почему она подходит", "НОМЕР"),
    Command("sim", "Аукцион", "сводка по аукциону", "НОМЕР СЕБЕСТОИМОСТЬ"),
    Command("customer", "Заказчик", "заказчик за год: закупки, скидки, кто побеждает", "ИНН"),
    Command("competitor", "Конкурент", "поставщик за год: заявки, победы, скидки", "ИНН"),
    Command("status", "Состояние (админ)", "состояние (для администраторов)"),
    Command("allow", "Дать доступ (админ)", "дать доступ (для администраторов)", "ID"),
    Command(
        "suggest",
        "Подсказки к профилю (админ)",
        "минус-слова по решениям «Беру»/«Не интересно» (для администраторов)",
        "ПРОФИЛЬ",
    ),
    Command(
        "requeue",
        "Повторить отложенные (админ)",
        "повторить отложенные уведомления этого чата (для администраторов)",
    ),
)
"""The one list of commands: the handlers, Telegram's menu and /help are made from it."""

HELP = (
    "<b>Tenderwatch</b> — подбор закупок по 44-ФЗ и 223-ФЗ.\n\n"
    + "\n".join(f"/{c.name}{' ' + c.usage if c.usage else ''} — {c.help}" for c in COMMANDS if c.help)
    + "\n\nПод каждым уведомлением: «Беру», «Не интересно», «Симуляция», «Подробнее»."
)


async def cmd_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await message_of(update).reply_html("Здравствуйте! Сюда будут приходить подходящие закупки.\n\n" + HELP)


async def cmd_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await message_of(update).reply_html(HELP)


async def cmd_mute(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _set_muted(update, context, True)


async def cmd_unmute(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _set_muted(update, context, False)


async def _set_muted(update: Update, context: ContextTypes.DEFAULT_TYPE, muted: bool) -> None:
    await in_session(
        tw(context).engine, partial(chats.set_chat_flags, chat_id=chat_of(update).id, muted=muted)
    )
    text = (
        "🔕 Уведомления в этом чате выключены. Включить: /unmute"
        if muted
        else "🔔 Уведомления в этом чате включены."
    )
    await message_of(update).reply_html(text)


def _profiles_view(session: Session, chat: ChatRow) -> tuple[str, InlineKeyboardMarkup | None]:
    profiles = stored_profiles.active_profile_rows(session)
    if not profiles:
        return "Профилей пока нет: их задают в settings.toml.", None
    paused = set(chat.paused_profiles or [])
    lines = ["<b>Профили</b> (пауза действует только в этом чате):"]
    buttons = []
    for profile in profiles:
        on_pause = profile.name in paused
        lines.append(f"{'⏸' if on_pause else '▶️'} {esc(profile.name, 80)}")
        action, label = ("resume", "Возобновить") if on_pause else ("pause", "Пауза")
        buttons.append(
            [InlineKeyboardButton(f"{label}: {profile.name[:40]}", callback_data=f"p:{profile.id}:{action}")]
        )
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


async def cmd_profiles(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat_id = chat_of(update).id
    text, keyboard = await in_session(
        tw(context).engine,
        lambda session: _profiles_view(session, chats.ensure_chat(session, chat_id=chat_id)),
    )
    await message_of(update).reply_html(text, reply_markup=keyboard)


async def on_profile_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    button = await button_pressed(update, PROFILE_CALLBACK_RE)
    if button is None:
        return
    query, match = button
    pause = match.group(2) == "pause"
    profile_id, chat_id = int(match.group(1)), query_chat_id(query)

    def toggle(session: Session) -> tuple[str | None, str, InlineKeyboardMarkup | None]:
        profile = session.get(ProfileRow, profile_id)
        if profile is None:
            return None, "", None
        chat = chats.ensure_chat(session, chat_id=chat_id)
        paused = [p for p in chat.paused_profiles or [] if p != profile.name]
        if pause:
            paused.append(profile.name)
        chat = chats.set_chat_flags(session, chat_id=chat.chat_id, paused_profiles=paused)
        return profile.name, *_profiles_view(session, chat)

    # Telegram is answered after the transaction: a slow answer must not hold the database.
    name, text, keyboard = await in_session(tw(context).engine, toggle)
    if name is None:
        await refuse_button(query)
        return
    await query.answer(f"Профиль «{name}» {'на паузе' if pause else 'снова активен'}")
    await edit_quietly(query.edit_message_text(text, reply_markup=keyboard))


async def cmd_digest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = tw(context)
    now = ctx.clock()
    midnight = now.astimezone(MOSCOW).replace(hour=0, minute=0, second=0, microsecond=0)
    chat_id = chat_of(update).id

    def todays(session: Session) -> _Today:
        """Today's matches by deadline, each with its alert row in this chat (the «N ▸» buttons
        are bound to it, as an alert's are)."""
        found = [(r.id or 0, notice_from_row(r)) for r in chats.matches_since(session, since=midnight)]
        found.sort(key=lambda pair: deadline_order(pair[1]))
        ids = [row_id for row_id, _ in found]
        entries = [(notice, chats.match_reasons(session, notice_id=row_id)) for row_id, notice in found]
        places = places_of(session.connection(), ids)
        return _Today(
            entries=entries,
            alert_ids=alert_row_ids(session, chat_id=chat_id, notice_ids=ids, now=now),
            customers=customers_year(session, (notice.customer_inn for notice, _ in entries), now=now),
            places={notice.key: places[row_id] for row_id, notice in found},
        )

    today = await in_session(ctx.engine, todays)
    if not today.entries:
        await message_of(update).reply_html("Сегодня совпадений пока нет.")
        return
    parts = digest_messages(
        today.entries,
        today.alert_ids,
        now=now,
        title="Совпадения за сегодня",
        customers=today.customers,
        places=today.places,
    )
    for text, keyboard, _ in parts:
        await message_of(update).reply_html(text, reply_markup=keyboard)


async def cmd_mine(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = tw(context)
    now = ctx.clock()
    taken = await in_session(ctx.engine, partial(chats.taken_by, user_id=user_of(update).id))
    lines = [
        f"• <b>{esc(n.title, 150)}</b>\n  № {esc(n.reg_number)} · {esc(format_money(n.nmck, n.currency))}"
        f"\n  до {format_deadline(n.submission_deadline, now)}"
        for n, _ in taken
    ]
    if not lines:
        await message_of(update).reply_html("Вы пока не взяли ни одной закупки.")
        return
    header = f"<b>Мои закупки: {len(lines)}</b>"
    for text, _count in split_blocks(header, lines):
        await message_of(update).reply_html(text)
