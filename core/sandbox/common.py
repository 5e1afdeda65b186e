"""Pieces every simulated service shares: a clock, JSON with exact numbers, fixed-window
rate limits, and value unwrapping."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from starlette.responses import Response

OSLO = ZoneInfo("Europe/Oslo")


class Clock:
    """Visma-style local timestamps (no zone), strictly increasing so delta filters are exact."""

    def __init__(self) -> None:
        self._last: datetime | None = None
        self._lock = threading.Lock()
        self.offset = timedelta()  # doctor tests skew the sandbox clock

    def now(self) -> datetime:
        with self._lock:
            now = datetime.now(OSLO).replace(tzinfo=None) + self.offset
            now = now.replace(microsecond=now.microsecond // 1000 * 1000)
            if self._last is not None and now <= self._last:
                now = self._last + timedelta(milliseconds=1)
            self._last = now
            return now

    def stamp(self) -> str:
        return self.now().isoformat(timespec="milliseconds")


def forget_expired(
    tokens: dict[str, Any], now: float, expires: Callable[[Any], float]
) -> list[str]:
    """Drop the expired tokens at the front of `tokens` (in the order issued); returns them.
    Tokens are issued with one lifetime, so they expire in the order issued and each is
    looked at about once: copying the whole dict on every token issued (as before) cost the
    served scale world more a request the more departments had signed in. A lifetime changed
    on the way (a test's) may keep an expired token until those before it expire; whoever
    reads a token checks its expiry anyway."""
    gone: list[str] = []
    for token, value in tokens.items():
        if expires(value) > now:
            break
        gone.append(token)
    for token in gone:
        del tokens[token]
    return gone


def json_default(value: Any) -> Any:
    """The simulated wire's JSON numbers: the one place a Decimal becomes a float."""
    if isinstance(value, Decimal):
        return float(value)  # amounts are quantised; see core/visma/wire.py
    raise TypeError(type(value).__name__)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, default=json_default, ensure_ascii=False).encode()
    return Response(body, status, headers=headers, media_type="application/json; charset=utf-8")


def parse_json(raw: bytes) -> Any:
    return json.loads(raw, parse_float=Decimal) if raw else None


def unwrap(value: Any) -> Any:
    """{"value": X} -> X, recursively; the sandbox stores plain values."""
    if isinstance(value, dict):
        if set(value) == {"value"}:
            return unwrap(value["value"])
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


@dataclass
class FixedWindow:
    """A fixed-window request budget per key, as Visma's '4-fixed-window' policy."""

    limit: int
    window: float
    _windows: dict[Hashable, tuple[float, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    rejected: int = 0
    closed: list[int] = field(default_factory=list)  # requests let through per ended window

    def take(self, key: Hashable) -> tuple[bool, int, float]:
        """Count one request; returns (allowed, remaining, seconds until the window resets)."""
        now = time.monotonic()
        with self._lock:
            start, used = self._windows.get(key, (now, 0))
            if now - start >= self.window:
                self.closed.append(used)
                start, used = now, 0
            reset = max(0.0, start + self.window - now)
            if used >= self.limit:
                self.rejected += 1
                return False, 0, reset
            used += 1
            self._windows[key] = (start, used)
            return True, self.limit - used, reset

    def used(self) -> dict[Hashable, int]:
        """Requests let through in each key's current window."""
        with self._lock:
            return {key: used for key, (_, used) in self._windows.items()}

    def resets_in(self) -> dict[Hashable, float]:
        """Seconds until each key's current window ends (0: it has ended)."""
        now = time.monotonic()
        with self._lock:
            return {
                key: max(0.0, start + self.window - now)
                for key, (start, _) in self._windows.items()
            }
