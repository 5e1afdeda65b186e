"""duvi's settings: one pydantic-settings model, read from (highest first)

    arguments given in code  >  DUVI_* environment  >  .env  >  the TOML config file  >  defaults

The config file is `$XDG_CONFIG_HOME/duvi/config.toml` unless `DUVI_CONFIG` names another; the
`.env` is the one beside it, never the working directory's.
Department credentials are not settings: they live in the secrets file (see core/secrets.py).
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings.exceptions import SettingsError

from core.errors import ConfigError
from core.i18n import N_, _, set_language

APP_NAME = "duvi"


def config_file_path() -> Path:
    """Where the TOML config file is read from: `DUVI_CONFIG`, else the XDG config dir."""
    explicit = os.environ.get("DUVI_CONFIG")
    if explicit is None:
        return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"
    if not explicit.strip():
        raise ConfigError(
            _("DUVI_CONFIG is set but empty"),
            _("name the config file, or unset DUVI_CONFIG to use {path}").format(
                path=Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"
            ),
        )
    return Path(explicit).expanduser()


def dotenv_path() -> Path:
    """The `.env` read: beside the config file. Never the working directory's, where any
    `.env` left behind could redirect the services, and the credentials sent to them."""
    return config_file_path().parent / ".env"


def _default_home() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


class Settings(BaseSettings):
    """Every knob of duvi. Each field's description is what `duvi config` explains."""

    model_config = SettingsConfigDict(
        env_prefix="DUVI_",
        extra="forbid",
        validate_default=True,
    )

    home: Path = Field(
        default_factory=_default_home,
        description="Data directory: database, secrets, support bundles (DUVI_HOME).",
    )
    db_path: Path | None = Field(
        default=None, description="SQLite database file. Default: <home>/duvi.db."
    )
    secrets_file: Path | None = Field(
        default=None,
        description="Department credentials, mode 0600. Default: <home>/secrets.json.",
    )
    language: Literal["nb", "en"] | None = Field(
        default=None,
        description="The console's and the command line's language: nb (Norwegian bokmål) or "
        "en. Unset: the locale's (LC_ALL, LC_MESSAGES, LANG; nb, nn or no give nb), else en.",
    )
    sandbox: bool = Field(
        default=True,
        description="Talk to the built-in simulation of DUELL and Visma.net instead of the real "
        "services. Turn off only with real credentials set up.",
    )
    duell_base_url: str = Field(
        default="https://api.kasseservice.no/v1", description="DUELL API base URL."
    )
    visma_base_url: str = Field(
        default="https://api.finance.visma.net",
        description="Visma.net ERP API base URL (paths /v1/..., /v2/... follow it).",
    )
    connect_base_url: str = Field(
        default="https://connect.visma.com",
        description="Visma Connect (token endpoint /connect/token) base URL.",
    )
    connect_timeout: float = Field(
        default=10.0, gt=0, description="Seconds to wait for a TCP/TLS connection."
    )
    request_timeout: float = Field(
        default=60.0, gt=0, description="Seconds to wait for one HTTP response."
    )
    ca_bundle: Path | None = Field(
        default=None,
        description="Extra CA bundle (PEM) for TLS. Certificate checks are always on.",
    )
    retry_base_delay: float = Field(
        default=0.5,
        gt=0,
        le=60,
        description="Seconds before the first retry of a failed call; doubled per attempt "
        "(with jitter, up to 30 s, at most 6 attempts).",
    )
    concurrency: int = Field(
        default=4, ge=1, le=64, description="Requests in flight at once, per service."
    )
    visma_rate_budget: int = Field(
        default=15000,
        ge=1,
        description="Visma.net requests allowed per hour per (client, tenant); pacing keeps "
        "below it even before the server's rate-limit headers are seen.",
    )
    visma_scopes: tuple[Literal["read", "create", "update", "delete"], ...] = Field(
        default=("read", "create", "update"),
        min_length=1,
        description="Visma Connect scopes duvi asks for (vismanet_erp_service_api:<name>); "
        "the integration client must have every one in the Developer Portal. duvi deletes "
        'nothing, so "delete" is left out.',
    )
    duell_rate_budget: int = Field(
        default=6000, ge=1, description="DUELL requests allowed per hour."
    )
    duell_product_category: str = Field(
        default="DIVERSE",
        min_length=1,
        max_length=100,
        description="The DUELL product category a product created from Visma goes to (created "
        "once in DUELL when missing), as DUELL's own plugin does with DIVERSE.",
    )
    sync_interval_minutes: int = Field(
        default=5, ge=1, description="How often `duvi run` looks for new work."
    )
    # -- the runner's concurrency (core/runner.py) --
    runner_concurrency: int = Field(
        default=16,
        ge=1,
        le=512,
        description="Departments `duvi run` works on at once (each one worker, its steps in "
        "order); a department waiting for its company's rate budget gives its place to the "
        "next one meanwhile.",
    )
    runner_processes: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Processes a round of `duvi run` is spread over, a Visma company's "
        "departments in one; `runner_concurrency` is shared out between them. More than one "
        "helps a host with hundreds of departments, whose round needs more than one core; "
        "the built-in sandbox always uses one.",
    )
    inbox_poll_seconds: float = Field(
        default=10,
        gt=0,
        le=3600,
        description="How often `duvi run` looks at the SAF-T inboxes; a file is imported "
        "once it is the same at two looks in a row.",
    )
    retention_event_days: int = Field(
        default=90,
        ge=1,
        le=36500,  # a century; more overflows a date (OverflowError, not a message)
        description="Days the event log (and handled webhook notifications) are kept; the "
        "ledger and the audit trail are kept for ever.",
    )
    retention_http_days: int = Field(
        default=14,
        ge=1,
        le=36500,  # a century; more overflows a date (OverflowError, not a message)
        description="Days the HTTP log (every call with its redacted bodies) is kept.",
    )
    webhook_host: str = Field(
        default="127.0.0.1", description="Address the webhook receiver listens on."
    )
    webhook_port: int = Field(default=8765, ge=1, le=65535, description="Its port.")
    webhook_signature_key: SecretStr | None = Field(
        default=None,
        description="The signature key the Visma Developer Portal generated for the webhook "
        "subscription: each notification must carry base64(HMAC-SHA256(key, body)) in "
        "webhook_signature_header.",
    )
    webhook_signature_header: str = Field(
        default="X-Signature",
        pattern=r"^[A-Za-z0-9-]{1,64}$",
        description="The header the portal's signature comes in (not published for Visma.net "
        "ERP: inferred; check one test notification and set what it carries).",
    )
    webhook_path_secret: SecretStr | None = Field(
        default=None,
        description="A secret last segment of the webhook URL: the portal subscription then "
        "posts to /webhooks/visma/<secret>, and any other path is refused.",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Replaced by webhook_path_secret (Visma's portal sends no custom "
        "header); a value set here is used as webhook_path_secret.",
    )
    alert_urls: SecretStr | None = Field(
        default=None,
        description="Where alerts go: apprise URLs separated by spaces or commas (mailtos://, "
        "slack://, msteams://, json://...); they hold credentials, so they are a secret.",
    )
    period_close_warn_days: int = Field(
        default=5,
        ge=0,
        le=60,
        description="Doctor and the alerts warn of documents not released in Visma whose "
        "financial period (Visma's) ends within this many days, or has ended and is not "
        "closed; 0 turns the warning off.",
    )
    alert_repeat_hours: int = Field(
        default=24,
        ge=0,
        le=8760,
        description="An alert nobody acknowledged is sent again after this many hours while "
        "its state holds; 0 sends it once per change of state only.",
    )
    theme: str = Field(
        default="auto",
        description="Console theme; 'auto' picks textual-dark on truecolor terminals and "
        "ansi-dark (the terminal's own 16 colours) elsewhere.",
    )
    mouse: bool = Field(default=True, description="Mouse support (off saves bandwidth over SSH).")
    animations: Literal["none", "basic", "full"] = Field(
        default="none", description="Console animations; none suits SSH."
    )
    read_only: bool = Field(
        default=False, description="Refuse every changing action (console and command line)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Lowest level written to the event log."
    )
    keymap: dict[str, str] = Field(
        default_factory=dict,
        description='Console key overrides: binding id -> keys, e.g. {"run-now" = "r"}.',
    )

    @field_validator("home", "db_path", "secrets_file", mode="before")
    @classmethod
    def _not_empty(cls, value: Any) -> Any:
        """`DUVI_HOME=` is a mistake, not the working directory (a new, empty ledger there)."""
        if isinstance(value, str) and not value.strip():
            raise ValueError(
                _("is empty (set to nothing): unset it to use the default, or name a path")
            )
        return value

    @field_validator("duell_base_url", "visma_base_url", "connect_base_url")
    @classmethod
    def _https_unless_loopback(cls, url: str) -> str:
        check_service_url(url)
        return url

    @model_validator(mode="after")
    def _derive_paths(self) -> Settings:
        self.home = self.home.expanduser()
        if self.db_path is None:
            self.db_path = self.home / "duvi.db"
        if self.secrets_file is None:
            self.secrets_file = self.home / "secrets.json"
        return self

    @property
    def path_secret(self) -> SecretStr | None:
        """The webhook URL's secret segment: webhook_path_secret, else the value of the old
        webhook_secret (its header is gone: Visma's Developer Portal sends a signature, not
        custom headers; docs/visma-net-api.md §10, findings 2026-12-visma B23)."""
        for value in (self.webhook_path_secret, self.webhook_secret):
            if value is not None and value.get_secret_value():
                return value
        return None

    def deprecations(self) -> list[str]:
        """Settings still read under an old name, each with what to do (doctor, `duvi run`)."""
        if (
            self.webhook_secret is None
            or not self.webhook_secret.get_secret_value()
            or self.webhook_path_secret is not None
        ):
            return []
        return [
            "webhook_secret is no longer a header: Visma's Developer Portal cannot send it. "
            "Its value now guards the webhook URL: give the portal subscription "
            "https://<your host>/webhooks/visma/<that secret>, rename the setting to "
            "webhook_path_secret (DUVI_WEBHOOK_PATH_SECRET), and set webhook_signature_key "
            "to the signature key the portal generated"
        ]

    @property
    def database(self) -> Path:
        assert self.db_path is not None
        return self.db_path

    @property
    def secrets(self) -> Path:
        assert self.secrets_file is not None
        return self.secrets_file

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return _sources(settings_cls, init_settings, env_settings)


def _sources(
    settings_cls: type[BaseSettings],
    init_settings: PydanticBaseSettingsSource,
    env_settings: PydanticBaseSettingsSource,
) -> tuple[PydanticBaseSettingsSource, ...]:
    """The sources in precedence order; `explain()` reads the same ones, so it cannot drift."""
    return init_settings, env_settings, _dotenv_source(settings_cls), _toml_source(settings_cls)


def _dotenv_source(settings_cls: type[BaseSettings]) -> PydanticBaseSettingsSource:
    path = dotenv_path()
    if not path.exists():  # no values, without pydantic-settings' work field by field
        return InitSettingsSource(settings_cls, init_kwargs={})
    from core.fsutil import check_private

    check_private(path)  # it can hold the webhook secret and steer URLs, like config.toml
    return DotEnvSettingsSource(settings_cls, env_file=path, env_file_encoding="utf-8")


def _toml_source(settings_cls: type[BaseSettings]) -> PydanticBaseSettingsSource:
    path = config_file_path()
    _check_toml(path)
    return TomlConfigSettingsSource(settings_cls, toml_file=path)


def _check_toml(path: Path) -> None:
    """Refuse a config file other users can read or write (it steers where secrets and the
    store live); turn an unreadable one into a message that names the file and the line.
    One that DUVI_CONFIG names must exist: silently running on the defaults (sandbox mode,
    another home) is how a live database met the simulator's data (finding D3)."""
    if not path.exists():
        if os.environ.get("DUVI_CONFIG") is not None:
            raise ConfigError(
                _("config file {path} (named by DUVI_CONFIG) does not exist").format(path=path),
                _("correct DUVI_CONFIG, or unset it to use the default config file; nothing ran"),
            )
        return
    from core.fsutil import check_private

    check_private(path)
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            _("config file {path} is not valid TOML: {error}").format(path=path, error=exc),
            _("fix the line named above, or move the file away to use the defaults"),
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            _("cannot read config file {path}: {error}").format(path=path, error=exc),
            _("check the file's owner and mode"),
        ) from None


LOOPBACK_NAMES = ("localhost",)


def check_service_url(url: str) -> None:
    """Refuse a service URL that would send credentials in cleartext: https:// always, plain
    http:// only to this host (the served sandbox on 127.0.0.0/8, ::1 or localhost)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise ValueError(
            _("{url} is not a URL ({error}); write it as https://host/path").format(
                url=repr(url), error=exc
            )
        ) from None
    if not host:
        raise ValueError(
            _("{url} has no host; write it as https://host/path").format(url=repr(url))
        )
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and _is_loopback(host):
        return
    raise ValueError(
        _(
            "{url} must start with https:// (plain http:// is allowed only to 127.0.0.1, ::1 "
            "or localhost, the served sandbox): credentials would otherwise travel in cleartext"
        ).format(url=repr(url))
    )


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name: resolving it here would trust whatever DNS answers
        return False


_EXAMPLES = {"keymap": N_(""", e.g. DUVI_KEYMAP='{"run-now": "r"}'""")}


def load_settings(**overrides: Any) -> Settings:
    """Build Settings, turning every validation problem into one clear ConfigError."""
    try:
        settings = Settings(**overrides)
    except SettingsError as exc:  # a value that is not even JSON, before validation
        found = re.search(r'field "(\w+)" from source "(\w+)"', str(exc))
        field, source = found.groups() if found else ("(settings)", "")
        where = f"DUVI_{field.upper()}" if source.startswith(("Env", "DotEnv")) else field
        cause = f" ({exc.__cause__})" if exc.__cause__ else ""
        raise ConfigError(
            _("invalid settings: {name} is not valid JSON{cause}").format(name=where, cause=cause),
            _(
                "write it as JSON{example}, or unset it; check your DUVI_* environment and {dotenv}"
            ).format(
                example=_(_EXAMPLES[field]) if field in _EXAMPLES else "", dotenv=dotenv_path()
            ),
        ) from None
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(settings)"
            if err["type"] == "extra_forbidden":
                problems.append(_("unknown setting {name}").format(name=repr(field)))
            else:
                problems.append(f"{field}: {err['msg'].removeprefix('Value error, ')}")
        raise ConfigError(
            _("invalid settings: {problems}").format(problems="; ".join(problems)),
            _(
                "check {config}, your DUVI_* environment and {dotenv}; "
                "`duvi config --help` lists every setting"
            ).format(config=config_file_path(), dotenv=dotenv_path()),
        ) from None
    set_language(settings.language)
    return settings


@dataclass(frozen=True)
class EffectiveValue:
    name: str
    value: str
    source: str
    description: str


def explain(settings: Settings, overrides: dict[str, Any] | None = None) -> list[EffectiveValue]:
    """Each setting's effective value (secrets masked) and the source it came from, read from
    the very sources `Settings` is built from, in the same order."""
    sources = _sources(
        Settings,
        InitSettingsSource(Settings, init_kwargs=dict(overrides or {})),
        EnvSettingsSource(Settings),
    )
    labels = (
        "argument",
        "environment",
        f".env {dotenv_path()}",
        f"config file {config_file_path()}",
    )
    layers = [(label, source()) for label, source in zip(labels, sources, strict=True)]
    out = []
    for name, field in Settings.model_fields.items():
        source = next((label for label, values in layers if name in values), "default")
        if source == "default" and name in ("db_path", "secrets_file"):
            source = "default (under home)"
        out.append(
            EffectiveValue(name, _show(getattr(settings, name)), source, field.description or "")
        )
    return out


def _show(value: Any) -> str:
    if isinstance(value, SecretStr):
        return "**********"
    if value is None:
        return "(not set)"
    return str(value)
