"""DUELL's failures: `{"status": false, "message", "validation_message"}` (often with HTTP
200), an HTML captcha page when AWS WAF blocks the host, and empty bodies."""

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
    ) -> None:
        super().__init__(message, remedy)
        self.status = status
        self.validation = validation
        self.path = path


class DuellBlockedError(DuellError):
    """The WAF answered with an HTML (captcha) page instead of the API."""


BLOCKED_REMEDY = (
    "blocked by DUELL's firewall: ask DUELL to whitelist this host's IP (DUELL's WAF blocks "
    "data-centre addresses; the access token is also bound to the IP that fetched it)"
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


def remedy_for(status: int, validation: object) -> str:
    if status in BY_STATUS:
        return BY_STATUS[status]
    return VALIDATION_REMEDY if validation else DEFAULT_REMEDY
