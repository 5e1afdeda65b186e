"""Every error shape Visma.net returns, as one VismaError with a remedy.

Shapes: {"message": "VismaId: <guid>. ..."}, the IPP envelope {ExceptionType,
ExceptionMessage, ExceptionFaultCode, ExceptionMessageID, ExceptionDetails}, OAuth errors from
Visma Connect {"error", "error_description"}, plain text, and empty bodies.
"""

from __future__ import annotations

import re

import httpx

from core.errors import DuviError
from core.http import json_body

_VISMA_ID = re.compile(r"VismaId:\s*([0-9a-fA-F-]{8,})\.?\s*")

REMEDIES = {
    "12027": "no licence for this company: ask the Visma partner to give the integration "
    "user access to the company, and check that the tenant id is the company's",
    "invalid_client": "the client id or secret is wrong: copy them again from the Visma "
    "Developer Portal (the secret is shown once when it is created)",
    "invalid_tenant": "the integration user lacks the 'API User' role in this company, or the "
    "tenant id is wrong: use the Company tenant id",
    "invalid_scope": "the integration client is not allowed the vismanet_erp_service_api "
    "scopes: enable them for the application in the Developer Portal",
}


class VismaError(DuviError):
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
        _remedy(status, fault, message),
        status=status,
        visma_id=visma_id,
        fault_code=fault,
        path=path,
    )


def _remedy(status: int, fault: str | None, message: str) -> str:
    if fault and fault in REMEDIES:
        return REMEDIES[fault]
    if status == 401:
        return (
            "the token was refused although it is valid: use the Company tenant id, not the "
            "Customer one (Visma Developer Portal -> the company's tenant id)"
        )
    if status == 403:
        return "the integration client lacks a scope or role for this operation"
    if status == 404:
        return "the record does not exist in this company (check the number, or the company)"
    if status == 412:
        return "the record changed in Visma since duvi read it: read it again and retry"
    if status == 429:
        return "the Visma rate limit is used up: duvi waits for the next window by itself"
    if status >= 500:
        return "Visma had an internal error: retry later; if it persists, give Visma the VismaId"
    if "cannot be found" in message.lower() or "does not exist" in message.lower():
        return "create the missing record in Visma, or fix the mapping that points at it"
    return "correct the data named in the message and send again"
