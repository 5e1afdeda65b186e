"""Redaction: no secret or token reaches the log, the HTTP log, a screen or a bundle.

Two layers: names that are always secret (headers, form fields, JSON keys), and the values of
secrets this process knows (registered when read or received), scrubbed from any text.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Iterable, Mapping
from itertools import compress
from typing import Any
from urllib.parse import parse_qsl, urlencode

MASK = "***"
SECRET_NAMES = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "client_secret",
        "client_token",
        "access_token",
        "refresh_token",
        "token",
        "password",
        "secret",
        "x-duvi-webhook-secret",
    }
)


# The names no other name holds ("token", not "access_token"): a text holds a secret name
# exactly when it holds one of these, looked for in five passes over it instead of twelve.
_NAME_CORES = tuple(
    sorted(n for n in SECRET_NAMES if not any(o != n and o in n for o in SECRET_NAMES))
)


RECENT_TOKENS = 64  # access tokens live an hour or so; a process sees few at once


class Redactor:
    """Secrets (client secrets, API tokens) are kept for the life of the process; access
    tokens only while recent, since every new client fetches one: an ever-growing set would
    make every scrub slower and, compiled into one pattern per addition, fill the `re`
    module's cache with ever-longer patterns (the soak test's consoles grew ~20 MB a minute)."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._tokens: dict[str, None] = {}  # insertion-ordered: the oldest goes first
        self._lock = threading.Lock()
        # How to find every value in a text and in a JSON text (as JSON writes them), kept
        # up to date value by value: a token comes with every sign-in, and a runner at scale
        # holds hundreds of secrets, which must not be gone over each time.
        self._finders = (_Finder(json_text=False), _Finder(json_text=True))
        self._all: tuple[str, ...] | None = ()  # every value, longest first; None: not made

    def add(self, value: str | None) -> None:
        """Remember a secret value (a client secret, an API token) to scrub everywhere."""
        if not value or len(value) < 6:  # too short to scrub without mangling ordinary text
            return
        with self._lock:
            if value not in self._secrets:
                self._secrets.add(value)
                for f in self._finders:
                    f.add(value)
                self._all = None

    def add_token(self, value: str | None) -> None:
        """Remember a received access token; the RECENT_TOKENS newest are kept."""
        if not value or len(value) < 6:
            return
        with self._lock:
            if value in self._tokens:
                return
            self._tokens[value] = None
            for f in self._finders:
                f.add(value)
            while len(self._tokens) > RECENT_TOKENS:
                old = next(iter(self._tokens))
                del self._tokens[old]
                if old not in self._secrets:  # a secret that is also a token stays
                    for f in self._finders:
                        f.remove(old)
            self._all = None

    @property
    def _values(self) -> tuple[str, ...]:
        """Every value, longest first, so a secret inside another goes too."""
        with self._lock:
            if self._all is None:
                self._all = _longest_first(self._secrets | set(self._tokens))
            return self._all

    def _found(self, text: str, json_text: bool) -> tuple[str, ...]:
        """The values `text` holds (a JSON text: as JSON writes them), longest first."""
        with self._lock:
            found = self._finders[1 if json_text else 0].among(text)
        return _longest_first(found)

    def text(self, text: str) -> str:
        if not text:
            return text
        return _scrub(text, self._found(text, json_text=False))

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {
            k: (MASK if k.lower() in SECRET_NAMES else self.text(v)) for k, v in headers.items()
        }

    def data(self, value: Any) -> Any:
        """Redact a parsed JSON value: secret keys masked, known values scrubbed."""
        return _data(value, self._values)

    def dumps(self, value: Any, *, default: Any = None) -> str:
        """`json.dumps(self.data(value), ensure_ascii=False, default=default)`, the same text,
        without walking the value when nothing in it needs redacting. A runner at scale knows
        hundreds of secrets (every customer's) and logs every HTTP body: scrubbing each string
        of each body for each of them cost more CPU than the rest of a department's round.

        The value's own JSON text says what is needed: JSON escapes character by character,
        so a string holds a secret only if the text holds that secret's escaped form, and a
        secret key (its name has nothing to escape) stands in the text as written."""
        text = json.dumps(value, ensure_ascii=False, default=default)
        hits = self._found(text, json_text=True)
        if not hits:
            lowered = text.lower()
            if not any(name in lowered for name in _NAME_CORES):
                return text
        return json.dumps(_data(value, hits), ensure_ascii=False, default=default)

    def form(self, body: str) -> str:
        return _form(body)


class _Finder:
    """Which of many values a text holds, at a cost that does not grow with how many there
    are (a runner knows every customer's secrets: hundreds). A value stands in a text only
    inside a run of the characters values are made of, as long as the value at least; one
    regular expression finds those runs, and each run is looked up by the lengths of the
    values (sets), position by position. A run so long that this would cost more than asking
    for every value in turn (base64 of an attachment, say) is asked that way.

    Kept up to date value by value (the pattern is made again only when a value brings a
    character or a length it did not have); the Redactor's lock guards it."""

    def __init__(self, json_text: bool) -> None:
        self.json_text = json_text  # values as JSON writes them inside a string
        self.needles: dict[str, str] = {}  # as it stands in the text -> the value it is
        self.lengths: dict[int, set[str]] = {}
        self.sizes: list[int] = []
        self.chars: set[str] = set()  # never shrinks: more characters only make longer runs
        self.runs: re.Pattern[str] | None = None
        self.table: bytes | None = None  # bytes.translate's table that finds the same runs

    def add(self, value: str) -> None:
        needle = json.dumps(value, ensure_ascii=False)[1:-1] if self.json_text else value
        self.needles[needle] = value
        self.lengths.setdefault(len(needle), set()).add(needle)
        new_chars = set(needle) - self.chars
        if new_chars or len(needle) < (self.sizes[0] if self.sizes else len(needle) + 1):
            self.chars |= new_chars
            self.runs = None
        self.sizes = sorted(m for m, ns in self.lengths.items() if ns)

    def remove(self, value: str) -> None:
        needle = json.dumps(value, ensure_ascii=False)[1:-1] if self.json_text else value
        if self.needles.pop(needle, None) is not None:
            self.lengths[len(needle)].discard(needle)
            self.sizes = sorted(m for m, ns in self.lengths.items() if ns)

    def among(self, text: str) -> set[str]:
        """The values that `text` holds."""
        if not self.needles or not text:
            return set()
        if self.runs is None:
            # Few patterns over a process's life (the `re` module caches what it compiles).
            chars = "".join(re.escape(c) for c in sorted(self.chars))
            self.runs = re.compile(f"[{chars}]{{{self.sizes[0]},}}")
            self.table = _run_table(self.chars)
        found: set[str] = set()
        shortest = self.sizes[0]
        for run in self._runs(text, shortest):
            size = len(run)
            if (size - shortest + 1) * len(self.sizes) > len(self.needles):
                found.update(n for n in self.needles if n in run)
                continue
            for m in self.sizes:
                if m > size:
                    break
                same = self.lengths[m]
                found.update(run[i : i + m] for i in range(size - m + 1) if run[i : i + m] in same)
        return {self.needles[n] for n in found}

    def _runs(self, text: str, shortest: int) -> set[str]:
        """The runs of `text` at least `shortest` long (none shorter holds a value). While the
        values are made of ASCII characters other than spaces (as tokens and secrets are),
        bytes.translate and split find them three times as fast as the regular expression,
        which tries the character class anew at every position of the text (every logged
        body is looked through): a character outside them is a space in the table, and every
        byte of a character outside ASCII in UTF-8 is too."""
        table = self.table
        if table is None:
            return set(self.runs.findall(text)) if self.runs is not None else set()
        words = text.encode("utf-8", "surrogatepass").translate(table).split()
        # Long enough ones, without a Python step per word (a JSON body has thousands, and the
        # same keys over and over); only the different ones are decoded.
        long = set(compress(words, map(shortest.__le__, map(len, words))))
        return {w.decode("ascii") for w in long}


_SPLIT = frozenset(" \t\n\r\x0b\x0c")  # what bytes.split() splits on


def _run_table(chars: set[str]) -> bytes | None:
    """A table for bytes.translate that keeps these characters and makes every other byte a
    space; None when a character is not ASCII or is one that split() splits on."""
    if any(not c.isascii() or c in _SPLIT for c in chars):
        return None
    return bytes(b if chr(b) in chars else 0x20 for b in range(256))


@functools.lru_cache(maxsize=1024)
def _form(body: str) -> str:
    """A form (or a URL's query) with its secret fields masked: the names alone decide, so
    one answer serves every time the same query is logged (a runner logs the same few list
    queries for every department)."""
    pairs = parse_qsl(body, keep_blank_values=True)
    return urlencode([(k, MASK if k.lower() in SECRET_NAMES else v) for k, v in pairs])


def _longest_first(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(values, key=len, reverse=True))


def _scrub(text: str, values: tuple[str, ...]) -> str:
    if not text:
        return text
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    return text


def _data(value: Any, values: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {
            k: (MASK if str(k).lower() in SECRET_NAMES else _data(v, values))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_data(v, values) for v in value]
    if isinstance(value, str):
        return _scrub(value, values)
    return value


# One per process: secrets are process-wide facts.
redactor = Redactor()
