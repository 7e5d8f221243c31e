"""Personal filters: a person's own profiles, made, changed, paused and deleted from the chat.

``/filter Название: слова -исключить; регион 77; цена 100000-3000000`` creates the filter, or
changes the person's filter of that name; ``/filters`` lists theirs with pause/resume/delete
buttons. A filter is a profile like those of settings.toml (validated by the same model, matched
by the same matcher on its next run) whose alerts go to its owner's private chat with the bot.
Only its owner sees or changes it (``profiles.owner_user_id``).
"""

from __future__ import annotations

import re

from sqlmodel import Session
from telegram import InlineKeyboardButton
from telegram import InlineKeyboardMarkup
from telegram import Update
from telegram.ext import ContextTypes

from bidder.profiles import ProfileError
from bidder.search import FILTER_USAGE
from bidder.search import filter_profile
from bot.database import in_session
from bot.errors import UsageError
from bot.handlers.context import button_pressed
from bot.handlers.context import edit_quietly
from bot.handlers.context import message_of
from bot.handlers.context import tw
from bot.handlers.context import user_of
from bot.render import esc
from data.models import ProfileRow
from data.store import profiles

FILTER_CALLBACK_RE = re.compile(r"^f:(\d{1,9}):(pause|resume|delete)$")
USAGE = f"Использование: /filter {FILTER_USAGE}"


async def cmd_filter(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user_id = user_of(update).id
    text = " ".join(context.args or [])
    try:
        profile = filter_profile(text, chat_id=user_id)  # a private chat's id is its user's id
    except ProfileError as exc:
        raise UsageError(f"{USAGE}\n({esc(str(exc), 300)})") from None
    ctx = tw(context)
    now = ctx.clock()
    spec = profile.model_dump(mode="json", exclude={"name"})
    try:
        created = await in_session(
            ctx.engine,
            lambda session: profiles.save_filter(
                session, user_id=user_id, name=profile.name, spec=spec, now=now
            ),
        )
    except profiles.FilterNameTaken:
        raise UsageError(f"Имя «{esc(profile.name, 80)}» уже занято: выберите другое.") from None
    verb = "создан" if created else "изменён"
    await message_of(update).reply_html(
        f"Фильтр «{esc(profile.name, 80)}» {verb}: подходящие новые закупки придут вам в личный чат "
        "с ботом (напишите боту /start, если ещё не писали). Все фильтры: /filters"
    )


async def cmd_filters(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user_id = user_of(update).id
    text, keyboard = await in_session(tw(context).engine, lambda session: _filters_view(session, user_id))
    await message_of(update).reply_html(text, reply_markup=keyboard)


def _filters_view(session: Session, user_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
    rows = profiles.own_filters(session, user_id=user_id)
    if not rows:
        return f"Своих фильтров пока нет. Создать: /filter {esc(FILTER_USAGE)}", None
    lines = ["<b>Мои фильтры</b> (изменить: /filter с тем же названием):"]
    buttons = []
    for row in rows:
        lines.append(f"{'▶️' if row.active else '⏸'} {esc(row.name, 80)}: {esc(_summary(row), 200)}")
        toggle = ("pause", "Пауза") if row.active else ("resume", "Возобновить")
        buttons.append(
            [
                InlineKeyboardButton(
                    f"{toggle[1]}: {row.name[:30]}", callback_data=f"f:{row.id}:{toggle[0]}"
                ),
                InlineKeyboardButton("Удалить", callback_data=f"f:{row.id}:delete"),
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def _summary(row: ProfileRow) -> str:
    spec = row.spec or {}
    parts = [", ".join(spec.get("keywords") or [])]
    if spec.get("exclude"):
        parts.append("без: " + ", ".join(spec["exclude"]))
    if spec.get("regions"):
        parts.append("регионы " + ", ".join(spec["regions"]))
    if spec.get("price_min") or spec.get("price_max"):
        parts.append(f"цена {spec.get('price_min') or 0}–{spec.get('price_max') or '∞'}")
    return "; ".join(p for p in parts if p)


async def on_filter_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    button = await button_pressed(update, FILTER_CALLBACK_RE)
    if button is None:
        return
    query, match = button
    profile_id, action, user_id = int(match.group(1)), match.group(2), query.from_user.id
    ctx = tw(context)
    now = ctx.clock()

    def act(session: Session) -> tuple[str | None, str, InlineKeyboardMarkup | None]:
        if action == "delete":
            name = profiles.delete_filter(session, user_id=user_id, profile_id=profile_id)
        else:
            row = profiles.set_filter_active(
                session, user_id=user_id, profile_id=profile_id, active=action == "resume", now=now
            )
            name = row.name if row is not None else None
        return name, *_filters_view(session, user_id)

    name, text, keyboard = await in_session(ctx.engine, act)  # answered after the transaction
    if name is None:  # someone else's filter, or already deleted
        await query.answer("Это не ваш фильтр, или его уже нет.", show_alert=True)
        return
    done = {"pause": "на паузе", "resume": "снова работает", "delete": "удалён"}[action]
    await query.answer(f"Фильтр «{name}» {done}")
    await edit_quietly(query.edit_message_text(text, reply_markup=keyboard))
