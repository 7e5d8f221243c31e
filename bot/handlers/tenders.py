"""A tender in the chat: /tender (its card), /sim (the auction), and the triage buttons under every
alert («Беру», «Не интересно», «Симуляция», «Подробнее»)."""

from __future__ import annotations

import asyncio
import html
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial

from sqlmodel import Session
from telegram import Update
from telegram.ext import ContextTypes

from bot.database import in_session
from bot.errors import CallbackDataError
from bot.errors import NotFound
from bot.errors import UsageError
from bot.handlers.context import BotContext
from bot.handlers.context import chat_of
from bot.handlers.context import display_name
from bot.handlers.context import edit_quietly
from bot.handlers.context import message_of
from bot.handlers.context import query_chat_id
from bot.handlers.context import query_of
from bot.handlers.context import refuse_button
from bot.handlers.context import tw
from bot.reasons import reasons_for
from bot.render import AlertView
from bot.render import alert_keyboard
from bot.render import decode_callback
from bot.render import esc
from bot.render import format_money
from bot.render import render_alert
from bot.render import render_details
from data.models import ChatRow
from data.models import NoticeRow
from data.models import OutboxRow
from data.notice import Notice
from data.store import chats
from data.store import notice_from_row
from data.store.customers import customers_year
from data.store.outbox import ensure_alert_row
from data.store.places import places_of
from data.types import finite_decimal

log = logging.getLogger(__name__)


def _notice_row(session: Session, reg_number: str) -> NoticeRow:
    if not re.fullmatch(r"[0-9A-Za-z\-]{5,64}", reg_number):
        raise UsageError(f"«{reg_number}» не похоже на номер закупки")
    row = chats.notice_by_reg_number(session, reg_number=reg_number)
    if row is None:
        raise NotFound(f"Закупка № {reg_number} не найдена в базе.")
    return row


def _args(context: ContextTypes.DEFAULT_TYPE, usage: str, count: int) -> list[str]:
    args = list(context.args or [])
    if len(args) < count:
        raise UsageError(f"Использование: {usage}")
    return args


async def cmd_tender(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = _args(context, "/tender НОМЕР", 1)
    ctx = tw(context)
    now = ctx.clock()
    chat_id = chat_of(update).id

    def card(session: Session) -> tuple[str, int]:
        row = _notice_row(session, args[0])
        chat = chats.ensure_chat(session, chat_id=chat_id)
        alert = ensure_alert_row(session, notice_id=row.id or 0, chat_row_id=chat.id or 0, now=now)
        return full_card(session, row, chat, now=now), alert.id or 0

    text, alert_id = await in_session(ctx.engine, card)
    await message_of(update).reply_html(text, reply_markup=alert_keyboard(alert_id))


def full_card(
    session: Session, row: NoticeRow, chat: ChatRow, *, now: datetime, why: OutboxRow | None = None
) -> str:
    """A tender's whole alert as this chat sees it (why it matched, who decided, the customer):
    what /tender shows and what a digest's «N ▸» opens (``why``: that digest's row, whose reasons
    it shows: the near misses for a «Возможно, интересно» one)."""
    view = AlertView(
        reasons=reasons_for(session, why) if why else chats.match_reasons(session, notice_id=row.id or 0),
        decisions=chats.decisions_for(session, notice_id=row.id or 0, chat_row_id=chat.id or 0),
        header="📄 Закупка",
        customer=customers_year(session, [row.customer_inn], now=now).get(row.customer_inn or ""),
        places=places_of(session.connection(), [row.id or 0])[row.id or 0],
    )
    return render_alert(notice_from_row(row), view, now=now)


MAX_COST = Decimal("100000000000")
"""100 bn RUB: above any real tender, and far below what kopeck rounding can represent exactly."""


def parse_cost(raw: str) -> Decimal:
    """'1 200 000,50' / '1200000.50' -> Decimal in kopecks; refuses garbage, zero, negatives, huge.

    The size is checked before rounding (``1e400`` or 30 digits cannot be quantized to kopecks),
    positivity after it (``1e-5`` rounds to 0.00, which is no cost).
    """
    cleaned = raw.replace("\u00a0", "").replace(" ", "").replace("₽", "").replace(",", ".")
    value = finite_decimal(cleaned)
    if value is None:
        raise UsageError(f"«{raw}» — не сумма. Пример: /sim 0373200138225001206 850000")
    if value <= 0:
        raise UsageError(f"Себестоимость должна быть положительной, получено «{raw}»")
    if value > MAX_COST:
        raise UsageError(f"Себестоимость «{raw}» слишком велика: не больше {format_money(MAX_COST)}")
    kopecks = value.quantize(Decimal("0.01"))
    if kopecks <= 0:
        raise UsageError(f"Себестоимость должна быть не меньше 0,01 ₽, получено «{raw}»")
    return kopecks


async def simulation_text(ctx: BotContext, notice: Notice, cost: Decimal | None) -> str:
    if ctx.simulate_summary is None:
        return "Симуляция аукциона не подключена."
    try:
        summary = await asyncio.to_thread(ctx.simulate_summary, notice, cost)
    except Exception as exc:  # the simulator's own errors name the problem (e.g. no auction for this kind)
        log.info("simulation refused for %s: %s", notice.reg_number, exc)
        return f"Симуляция невозможна: {esc(str(exc), 500)}"
    head = f"<b>Симуляция аукциона № {esc(notice.reg_number)}</b>"
    if cost is not None:
        head += f"\nСебестоимость: {esc(format_money(cost))}"
    return f"{head}\n<pre>{esc_block(summary)}</pre>"


def esc_block(text: str, limit: int = 3500) -> str:
    """Escape multi-line text for <pre>, keeping line breaks (``esc`` folds whitespace)."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text, quote=False)


async def cmd_sim(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = _args(context, "/sim НОМЕР СЕБЕСТОИМОСТЬ", 2)
    cost = parse_cost("".join(args[1:]))
    ctx = tw(context)
    notice = await in_session(ctx.engine, lambda session: notice_from_row(_notice_row(session, args[0])))
    await message_of(update).reply_html(await simulation_text(ctx, notice, cost))


BUTTON_KINDS = ("alert", "near_miss")
"""Outbox rows whose messages carry buttons: alerts, and the near misses' digest (take/skip there
is what ``profiles suggest`` learns keywords from)."""


@dataclass(frozen=True)
class Pressed:
    outbox: OutboxRow
    chat: ChatRow
    notice: NoticeRow


def resolve_callback(session: Session, *, data: str | None, chat_id: int) -> tuple[Pressed, str]:
    """Validate ``t:<outbox id>:<action>``: format, that the alert exists and belongs to this chat."""
    decoded = decode_callback(data)
    if decoded is None:
        raise CallbackDataError(f"malformed callback data {data!r}")
    outbox_id, action = decoded
    row = session.get(OutboxRow, outbox_id)
    chat = chats.get_chat(session, chat_id=chat_id)
    if row is None or chat is None or row.chat_id != chat.id or row.kind not in BUTTON_KINDS:
        raise CallbackDataError(f"callback data {data!r} names no alert of chat {chat_id}")
    return Pressed(row, chat, session.get_one(NoticeRow, row.notice_id)), action


async def on_alert_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = query_of(update)
    ctx = tw(context)
    try:
        pressed, action = await in_session(
            ctx.engine, partial(resolve_callback, data=query.data, chat_id=query_chat_id(query))
        )
    except CallbackDataError as exc:
        log.warning("refused button from user %s: %s", query.from_user.id, exc)
        await refuse_button(query)
        return
    notice = notice_from_row(pressed.notice)
    if action in ("take", "skip"):
        await _decide(update, context, pressed, action)
    elif action == "sim":
        await query.answer("Считаю…")
        await message_of(update).reply_html(await simulation_text(ctx, notice, None))
    elif action == "open":  # a digest's «N ▸»: the full alert, with its own buttons
        now = ctx.clock()
        text = await in_session(
            ctx.engine,
            lambda session: full_card(session, pressed.notice, pressed.chat, now=now, why=pressed.outbox),
        )
        await query.answer()
        await message_of(update).reply_html(text, reply_markup=alert_keyboard(pressed.outbox.id or 0))
    else:
        await query.answer()
        await message_of(update).reply_html(render_details(notice))


async def _decide(update: Update, context: ContextTypes.DEFAULT_TYPE, pressed: Pressed, action: str) -> None:
    """Record the decision, then show everyone in the chat who took or skipped it."""
    query = query_of(update)
    ctx = tw(context)
    now = ctx.clock()

    def decide(session: Session) -> tuple[bool, str]:
        changed = chats.record_decision(
            session,
            notice_id=pressed.notice.id or 0,
            chat_row_id=pressed.chat.id or 0,
            user_id=query.from_user.id,
            user_name=display_name(query.from_user),
            action=action,
            now=now,
        )
        view = AlertView(
            reasons=reasons_for(session, pressed.outbox),
            decisions=chats.decisions_for(
                session, notice_id=pressed.notice.id or 0, chat_row_id=pressed.chat.id or 0
            ),
            places=places_of(session.connection(), [pressed.notice.id or 0])[pressed.notice.id or 0],
        )
        return changed, render_alert(notice_from_row(pressed.notice), view, now=now)

    changed, text = await in_session(ctx.engine, decide)  # Telegram is answered after the transaction
    label = "Взято в работу" if action == "take" else "Отмечено: не интересно"
    await query.answer(label if changed else "Уже отмечено")
    if changed:
        await edit_quietly(query.edit_message_text(text, reply_markup=alert_keyboard(pressed.outbox.id or 0)))
