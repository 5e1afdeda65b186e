"""Every error shape Visma.net returns, as one VismaError with a remedy.

Shapes: {"message": "VismaId: <guid>. ..."}, the IPP envelope {ExceptionType,
ExceptionMessage, ExceptionFaultCode, ExceptionMessageID, ExceptionDetails}, OAuth errors from
Visma Connect {"error", "error_description"}, plain text, and empty bodies.
"""

from __future__ import annotations

import re

import httpx

from core.errors import RemoteError
from core.http import json_body

_VISMA_ID = re.compile(r"VismaId:\s*([0-9a-fA-F-]{8,})\.?\s*")

# What to do, from what Visma said, as data (Airbyte's default_error_mapping is the model): the
# fault code first (the most specific), then the status, then words in the message.
BY_FAULT: dict[str, str] = {
    "12027": "no licence for this company: ask the Visma partner to give the integration "
    "user access to the company, and check that the tenant id is the company's",
    "invalid_client": "the client id or secret is wrong: copy them again from the Visma "
    "Developer Portal (the secret is shown once when it is created)",
    "invalid_tenant": "the integration user lacks the 'API User' role in this company, or the "
    "tenant id is wrong: use the Company tenant id",
    "invalid_scope": "the integration client is not allowed every scope duvi asks for: enable "
    "them for the application in the Developer Portal, or narrow the visma_scopes setting",
}

BY_STATUS: dict[int, str] = {
    401: "the token was refused although it is valid: use the Company tenant id, not the "
    "Customer one (Visma Developer Portal -> the company's tenant id)",
    403: "the integration client lacks a scope or role for this operation",
    404: "the record does not exist in this company (check the number, or the company)",
    412: "the record changed in Visma since duvi read it: read it again and retry",
    429: "the Visma rate limit is used up: duvi waits for the next window by itself",
}
SERVER_FAILED = "Visma had an internal error: retry later; if it persists, give Visma the VismaId"
_MISSING = "create the missing record in Visma, or fix the mapping that points at it"
BY_MESSAGE: tuple[tuple[str, str], ...] = (  # (lower-case words, remedy)
    ("cannot be found", _MISSING),
    ("does not exist", _MISSING),
)
DEFAULT_REMEDY = "correct the data named in the message and send again"


class VismaError(RemoteError):
    def __init__(
        self,
        message: str,
        remedy: str = "",
        *,
        status: int | None = None,
        visma_id: str | None = None,
        fault_code: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message, remedy)
        self.status = status
        self.visma_id = visma_id
        self.fault_code = fault_code
        self.path = path

    @property
    def is_application_error(self) -> bool:
        """Visma's application answered (it has a VismaId or a fault code), not a gateway."""
        return bool(self.visma_id or self.fault_code)


class ActionFailedError(VismaError):
    """Visma answered an action (a release) with actionResult Failed; the message carries its
    errorInfo."""


class MalformedResponseError(VismaError):
    """A 2xx response whose body is not what the API documents."""


def error_from_response(response: httpx.Response) -> VismaError:
    status = response.status_code
    path = response.request.url.path if response.request else None
    text = response.text.strip() if response.content else ""
    message, visma_id, fault = "", None, None
    data = None
    if text.startswith(("{", "[")):
        try:
            data = json_body(response)
        except ValueError:
            data = None
    if isinstance(data, dict):
        if "ExceptionMessage" in data or "ExceptionFaultCode" in data:
            message = str(data.get("ExceptionMessage") or "")
            fault = str(data.get("ExceptionFaultCode") or "") or None
        elif "error" in data and isinstance(data["error"], str):
            fault = data["error"]
            message = str(data.get("error_description") or data["error"])
        elif "message" in data or "Message" in data:
            message = str(data.get("message") or data.get("Message") or "")
    elif text.startswith("<"):
        message = "an HTML page instead of JSON (a proxy or gateway answered)"
    elif text:
        message = text[:500]
    m = _VISMA_ID.search(message)
    if m:
        visma_id = m.group(1)
        message = _VISMA_ID.sub("", message, count=1).strip()
    if not message:
        message = f"HTTP {status} {response.reason_phrase or ''}".strip() + " with no details"
    return VismaError(
        f"Visma.net {status} on {path}: {message}",
        remedy_for(status, fault, message),
        status=status,
        visma_id=visma_id,
        fault_code=fault,
        path=path,
    )


def remedy_for(status: int, fault: str | None, message: str) -> str:
    if fault and fault in BY_FAULT:
        return BY_FAULT[fault]
    if status in BY_STATUS:
        return BY_STATUS[status]
    if status >= 500:
        return SERVER_FAILED
    lowered = message.lower()
    return next((remedy for words, remedy in BY_MESSAGE if words in lowered), DEFAULT_REMEDY)
