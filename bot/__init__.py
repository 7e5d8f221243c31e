"""Telegram: the sales team's window."""
