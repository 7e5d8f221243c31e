"""The database fixtures of tests/data (SQLite always, PostgreSQL when configured), for the
bidder tests that read stored results."""

from tests.data.conftest import engine, postgres_url, session  # noqa: F401 - fixtures, found by name
