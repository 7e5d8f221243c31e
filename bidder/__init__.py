"""Deciding what to bid on, and how: profiles, matcher, auction simulator, reports."""
