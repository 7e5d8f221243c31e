"""/customer and /competitor: a customer's or a supplier's last year, from the stored results."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from telegram import Update
from telegram.ext import ContextTypes

from bot.database import in_session
from bot.errors import UsageError
from bot.handlers.context import message_of
from bot.handlers.context import tw
from bot.render import render_competitor
from bot.render import render_customer
from data.notice import is_inn
from data.notice import moscow_date
from data.store.customers import competitors
from data.store.customers import customer_figures
from data.store.unfair import register_status

YEAR = timedelta(days=365)


def _inn(context: ContextTypes.DEFAULT_TYPE, usage: str) -> str:
    args = list(context.args or [])
    if len(args) != 1 or not is_inn(args[0]):
        raise UsageError(f"Использование: {usage} (ИНН: 10 цифр, у ИП 12)")
    return args[0]


async def cmd_customer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    inn = _inn(context, "/customer ИНН")
    ctx = tw(context)
    now = ctx.clock()
    today = moscow_date(now)
    figures = await in_session(ctx.engine, partial(customer_figures, inn=inn, since=now - YEAR, today=today))
    await message_of(update).reply_html(render_customer(figures))


async def cmd_competitor(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    inn = _inn(context, "/competitor ИНН")
    ctx = tw(context)
    now = ctx.clock()
    today = moscow_date(now)
    one = partial(competitors, okpd2=None, region=None, since=now - YEAR, today=today, inn=inn, top=1)
    rows = await in_session(ctx.engine, one)
    if rows:
        await message_of(update).reply_html(render_competitor(inn, rows[0]))
        return
    register = await in_session(ctx.engine, partial(register_status, inns=[inn], today=today))
    await message_of(update).reply_html(render_competitor(inn, None, register.get(inn)))
