"""Where alerts go: the apprise URLs of the `alert_urls` setting (e-mail, Slack, Teams, a JSON
webhook and the rest, by URL). The URLs hold credentials (a bot token, a mail password), so the
setting is a SecretStr and every URL is registered with the redactor before it is used: an
error that quotes one reaches no log, screen or support bundle."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from core.errors import ConfigError, RemoteError
from core.i18n import N_, said
from core.redact import redactor

if TYPE_CHECKING:
    from core.config import Settings

NoticeType = Literal["info", "success", "warning", "failure"]


def channel_urls(settings: Settings) -> list[str]:
    """The configured apprise URLs (none: alerts are evaluated and kept, not sent)."""
    if settings.alert_urls is None:
        return []
    return [u for u in re.split(r"[\s,]+", settings.alert_urls.get_secret_value()) if u]


def register_secrets(settings: Settings) -> None:
    """Every alert URL, the setting as written, and each part of a URL that may be a
    credential (a password, a token in the host or path or query: apprise puts them in any)
    are secrets to scrub everywhere. Parts shorter than SECRET_PART are left: scrubbing them
    would mangle ordinary words."""
    if settings.alert_urls is not None:
        redactor.add(settings.alert_urls.get_secret_value())
    for url in channel_urls(settings):
        redactor.add(url)
        for part in _parts(url):
            if len(part) >= SECRET_PART:
                redactor.add(part)


SECRET_PART = 8


def _parts(url: str) -> list[str]:
    try:
        u = urlsplit(url)
        parts = [u.username or "", u.password or "", u.hostname or ""]
    except ValueError:  # not a URL apprise would take either; the whole string is registered
        return []
    parts += u.path.split("/")
    parts += [v for _k, v in parse_qsl(u.query)]
    return [unquote(p) for p in parts if p]


def deliver(settings: Settings, title: str, body: str, kind: NoticeType = "warning") -> None:
    """Send one notice to every channel; RemoteError when any refused it or could not be
    reached (apprise says which in its own log, never with the URL in our log)."""
    import apprise

    register_secrets(settings)
    urls = channel_urls(settings)
    if not urls:
        raise ConfigError(
            said(N_("no alert channels are set up")),
            said(
                N_(
                    "set alert_urls (DUVI_ALERT_URLS) to one or more apprise URLs, e.g. "
                    "mailtos://user:password@example.com or slack://TOKEN_A/TOKEN_B/TOKEN_C"
                )
            ),
        )
    channels = apprise.Apprise()
    for n, url in enumerate(urls, 1):
        if not channels.add(url):
            raise ConfigError(
                said(
                    N_("alert channel {n} of {count} is not an apprise URL apprise knows"),
                    n=n,
                    count=len(urls),
                ),
                said(
                    N_(
                        "correct alert_urls (DUVI_ALERT_URLS); the apprise documentation lists "
                        "every service's URL form"
                    )
                ),
            )
    if not channels.notify(title=title, body=body, notify_type=kind):
        raise RemoteError(
            said(N_("an alert channel did not take the notice {title}"), title=repr(title)),
            said(
                N_(
                    "check the channel's URL and that this host reaches it; `duvi alerts test` "
                    "tries again"
                )
            ),
        )
