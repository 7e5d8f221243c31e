"""Commands and triage buttons. Every handler runs after the gatekeeper has admitted the update.

Handlers read and write through ``bot.records``/``bot.outbox`` in short sessions; anything slow
(the auction simulation) runs in a worker thread so polling and the notifier keep going.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from telegram import CallbackQuery, Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import outbox, records
from bot.access import AccessPolicy, refusal
from bot.errors import BotError, CallbackDataError, NotFound, UsageError
from bot.outbox import ensure_alert_row
from bot.render import (
    MOSCOW,
    AlertView,
    RegionName,
    alert_keyboard,
    decode_callback,
    esc,
    format_deadline,
    format_money,
    plural,
    render_alert,
    render_details,
    render_digest,
    split_blocks,
)
from data.db import session_scope
from data.models import PROFILES, ChatRow, NoticeRow, OutboxRow, ProfileRow, utcnow
from data.notice import Notice

log = logging.getLogger(__name__)

SimulateSummary = Callable[[Notice, Decimal | None], str]
"""(notice, our cost or None) -> a plain-text auction summary; supplied by the composition root."""

PROFILE_CALLBACK_RE = re.compile(r"^p:(\d{1,9}):(pause|resume)$")

HELP = """<b>Tenderwatch</b> — подбор закупок по 44-ФЗ и 223-ФЗ.

/profiles — профили и их пауза в этом чате
/mute, /unmute — выключить и включить уведомления в этом чате
/digest — совпадения за сегодня
/mine — закупки, которые я взял(а), со сроками
/tender НОМЕР — карточка закупки и почему она подходит
/sim НОМЕР СЕБЕСТОИМОСТЬ — сводка по аукциону
/status — состояние (для администраторов)
/allow ID — дать доступ (для администраторов)
/requeue — повторить отложенные уведомления этого чата (для администраторов)

Под каждым уведомлением: «Беру», «Не интересно», «Симуляция», «Подробнее»."""


@dataclass
class BotContext:
    """What the handlers need, kept in ``application.bot_data['tw']``."""

    engine: Engine
    policy: AccessPolicy
    simulate_summary: SimulateSummary | None = None
    region_name: RegionName | None = None
    clock: Callable[[], datetime] = utcnow
    extra: dict[str, object] = field(default_factory=dict)


def tw(context: ContextTypes.DEFAULT_TYPE) -> BotContext:
    return context.application.bot_data["tw"]


def display_name(user: User | None) -> str:
    if user is None:
        return "кто-то"
    name = user.full_name or str(user.id)
    return f"{name} (@{user.username})" if user.username else name


# --- gatekeeping ----------------------------------------------------------------------------------


async def gatekeeper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs first (group -1): strangers get a refusal with their ids and nothing else happens."""
    if update.my_chat_member is not None:
        return
    user = update.effective_user
    chat = update.effective_chat
    user_id = user.id if user else None
    chat_id = chat.id if chat else None
    ctx = tw(context)
    with session_scope(ctx.engine) as session:
        allowed = ctx.policy.permits_stored(
            session, user_id=user_id, chat_id=chat_id, chat_type=chat.type if chat else None
        )
        if allowed and chat is not None:
            row = records.ensure_chat(
                session, chat_id=chat.id, type=chat.type, title=chat.title or chat.username
            )
            if not row.active and row.chat_id == chat.id:
                _reachable_again(session, row)
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
    """A chat the notifier had given up on (blocked, "chat not found") just wrote to the bot: it can
    get messages again, so its alerts parked as never delivered go out on the next drain."""
    records.set_chat_flags(session, chat_id=chat.chat_id, active=True)
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
    requeued = 0
    with session_scope(tw(context).engine) as session:
        chat = records.get_chat(session, chat_id=member.chat.id)
        if chat is not None and chat.migrated_to_chat_id not in (None, chat.chat_id):
            log.info("membership change in chat %s ignored: it migrated to a supergroup", member.chat.id)
            return
        if chat is not None:
            records.set_chat_flags(session, chat_id=member.chat.id, active=active)
            if active:
                requeued = outbox.requeue_parked(session, chat_row_id=chat.id, only_chat_gone=True)
    log.info("bot membership in chat %s is now %s", member.chat.id, status)
    if requeued:
        log.info("chat %s let the bot back in: %d parked alerts queued again", member.chat.id, requeued)


# --- what an update carries ------------------------------------------------------------------------
# PTB types every part of an Update as optional, because an update may be of any kind. A handler
# is registered for one kind (a command: a message in a chat from a user; a button: a callback
# query), so a missing part is a registration bug, reported as such instead of an AttributeError.


def message_of(update: Update) -> Message:
    if update.effective_message is None:
        raise BotError(f"update {update.update_id} carries no message")
    return update.effective_message


def chat_of(update: Update) -> Chat:
    if update.effective_chat is None:
        raise BotError(f"update {update.update_id} carries no chat")
    return update.effective_chat


def user_of(update: Update) -> User:
    if update.effective_user is None:
        raise BotError(f"update {update.update_id} carries no user")
    return update.effective_user


def query_of(update: Update) -> CallbackQuery:
    if update.callback_query is None:
        raise BotError(f"update {update.update_id} carries no button press")
    return update.callback_query


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


# --- simple commands ------------------------------------------------------------------------------


async def cmd_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await message_of(update).reply_html("Здравствуйте! Сюда будут приходить подходящие закупки.\n\n" + HELP)


async def cmd_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await message_of(update).reply_html(HELP)


async def cmd_mute(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _set_muted(update, context, True)


async def cmd_unmute(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _set_muted(update, context, False)


async def _set_muted(update: Update, context: ContextTypes.DEFAULT_TYPE, muted: bool) -> None:
    with session_scope(tw(context).engine) as session:
        records.set_chat_flags(session, chat_id=chat_of(update).id, muted=muted)
    text = (
        "🔕 Уведомления в этом чате выключены. Включить: /unmute"
        if muted
        else "🔔 Уведомления в этом чате включены."
    )
    await message_of(update).reply_html(text)


# --- profiles -------------------------------------------------------------------------------------


def _profiles_view(session: Session, chat: ChatRow) -> tuple[str, InlineKeyboardMarkup | None]:
    profiles = session.exec(
        select(ProfileRow).where(PROFILES.c.active == True).order_by(PROFILES.c.name)  # noqa: E712
    ).all()
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
    with session_scope(tw(context).engine) as session:
        chat = records.ensure_chat(session, chat_id=chat_of(update).id)
        text, keyboard = _profiles_view(session, chat)
    await message_of(update).reply_html(text, reply_markup=keyboard)


async def on_profile_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = query_of(update)
    match = PROFILE_CALLBACK_RE.match(query.data or "")
    if match is None:
        await query.answer("Кнопка устарела или недействительна.", show_alert=True)
        return
    pause = match.group(2) == "pause"
    with session_scope(tw(context).engine) as session:
        profile = session.get(ProfileRow, int(match.group(1)))
        name = profile.name if profile is not None else None
        if profile is not None:
            chat = records.ensure_chat(session, chat_id=query_chat_id(query))
            paused = [p for p in chat.paused_profiles or [] if p != profile.name]
            if pause:
                paused.append(profile.name)
            chat = records.set_chat_flags(session, chat_id=chat.chat_id, paused_profiles=paused)
            text, keyboard = _profiles_view(session, chat)
    # Telegram is answered after the transaction: a slow answer must not hold the database.
    if name is None:
        await query.answer("Кнопка устарела или недействительна.", show_alert=True)
        return
    await query.answer(f"Профиль «{name}» {'на паузе' if pause else 'снова активен'}")
    await _edit_quietly(query.edit_message_text(text, reply_markup=keyboard))


# --- tenders --------------------------------------------------------------------------------------


def _notice_row(session: Session, reg_number: str) -> NoticeRow:
    if not re.fullmatch(r"[0-9A-Za-z\-]{5,64}", reg_number):
        raise UsageError(f"«{reg_number}» не похоже на номер закупки")
    row = records.notice_by_reg_number(session, reg_number=reg_number)
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
    with session_scope(ctx.engine) as session:
        row = _notice_row(session, args[0])
        chat = records.ensure_chat(session, chat_id=chat_of(update).id)
        alert = ensure_alert_row(session, notice_id=row.id or 0, chat_row_id=chat.id or 0, now=now)
        view = AlertView(
            reasons=records.match_reasons(session, notice_id=row.id or 0),
            decisions=records.decisions_for(session, notice_id=row.id or 0, chat_row_id=chat.id or 0),
            header="📄 Закупка",
        )
        text = render_alert(records.to_notice(row), view, now=now, region_name=ctx.region_name)
    await message_of(update).reply_html(text, reply_markup=alert_keyboard(alert.id or 0))


MAX_COST = Decimal("100000000000")
"""100 bn RUB: above any real tender, and far below what kopeck rounding can represent exactly."""


def parse_cost(raw: str) -> Decimal:
    """'1 200 000,50' / '1200000.50' -> Decimal in kopecks; refuses garbage, zero, negatives, huge.

    The size is checked before rounding (``1e400`` or 30 digits cannot be quantized to kopecks),
    positivity after it (``1e-5`` rounds to 0.00, which is no cost).
    """
    cleaned = raw.replace("\u00a0", "").replace(" ", "").replace("₽", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise UsageError(f"«{raw}» — не сумма. Пример: /sim 0373200138225001206 850000") from None
    if not value.is_finite():
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
    with session_scope(ctx.engine) as session:
        notice = records.to_notice(_notice_row(session, args[0]))
    await message_of(update).reply_html(await simulation_text(ctx, notice, cost))


async def cmd_digest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = tw(context)
    now = ctx.clock()
    midnight = now.astimezone(MOSCOW).replace(hour=0, minute=0, second=0, microsecond=0)
    with session_scope(ctx.engine) as session:
        rows = records.matches_since(session, since=midnight)
        entries = [(records.to_notice(r), records.match_reasons(session, notice_id=r.id or 0)) for r in rows]
    if not entries:
        await message_of(update).reply_html("Сегодня совпадений пока нет.")
        return
    for text, _count in render_digest(entries, now=now, title="Совпадения за сегодня"):
        await message_of(update).reply_html(text)


async def cmd_mine(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = tw(context)
    now = ctx.clock()
    with session_scope(ctx.engine) as session:
        taken = records.taken_by(session, user_id=user_of(update).id)
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


# --- admin commands -------------------------------------------------------------------------------


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


# --- triage buttons -------------------------------------------------------------------------------


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
    chat = records.get_chat(session, chat_id=chat_id)
    if row is None or chat is None or row.chat_id != chat.id or row.kind != "alert":
        raise CallbackDataError(f"callback data {data!r} names no alert of chat {chat_id}")
    return Pressed(row, chat, session.get_one(NoticeRow, row.notice_id)), action


async def on_alert_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = query_of(update)
    ctx = tw(context)
    try:
        with session_scope(ctx.engine) as session:
            pressed, action = resolve_callback(session, data=query.data, chat_id=query_chat_id(query))
            notice = records.to_notice(pressed.notice)
    except CallbackDataError as exc:
        log.warning("refused button from user %s: %s", query.from_user.id, exc)
        await query.answer("Кнопка устарела или недействительна.", show_alert=True)
        return
    if action in ("take", "skip"):
        await _decide(update, context, pressed, action)
    elif action == "sim":
        await query.answer("Считаю…")
        await message_of(update).reply_html(await simulation_text(ctx, notice, None))
    else:
        await query.answer()
        await message_of(update).reply_html(render_details(notice))


async def _decide(update: Update, context: ContextTypes.DEFAULT_TYPE, pressed: Pressed, action: str) -> None:
    """Record the decision, then show everyone in the chat who took or skipped it."""
    query = query_of(update)
    ctx = tw(context)
    now = ctx.clock()
    with session_scope(ctx.engine) as session:
        changed = records.record_decision(
            session,
            notice_id=pressed.notice.id or 0,
            chat_row_id=pressed.chat.id or 0,
            user_id=query.from_user.id,
            user_name=display_name(query.from_user),
            action=action,
            now=now,
        )
        view = AlertView(
            reasons=records.match_reasons(session, notice_id=pressed.notice.id or 0),
            decisions=records.decisions_for(
                session, notice_id=pressed.notice.id or 0, chat_row_id=pressed.chat.id or 0
            ),
        )
        text = render_alert(records.to_notice(pressed.notice), view, now=now, region_name=ctx.region_name)
    label = "Взято в работу" if action == "take" else "Отмечено: не интересно"
    await query.answer(label if changed else "Уже отмечено")
    if changed:
        await _edit_quietly(
            query.edit_message_text(text, reply_markup=alert_keyboard(pressed.outbox.id or 0))
        )


async def _edit_quietly(edit: Awaitable[object]) -> None:
    """Edits race (two people tapping): "message is not modified" is not an error."""
    try:
        await edit
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


# --- errors ---------------------------------------------------------------------------------------


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
