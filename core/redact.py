"""Redaction: no secret or token reaches the log, the HTTP log, a screen or a bundle.

Two layers: names that are always secret (headers, form fields, JSON keys), and the values of
secrets this process knows (registered when read or received), scrubbed from any text.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
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
        # Every value, longest first (so a secret inside another goes too), and how to find
        # them in a text and in a JSON text; replaced whole, so a reader needs no lock.
        self._values: tuple[str, ...] = ()
        self._finders = (_Finder({}), _Finder({}))

    def add(self, value: str | None) -> None:
        """Remember a secret value (a client secret, an API token) to scrub everywhere."""
        if not value or len(value) < 6:  # too short to scrub without mangling ordinary text
            return
        with self._lock:
            if value not in self._secrets:
                self._secrets.add(value)
                self._rebuild()

    def add_token(self, value: str | None) -> None:
        """Remember a received access token; the RECENT_TOKENS newest are kept."""
        if not value or len(value) < 6:
            return
        with self._lock:
            if value in self._tokens:
                return
            self._tokens[value] = None
            while len(self._tokens) > RECENT_TOKENS:
                del self._tokens[next(iter(self._tokens))]
            self._rebuild()

    def _rebuild(self) -> None:
        values = tuple(sorted(self._secrets | set(self._tokens), key=len, reverse=True))
        self._finders = (
            _Finder({v: v for v in values}),
            _Finder({json.dumps(v, ensure_ascii=False)[1:-1]: v for v in values}),
        )
        self._values = values

    def text(self, text: str) -> str:
        if not text:
            return text
        values, (finder, _) = self._values, self._finders
        return _scrub(text, finder.among(text, values))

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
        values, (_, in_json) = self._values, self._finders
        hits = in_json.among(text, values)
        if not hits:
            lowered = text.lower()
            if not any(name in lowered for name in SECRET_NAMES):
                return text
        return json.dumps(_data(value, hits), ensure_ascii=False, default=default)

    def form(self, body: str) -> str:
        pairs = parse_qsl(body, keep_blank_values=True)
        return urlencode([(k, MASK if k.lower() in SECRET_NAMES else v) for k, v in pairs])


class _Finder:
    """Which of many values a text holds, at a cost that does not grow with how many there
    are (a runner knows every customer's secrets: hundreds). A value stands in a text only
    inside a run of the characters values are made of, as long as the value at least; one
    regular expression finds those runs, and each run is looked up by the lengths of the
    values (sets), position by position. A run so long that this would cost more than asking
    for every value in turn (base64 of an attachment, say) is asked that way."""

    def __init__(self, needles: dict[str, str]) -> None:
        self.needles = needles  # as it stands in the text -> the value it is
        self.lengths: dict[int, frozenset[str]] = {}
        for n in needles:
            self.lengths.setdefault(len(n), frozenset())
        for m in self.lengths:
            self.lengths[m] = frozenset(n for n in needles if len(n) == m)
        self.sizes = sorted(self.lengths)
        chars = "".join(sorted({c for n in needles for c in n}))
        # One pattern per alphabet and shortest length: few over a process's life (the `re`
        # module caches what it compiles).
        self.runs = (
            re.compile(f"[{''.join(re.escape(c) for c in chars)}]{{{self.sizes[0]},}}")
            if needles
            else None
        )

    def among(self, text: str, values: tuple[str, ...]) -> tuple[str, ...]:
        """Those of `values` (every value, longest first) that `text` holds."""
        if self.runs is None or not text:
            return ()
        found: set[str] = set()
        for run in set(self.runs.findall(text)):
            size = len(run)
            if (size - self.sizes[0] + 1) * len(self.sizes) > len(self.needles):
                found.update(n for n in self.needles if n in run)
                continue
            for m in self.sizes:
                if m > size:
                    break
                same = self.lengths[m]
                found.update(run[i : i + m] for i in range(size - m + 1) if run[i : i + m] in same)
        if not found:
            return ()
        hit = {self.needles[n] for n in found}
        return tuple(v for v in values if v in hit)


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
