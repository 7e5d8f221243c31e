"""What the bot gets from the rest of the product, built from the settings: who may use it
(``access_policy``) and the /sim answer (``auction_summarizer``). ``bot`` does not import
``bidder``'s simulator or the settings; ``tenderwatch bot`` and ``serve`` both inject these."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqlalchemy.engine import Engine

from bidder.auction import CompetitorModel
from bidder.auction import SimulationParams
from bidder.auction import simulate
from bidder.auction.securities import antidumping_threshold
from bidder.errors import BidderError
from bidder.market import calibrate_notice
from bot.access import AccessPolicy
from data.db import session_scope
from data.formatting import format_money
from data.notice import Notice
from tenderwatch.config import Settings

BOT_SIMULATION_RUNS = 20_000
"""Enough for a stable win probability in a chat answer, fast enough not to keep a user waiting."""


def auction_summarizer(engine: Engine) -> Callable[[Notice, Decimal | None], str]:
    """The bot's /sim: the notice's competitors calibrated on its segment's stored results (the
    same choice as ``tenderwatch simulate``), then ``auction_summary``. Runs in a worker thread."""

    def summary(notice: Notice, cost: Decimal | None) -> str:
        with session_scope(engine) as session:
            fit = calibrate_notice(session, notice)
        if fit is None:
            return auction_summary(notice, cost)
        source = f"Конкуренты: по {fit.stats.purchases} завершённым закупкам «{fit.stats.segment.describe()}»"
        return auction_summary(notice, cost, competitors=fit.competitors, source=source)

    return summary


def auction_summary(
    notice: Notice,
    cost: Decimal | None,
    *,
    competitors: CompetitorModel | None = None,
    source: str = "Конкуренты: допущение (3 участника, скидка до ~25 %), результатов закупок в базе нет",
) -> str:
    """Plain-text auction summary for the bot. Without a cost: the market view down to anti-dumping."""
    if notice.nmck is None:
        raise BidderError(f"у закупки {notice.reg_number} не указана НМЦК")
    # Without a cost the market view goes down to the anti-dumping line: the highest price that
    # triggers it (the one rule, ``antidumping_threshold``), so the x1.5 security shows there.
    floor = None if cost is not None else antidumping_threshold(notice.nmck)
    extra = {"competitors": competitors} if competitors is not None else {}
    result = simulate(
        SimulationParams.from_notice(
            notice, cost=cost, floor=floor, runs=BOT_SIMULATION_RUNS, seed=7, **extra
        )
    )
    lines = [
        f"НМЦК: {format_money(result.nmck)}; шаг {result.step_percent}% = {format_money(result.step)}",
        f"Шагов до {format_money(result.floor)}: {result.ladder.steps_to_floor}",
    ]
    if result.antidumping_threshold is not None:
        lines.append(f"Антидемпинг: от {format_money(result.antidumping_threshold)} и ниже")
    if result.bid_security.amount is not None:
        lines.append(f"Обеспечение заявки: {format_money(result.bid_security.amount)}")
    if result.at_floor.required is not None:
        lines.append(f"Обеспечение контракта на этой цене: {format_money(result.at_floor.required)}")
    if result.expected_market_price is not None:
        lines.append(f"Ожидаемая цена рынка: {format_money(result.expected_market_price)}")
    lines.append(source)
    if cost is None:
        lines.append("Для вероятности победы и прибыли: /sim НОМЕР СЕБЕСТОИМОСТЬ")
        return "\n".join(lines)
    lines += [
        f"Вероятность победы на {format_money(result.floor)}: {result.win_probability:.0%}",
        f"Ожидаемая прибыль: {format_money(result.expected_profit)}",
        f"Рекомендуемая цена ухода: {format_money(result.recommended_walk_away)} "
        f"(победа {result.recommended_win_probability:.0%})",
    ]
    return "\n".join(lines)


def access_policy(settings: Settings) -> AccessPolicy:
    tg = settings.telegram
    return AccessPolicy.of(admins=tg.admins, users=tg.allowed_users, chats=tg.allowed_chats)
