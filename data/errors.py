"""What the storage layer raises. Callers catch ``StoreError``; the subclasses say why."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every storage failure that a caller may want to report rather than crash on."""


class DatabaseUrlError(StoreError):
    """The database URL names a backend Tenderwatch does not support or cannot parse."""


class MigrationError(StoreError):
    """The schema could not be created or upgraded."""


class DatabaseError(StoreError):
    """The database refused or failed an operation: read-only file, full disk, missing grants,
    a server that is down. The message names the database (password masked) and the driver's
    reason in one line, never the SQL statement or its parameters (they may hold scraped text
    or personal data, and they bury the cause)."""


class NoticeRejected(StoreError):
    """A notice cannot be stored as given; the message names its key and the problem."""

    def __init__(self, key: tuple[str, str], problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"notice {key[0]} {key[1]}: {problem}")


class BatchFailed(StoreError):
    """A whole batch was rolled back (nothing of it stored); ``__cause__`` holds the database error."""
