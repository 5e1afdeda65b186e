"""Redaction: no secret or token reaches the log, the HTTP log, a screen or a bundle.

Two layers: names that are always secret (headers, form fields, JSON keys), and the values of
secrets this process knows (registered when read or received), scrubbed from any text.
"""

from __future__ import annotations

import re
import threading
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


class Redactor:
    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str | None) -> None:
        """Remember a secret value (a client secret, a received token) to scrub everywhere."""
        if not value or len(value) < 6:  # too short to scrub without mangling ordinary text
            return
        with self._lock:
            if value not in self._values:
                self._values.add(value)
                alts = sorted(self._values, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(v) for v in alts))

    def text(self, text: str) -> str:
        pattern = self._pattern
        return pattern.sub(MASK, text) if pattern and text else text

    def headers(self, headers: Any) -> dict[str, str]:
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
