"""The errors duvi shows to people: each carries what went wrong and what to do about it.

Exit codes are part of the command line's contract (README lists them), so they live here,
next to the errors that cause them.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_WARN = 1
EXIT_USAGE = 2  # click's own code for bad arguments; we reuse it
EXIT_CONFIG = 3
EXIT_STORE = 4
EXIT_REMOTE = 5


class DuviError(Exception):
    """An error with a remedy: the message says what happened, the remedy what to do."""

    exit_code = EXIT_REMOTE

    def __init__(self, message: str, remedy: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.remedy = remedy

    def __str__(self) -> str:
        return f"{self.message}\n  → {self.remedy}" if self.remedy else self.message


class ConfigError(DuviError):
    exit_code = EXIT_CONFIG


class StoreError(DuviError):
    exit_code = EXIT_STORE


class SchemaTooNewError(StoreError):
    """The database was written by a newer duvi; we refuse to touch it."""


class StoreBusyError(StoreError):
    """Another process held the write lock for longer than we are willing to wait."""


class InsecureFileError(ConfigError):
    """A file holding secrets or the store is readable by other users."""
