"""DUELL's failures: `{"status": false, "message", "code", "validation_message"}` (often with
HTTP 200), `status: true` beside a validation message (part of a write was refused), AWS WAF's
block (405 or 202 with `x-amzn-waf-action`, or an HTML captcha page), and empty bodies."""

from __future__ import annotations

from core.errors import RemoteError


class DuellError(RemoteError):
    def __init__(
        self,
        message: str,
        remedy: str = "",
        *,
        status: int | None = None,
        validation: str | None = None,
        path: str | None = None,
        code: int | None = None,
    ) -> None:
        super().__init__(message, remedy)
        self.status = status
        self.validation = validation
        self.path = path
        self.code = code  # the body's `code` (DUELL's own plugin re-logs in on 401/403)

    @property
    def unauthorised(self) -> bool:
        """DUELL refused the access token: by HTTP status or by the body's `code`."""
        return self.status in AUTH_CODES or self.code in AUTH_CODES


class DuellBlockedError(DuellError):
    """AWS WAF stopped the request (a CAPTCHA or Challenge) before it reached the API."""


class DuellPartialError(DuellError):
    """`status: true` with a validation message: DUELL did part of a write and refused the
    rows the message names (DUELL's own plugin counts such an answer as a failure)."""


AUTH_CODES = (401, 403)


BLOCKED_REMEDY = (
    "blocked by DUELL's firewall: ask DUELL to whitelist this host's IP (DUELL's WAF blocks "
    "data-centre addresses; the access token is also bound to the IP that fetched it)"
)

NOT_FOUND_REMEDY = (
    "DUELL has no such endpoint: check the DUELL base URL (https://api.kasseservice.no/v1); "
    "Z-reports and invoice bases have no public DUELL endpoint (README: the sandbox), so a "
    "real account reads them from a SAF-T file"
)

# What to do, from how DUELL answered, as data (Airbyte's default_error_mapping is the model).
_CREDENTIALS = (
    "check the client number and API token (DUELL Admin -> API-oppsett); the "
    "token is bound to the IP that fetched it"
)
BY_STATUS: dict[int, str] = {
    401: _CREDENTIALS,
    403: _CREDENTIALS,
    429: "DUELL's rate limit is used up: duvi waits and tries again by itself",
}
VALIDATION_REMEDY = "correct the data DUELL names and send again"
DEFAULT_REMEDY = "retry later; if it persists, contact DUELL support with the message"


def remedy_for(status: int, validation: object, code: int | None = None) -> str:
    if code in AUTH_CODES:
        return _CREDENTIALS
    if status in BY_STATUS:
        return BY_STATUS[status]
    return VALIDATION_REMEDY if validation else DEFAULT_REMEDY
