"""Commands and triage buttons. Every handler runs after the gatekeeper has admitted the update.

Handlers read and write through ``data.store.chats``/``data.store.outbox`` in short sessions; anything slow
(the auction simulation) runs in a worker thread so polling and the notifier keep going; Telegram
is answered after the transaction, never inside it.

Layout: ``context`` (what every handler shares), ``gate`` (who may use the bot, which chats can be
reached), ``commands`` (chat commands and profile buttons), ``tenders`` (a tender's card, the
auction, the triage buttons), ``market`` (a customer's and a supplier's results), ``admin`` (the
admins' commands).
"""

from __future__ import annotations

from bot.handlers.admin import (
    cmd_allow,
    cmd_requeue,
    cmd_status,
    cmd_suggest,
)
from bot.handlers.commands import (
    COMMANDS,
    HELP,
    PROFILE_CALLBACK_RE,
    cmd_digest,
    cmd_help,
    cmd_mine,
    cmd_mute,
    cmd_profiles,
    cmd_start,
    cmd_unmute,
    on_profile_button,
)
from bot.handlers.context import (
    BotContext,
    SimulateSummary,
    chat_of,
    display_name,
    message_of,
    on_error,
    query_chat_id,
    query_of,
    refuse_button,
    require_admin,
    tw,
    user_of,
)
from bot.handlers.filters import cmd_filter, cmd_filters, on_filter_button
from bot.handlers.gate import (
    gatekeeper,
    track_membership,
)
from bot.handlers.market import cmd_competitor, cmd_customer
from bot.handlers.search import cmd_search, on_text
from bot.handlers.tenders import (
    MAX_COST,
    Pressed,
    cmd_sim,
    cmd_tender,
    esc_block,
    on_alert_button,
    parse_cost,
    resolve_callback,
    simulation_text,
)

__all__ = [
    "COMMANDS",
    "HELP",
    "MAX_COST",
    "PROFILE_CALLBACK_RE",
    "BotContext",
    "Pressed",
    "SimulateSummary",
    "chat_of",
    "cmd_allow",
    "cmd_competitor",
    "cmd_customer",
    "cmd_digest",
    "cmd_filter",
    "cmd_filters",
    "cmd_help",
    "cmd_mine",
    "cmd_mute",
    "cmd_profiles",
    "cmd_requeue",
    "cmd_search",
    "cmd_sim",
    "cmd_start",
    "cmd_status",
    "cmd_suggest",
    "cmd_tender",
    "cmd_unmute",
    "display_name",
    "esc_block",
    "gatekeeper",
    "message_of",
    "on_alert_button",
    "on_error",
    "on_filter_button",
    "on_profile_button",
    "on_text",
    "parse_cost",
    "query_chat_id",
    "query_of",
    "refuse_button",
    "require_admin",
    "resolve_callback",
    "simulation_text",
    "track_membership",
    "tw",
    "user_of",
]
