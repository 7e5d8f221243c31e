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

from bot.handlers.admin import cmd_allow
from bot.handlers.admin import cmd_requeue
from bot.handlers.admin import cmd_status
from bot.handlers.admin import cmd_suggest
from bot.handlers.commands import COMMANDS
from bot.handlers.commands import HELP
from bot.handlers.commands import PROFILE_CALLBACK_RE
from bot.handlers.commands import cmd_digest
from bot.handlers.commands import cmd_help
from bot.handlers.commands import cmd_mine
from bot.handlers.commands import cmd_mute
from bot.handlers.commands import cmd_profiles
from bot.handlers.commands import cmd_start
from bot.handlers.commands import cmd_unmute
from bot.handlers.commands import on_profile_button
from bot.handlers.context import BotContext
from bot.handlers.context import SimulateSummary
from bot.handlers.context import chat_of
from bot.handlers.context import display_name
from bot.handlers.context import message_of
from bot.handlers.context import on_error
from bot.handlers.context import query_chat_id
from bot.handlers.context import query_of
from bot.handlers.context import refuse_button
from bot.handlers.context import require_admin
from bot.handlers.context import tw
from bot.handlers.context import user_of
from bot.handlers.filters import cmd_filter
from bot.handlers.filters import cmd_filters
from bot.handlers.filters import on_filter_button
from bot.handlers.gate import gatekeeper
from bot.handlers.gate import track_membership
from bot.handlers.market import cmd_competitor
from bot.handlers.market import cmd_customer
from bot.handlers.search import cmd_search
from bot.handlers.search import on_text
from bot.handlers.tenders import MAX_COST
from bot.handlers.tenders import Pressed
from bot.handlers.tenders import cmd_sim
from bot.handlers.tenders import cmd_tender
from bot.handlers.tenders import esc_block
from bot.handlers.tenders import on_alert_button
from bot.handlers.tenders import parse_cost
from bot.handlers.tenders import resolve_callback
from bot.handlers.tenders import simulation_text

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
