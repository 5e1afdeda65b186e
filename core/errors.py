"""The errors duvi shows to people: each carries what went wrong and what to do about it.

Exit codes are part of the command line's contract (README lists them), so they live here,
next to the errors that cause them. The hierarchy is by what a person (or a script) does next:

- UsageError (2): an argument naming nothing there is;
- ConfigError (3): fix the settings, a file's mode, or run without --readonly;
- StoreError (4): the database itself (newer schema, not duvi's, locked too long);
- RemoteError (5): DUELL or Visma.net failed or refused; TransientError and
  OutcomeUnknownError (core/http.py), VismaError and DuellError are remote errors;
- DataError (6): the input cannot be used as it is: a damaged SAF-T file, a journal that does
  not balance, an unknown transfer key, a document not confirmed yet. Trying again changes
  nothing until the data (or the mapping) is corrected;
- BusyError (7): another process is working on it; nothing was done, try again later.

DuviError itself states no exit code: every class a raise names must say (or inherit on
purpose) which of these it is. tests/test_errors.py walks the hierarchy to keep it so.
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING, ClassVar

from core.i18n import _

if TYPE_CHECKING:  # the console imports this module: no httpx at start-up
    import httpx

EXIT_OK = 0
EXIT_WARN = 1  # ran, but something needs a person's attention (failed or held documents)
EXIT_USAGE = 2  # click's own code for bad arguments; we reuse it
EXIT_CONFIG = 3
EXIT_STORE = 4
EXIT_REMOTE = 5
EXIT_DATA = 6
EXIT_BUSY = 7
# An error raised as a bare DuviError has no class to say what it is: that is duvi's bug, not
# the person's. 70 is sysexits' EX_SOFTWARE ("internal software error").
EXIT_INTERNAL = 70


class DuviError(Exception):
    """An error with a remedy: the message says what happened, the remedy what to do.

    Raise a subclass: the subclass decides the exit code."""

    exit_code: ClassVar[int]  # no default: see the module's docstring

    def __init__(self, message: str, remedy: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.remedy = remedy

    def __str__(self) -> str:
        return f"{self.message}\n  → {self.remedy}" if self.remedy else self.message


def exit_code_of(error: DuviError) -> int:
    """The exit code the command line ends with for `error`."""
    return getattr(error, "exit_code", EXIT_INTERNAL)


class UsageError(DuviError):
    """An argument that names nothing there is (an entity the log never records): exit 2,
    like click's own bad arguments, said in one line with what there is."""

    exit_code = EXIT_USAGE


class ConfigError(DuviError):
    exit_code = EXIT_CONFIG


class InsecureFileError(ConfigError):
    """A file holding secrets or the store is readable by other users."""


class CertificateRefused(ConfigError):
    """A service's TLS certificate was not accepted. Trying again cannot make it valid; the
    remedy is a setting (`ca_bundle`, for a company proxy's CA), hence a configuration error."""


class StoreError(DuviError):
    exit_code = EXIT_STORE


class SchemaTooNewError(StoreError):
    """The database was written by a newer duvi; we refuse to touch it."""


class StorageError(StoreError):
    """The disk or filesystem refused: full, read-only, failing, or not ours."""


class StoreBusyError(StoreError):
    """Another process held the write lock for longer than we are willing to wait."""


class RemoteError(DuviError):
    """DUELL or Visma.net failed, refused, or could not be reached."""

    exit_code = EXIT_REMOTE


class TransientError(RemoteError):
    """The service kept failing in a passing way (5xx, timeouts, 429) until retries ran out."""


class OutcomeUnknownError(RemoteError):
    """A request that must not be repeated may or may not have been carried out by the server."""

    def __init__(self, message: str, remedy: str, response: httpx.Response | None = None) -> None:
        super().__init__(message, remedy)
        self.response = response


class DataError(DuviError):
    """Local input duvi cannot use as it is (a file, a journal, a key, a document's state)."""

    exit_code = EXIT_DATA


class BusyError(DuviError):
    """Someone else is doing it right now; nothing was done. Distinct from StoreBusyError (the
    database lock, a store problem): this one is safe to retry as it is, later."""

    exit_code = EXIT_BUSY


class DepartmentBusy(BusyError):
    """Another run (the runner, a console, a `duvi sync`) holds the department's lease."""


def write_failed(exc: OSError, what: str, remedy: str) -> DuviError:
    """What a person can do when writing `what` (e.g. "the backup /x/y.db") failed with `exc`.

    A full disk or a read-only filesystem is the disk's trouble (StorageError, exit 4): free
    space, or remount; never "use another directory" (moving duvi's home away is what loses a
    ledger, finding D6). Anything else (a missing directory, a directory, no permission) is
    the path given: ConfigError (exit 3) with `remedy`."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        full = (
            _("cannot write {what}: this user's disk quota is used up ({why})")
            if exc.errno == errno.EDQUOT
            else _("cannot write {what}: the disk is full ({why})")
        )
        return StorageError(
            full.format(what=what, why=exc.strerror),
            _("free space on its filesystem (df -h) and run again; nothing was written"),
        )
    if exc.errno == errno.EROFS:
        return StorageError(
            _("cannot write {what}: its filesystem is mounted read-only").format(what=what),
            _(
                "remount it writable (a disk error can make the system remount it read-only: "
                "see dmesg) and run again; nothing was written"
            ),
        )
    return ConfigError(
        _("cannot write {what}: {why}").format(what=what, why=exc.strerror or exc), remedy
    )
