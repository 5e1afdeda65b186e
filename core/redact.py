"""Redaction: no secret or token reaches the log, the HTTP log, a screen or a bundle.

Two layers: names that are always secret (headers, form fields, JSON keys), and the values of
secrets this process knows (registered when read or received), scrubbed from any text.
"""

from __future__ import annotations

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
        self._values: tuple[str, ...] = ()  # longest first, so a secret inside another goes too

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
        self._values = tuple(sorted(self._secrets | set(self._tokens), key=len, reverse=True))

    def text(self, text: str) -> str:
        if not text:
            return text
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {
            k: (MASK if k.lower() in SECRET_NAMES else self.text(v)) for k, v in headers.items()
        }

    def data(self, value: Any) -> Any:
        """Redact a parsed JSON value: secret keys masked, known values scrubbed."""
        if isinstance(value, dict):
            return {
                k: (MASK if str(k).lower() in SECRET_NAMES else self.data(v))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.data(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def form(self, body: str) -> str:
        pairs = parse_qsl(body, keep_blank_values=True)
        return urlencode([(k, MASK if k.lower() in SECRET_NAMES else v) for k, v in pairs])


# One per process: secrets are process-wide facts.
redactor = Redactor()
