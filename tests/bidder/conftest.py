"""The database fixtures of tests/data (SQLite always, PostgreSQL when configured), for the
bidder tests that read stored results."""

from tests.data.conftest import engine  # noqa: F401 - fixtures, found by name
from tests.data.conftest import postgres_url  # noqa: F401 - fixtures, found by name
from tests.data.conftest import session  # noqa: F401 - fixtures, found by name
