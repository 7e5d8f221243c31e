"""What the bot package raises. Handlers turn these into a polite Russian reply; nothing else leaks."""

from __future__ import annotations


class BotError(Exception):
    """Base of every bot failure a caller may report instead of crashing on."""


class CallbackDataError(BotError):
    """Callback data that is malformed, names no alert, or names an alert of another chat."""


class UsageError(BotError):
    """A command was given missing or malformed arguments; the message says the expected form."""


class NotFound(BotError):
    """A command named a tender (or profile) that is not stored."""


class ConfigurationError(BotError):
    """The bot cannot start with these settings (e.g. polling without a token)."""


class TokenRejected(BotError):
    """Telegram stopped accepting the bot token while the bot ran (revoked in @BotFather)."""
