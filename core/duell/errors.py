"""DUELL's failures: `{"status": false, "message", "validation_message"}` (often with HTTP
200), an HTML captcha page when AWS WAF blocks the host, and empty bodies."""

from __future__ import annotations

from core.errors import DuviError


class DuellError(DuviError):
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
