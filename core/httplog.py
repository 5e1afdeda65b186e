"""The HTTP log: every outbound call, redacted, batched into the store like the event log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.batchwriter import BatchWriter
from core.i18n import _, iso_text, number_text
from core.store import Store, utcnow

_INSERT = (
    "INSERT INTO http_calls (ts, system, department_id, run_id, method, path, status, "
    "duration_ms, bytes_out, bytes_in, visma_id, trace_id, error, request, response, subject) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
BODY_LIMIT = 16_384  # what the log keeps of a body; enough to read an error, not a whole page


@dataclass(frozen=True)
class HttpCall:
    system: str
    method: str
    path: str
    status: int | None
    duration_ms: float
    bytes_out: int
    bytes_in: int
    department_id: str | None = None
    run_id: int | None = None
    visma_id: str | None = None
    trace_id: str | None = None
    error: str | None = None
    request: str | None = None  # already redacted
    response: str | None = None  # already redacted
    subject: str | None = None  # the transfer (ledger key) the call was made for
    location: str | None = None  # the answer's Location header (a create's new record)


class HttpLog:
    def __init__(self, store: Store, *, flush_interval: float = 0.5) -> None:
        self.store = store
        self._writer = BatchWriter(store, _INSERT, flush_interval=flush_interval)

    def record(self, call: HttpCall) -> None:
        self._writer.add(
            (
                utcnow(),
                call.system,
                call.department_id,
                call.run_id,
                call.method,
                call.path,
                call.status,
                round(call.duration_ms, 2),
                call.bytes_out,
                call.bytes_in,
                call.visma_id,
                call.trace_id,
                call.error,
                _clip(call.request),
                _clip(_with_location(call.location, call.response)),
                call.subject,
            )
        )

    def flush(self) -> int:
        return self._writer.flush()

    def close(self) -> None:
        self._writer.close()

    def recent(self, limit: int = 100, before_id: int | None = None) -> list[dict[str, Any]]:
        if before_id is None:
            return self.store.query("SELECT * FROM http_calls ORDER BY id DESC LIMIT ?", [limit])
        return self.store.query(
            "SELECT * FROM http_calls WHERE id < ? ORDER BY id DESC LIMIT ?", [before_id, limit]
        )


# The answer's Location header is kept at the head of the logged response (the table has no
# column for headers): "Location: URL", then a blank line and the body, if any.
_LOCATION = "Location: "


def _with_location(location: str | None, body: str | None) -> str | None:
    if location is None:
        return body
    return _LOCATION + location + (f"\n\n{body}" if body else "")


def split_response(text: str | None) -> tuple[str | None, str | None]:
    """A logged response as (its Location header, its body)."""
    if text is None or not text.startswith(_LOCATION):
        return None, text
    head, _, body = text.partition("\n\n")
    return head.removeprefix(_LOCATION), body or None


def describe(call: dict[str, Any], *, body_limit: int | None = None) -> str:
    """One logged call as a person reads it, in the current language: the line (its time local,
    as the language writes it), then the redacted bodies (JSON indented)."""
    head = call_line(call["ts"], call["method"], call["path"], call["status"], call["duration_ms"])
    head += (f"  VismaId {call['visma_id']}" if call.get("visma_id") else "") + (
        f"  ({call['error']})" if call.get("error") else ""
    )
    parts = [head]
    location, response = split_response(call.get("response"))
    if call.get("request"):
        parts.append(_("request:") + "\n" + _pretty(call["request"])[:body_limit])
    if location:
        parts.append(_("response, Location: {location}").format(location=location))
    if response:
        parts.append(_("response:") + "\n" + _pretty(response)[:body_limit])
    return "\n".join(parts)


def call_line(
    ts: str, method: str, path: str, status: int | str | None, duration_ms: float | None = None
) -> str:
    """A logged call's line in the current language: its time (stored UTC) local, to the
    second (nb 02.12.2026 14:05:03), the request, and the answer's status and how long it took
    (nb "svar 201 etter 3,13 ms"; en "answer 201 after 3.13 ms"). A status that is no number
    (what went wrong, as a document's answers keep it) is said as no answer."""
    time = iso_text(ts, seconds=True)
    answered = status is not None and str(status).isdigit()
    values = {"time": time, "method": method, "path": path, "status": status}
    if duration_ms is None:
        return (
            _("{time}  {method} {path}  answer {status}")
            if answered
            else _("{time}  {method} {path}  no answer")
        ).format(**values)
    took = number_text(Decimal(str(duration_ms)), decimals=2)
    return (
        _("{time}  {method} {path}  answer {status} after {duration} ms")
        if answered
        else _("{time}  {method} {path}  no answer after {duration} ms")
    ).format(**values, duration=took)


def _pretty(body: str) -> str:
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= BODY_LIMIT:
        return text
    return text[:BODY_LIMIT] + f"… [{len(text) - BODY_LIMIT} more characters]"


def prune_http_calls(store: Store, keep_days: int, **kw: int) -> int:
    """The HTTP calls (and their bodies) older than `keep_days`."""
    from core.eventlog import days_ago, prune_oldest

    return prune_oldest(store, "http_calls", "ts", days_ago(keep_days), **kw)
