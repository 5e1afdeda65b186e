"""The Visma.net wire format: write bodies, JSON with exact money, timestamps.

Write DTOs wrap every value as {"value": X}, nested objects too
({"mainAddress": {"value": {"addressLine1": {"value": "..."}}}}). Sent bare: arrays (their
dict items are wrapped the same way), `operation`, `overrideWithClassValues`, subaccount
segment items {segmentId, segmentValue}, and a few whole objects (see BARE_KEYS). Unset
fields are omitted: sending null changes data in Visma. Source: the spec's README
(core/sandbox/specs/README.md); docs/visma-net-api.md §4 [S1 customer example, S2
VismaMutationRequest, S5, S7].
"""

from __future__ import annotations

import base64
import json
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

from pydantic import BaseModel

BARE_KEYS = frozenset(
    {"operation", "overrideWithClassValues", "rotRutDetails", "packaging", "intrastat"}
)


def is_segment_list(key: str) -> bool:
    """`subaccount`, `salesSubaccount`, `cogsSubaccount`...: lists of bare segment items."""
    return key.lower().endswith("subaccount")


def wrap(fields: dict[str, Any]) -> dict[str, Any]:
    """The one function that turns plain fields into a Visma write body."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if value is None:
            continue
        if key in BARE_KEYS:
            out[key] = value
        elif isinstance(value, list):
            if is_segment_list(key):
                out[key] = value
            else:
                out[key] = [wrap(v) if isinstance(v, dict) else v for v in value]
        elif isinstance(value, dict):
            out[key] = {"value": wrap(value)}
        else:
            out[key] = {"value": value}
    return out


def body(model: BaseModel) -> dict[str, Any]:
    """A write model as a Visma write body (camelCase names, unset fields omitted)."""
    return wrap(model.model_dump(by_alias=True, exclude_none=True, mode="python"))


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Money leaves as a JSON number. float() is exact here: every amount is quantised to
        # at most 4 decimals and 15 significant digits, which a double round-trips.
        return float(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} to Visma")


def dumps(data: Any) -> bytes:
    return json.dumps(data, default=_default, ensure_ascii=False, separators=(",", ":")).encode()


def loads(raw: bytes | str) -> Any:
    """Parse a Visma response; numbers with a fraction become Decimal, never float."""
    return json.loads(raw, parse_float=Decimal)


def format_datetime(value: datetime) -> str:
    """Visma wants timestamps without a time zone: yyyy-MM-ddTHH:mm:ss.fff (docs/visma-net-api.md
    §4 [S5 commit 862c880, S4])."""
    return value.replace(tzinfo=None).isoformat(timespec="milliseconds")


def format_date(value: date) -> str:
    """Dates in write bodies: midnight, no time zone."""
    return f"{value.isoformat()}T00:00:00"


def unwrap(value: Any) -> Any:
    """A write body back to plain fields ({"value": X} -> X, recursively): how duvi reads the
    requests its HTTP log kept (the sandbox, the other side of the wire, has its own)."""
    if isinstance(value, dict):
        if set(value) == {"value"}:
            return unwrap(value["value"])
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


# -- resource ids in paths --------------------------------------------------------------------
# Visma: "a method for retrieving resources with base64url encoded values has been available
# for all resource endpoints" since 8.19; ids with reserved characters (: / ? # [ ] @ & * + ;)
# fail as plain path text and go as b64(<base64url, unpadded>), e.g. ":/?#[]@&*+;" ->
# b64(Oi8_I1tdQCYqKzs). Source: community.visma.com, Knowledge base in Developers Visma.net
# ("resources with base64url encoded values"; findings/2026-12-visma.md S14, T5). That a
# percent-encoded reserved character fails too is inferred. duvi sends every id that is not
# plain (letters, digits, . _ -) as b64(); the KB shows it for any resource endpoint.
_PLAIN_ID = re.compile(r"[A-Za-z0-9._-]+")
_B64_ID = re.compile(r"b64\(([A-Za-z0-9_-]*)\)")


def path_id(value: str) -> str:
    """A resource id as one path segment: as it is when plain, else b64(<base64url>)."""
    if _PLAIN_ID.fullmatch(value):
        return value
    encoded = base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")
    return f"b64({encoded})"


def from_path_id(segment: str) -> str:
    """The id a path segment names (a Location header's last segment): b64() decoded,
    percent-escapes undone."""
    m = _B64_ID.fullmatch(segment)
    if m is None:
        return unquote(segment)
    raw = m.group(1)
    return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
