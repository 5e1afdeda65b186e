"""`duvi service install`: a systemd unit for `duvi run`, and the commands that enable it.

The unit pins the data directory and config file the installing shell uses (DUVI_HOME,
DUVI_CONFIG), so the service never opens another database than the one set up; further
settings (DUVI_WEBHOOK_SECRET, DUVI_ALERT_URLS, ...) go in the optional environment file
beside the config file (mode 0600). Type=notify with a watchdog: `duvi run` says READY=1 once
its receiver listens and pings WATCHDOG=1 (core/sdnotify.py), so systemd restarts a hung one.
Hardened: no new privileges, the whole file system read-only except the data directory, a
private /tmp; a system unit also sees /home read-only (a user unit lives in its home)."""

from __future__ import annotations

import getpass
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from core.config import Settings, config_file_path
from core.errors import ConfigError
from core.i18n import _

UNIT_NAME = "duvi.service"
WATCHDOG_SECONDS = 300  # a round blocks the loop at most for a store lock wait (60 s)
ENV_FILE_NAME = "duvi.env"


@dataclass(frozen=True)
class Installed:
    path: Path
    commands: list[str]  # what enables and starts it


def default_dir(user: bool) -> Path:
    if user:
        base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        return Path(base) / "systemd" / "user"
    return Path("/etc/systemd/system")


def duvi_executable() -> Path:
    """The `duvi` of this environment: beside the running Python (a venv's bin), else PATH's."""
    beside = Path(sys.executable).with_name("duvi")
    if beside.exists():
        return beside.absolute()
    found = shutil.which("duvi")
    if found is None:
        raise ConfigError(
            _("cannot find the duvi executable for the unit's ExecStart"),
            _(
                "run `duvi service install` through the installed duvi (e.g. `uv run duvi ...` "
                "in its project directory)"
            ),
        )
    return Path(found).absolute()


def unit_text(settings: Settings, *, user: bool, executable: Path) -> str:
    home = settings.home.absolute()
    config = config_file_path().absolute()
    env = [f"Environment=DUVI_HOME={_quoted(str(home))}"]
    if config.exists():  # DUVI_CONFIG naming a missing file is refused (finding D3)
        env.append(f"Environment=DUVI_CONFIG={_quoted(str(config))}")
    writable = {home, settings.database.absolute().parent}
    lines = [
        "# Written by `duvi service install`; README: Running as a service.",
        "[Unit]",
        "Description=duvi: automatic DUELL to Visma.net transfers and the webhook receiver",
        "After=network-online.target",
        "Wants=network-online.target",
        "",
        "[Service]",
        "Type=notify",
        "NotifyAccess=main",
        f"ExecStart={_quoted(str(executable))} run",
        *env,
        f"EnvironmentFile=-{_quoted(str(config.parent / ENV_FILE_NAME))}",
        f"WorkingDirectory={_quoted(str(home))}",
        "Restart=on-failure",
        "RestartSec=10",
        f"WatchdogSec={WATCHDOG_SECONDS}",
        "TimeoutStopSec=120",  # SIGTERM ends the round between departments
        "UMask=0077",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=" + " ".join(_quoted(str(p)) for p in sorted(writable)),
        "PrivateTmp=yes",
    ]
    if not user:
        account = getpass.getuser()
        if account != "root":
            lines.append(f"User={account}")
        lines += [
            "ProtectHome=read-only",
            "PrivateDevices=yes",
            "ProtectKernelTunables=yes",
            "ProtectKernelModules=yes",
            "ProtectControlGroups=yes",
            "RestrictSUIDSGID=yes",
            "LockPersonality=yes",
            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
        ]
    lines += ["", "[Install]", f"WantedBy={'default.target' if user else 'multi-user.target'}"]
    return "\n".join(lines) + "\n"


def _quoted(value: str) -> str:
    """A path as systemd reads it: quoted when it holds a space; a % doubled (specifiers)."""
    value = value.replace("%", "%%")
    return f'"{value}"' if any(c.isspace() for c in value) else value


def enable_commands(user: bool, written: Path | None = None) -> list[str]:
    """What enables and starts the unit; `written`: where --dir put it, when that is not
    systemd's directory (it must be copied there first, or systemctl finds no unit)."""
    ctl = "systemctl --user" if user else "systemctl"
    out = [
        f"{ctl} daemon-reload",
        f"{ctl} enable --now {UNIT_NAME}",
        f"{ctl} status {UNIT_NAME}",
        f"journalctl {'--user ' if user else ''}-u {UNIT_NAME} -f",
    ]
    if user:  # without lingering, a user's services stop when the user logs out
        out.insert(0, f"loginctl enable-linger {getpass.getuser()}")
    target = default_dir(user)
    if written is not None and written.parent.resolve() != target.resolve():
        copy = f"cp {written} {target}/" if user else f"sudo cp {written} {target}/"
        out.insert(0, (f"mkdir -p {target} && " if user else "") + copy)
    return out


def install(settings: Settings, *, user: bool, directory: Path | None = None) -> Installed:
    """Write the unit (replacing an older one) into `directory` (default: systemd's)."""
    sudo_user = os.environ.get("SUDO_USER")
    if not user and sudo_user and sudo_user != getpass.getuser():
        # Under sudo this shell's settings are root's: the unit would open root's database.
        raise ConfigError(
            _(
                "run by sudo for {sudo_user}: the unit would run as {user} on its data "
                "directory, not the one set up"
            ).format(sudo_user=sudo_user, user=getpass.getuser()),
            _(
                "as {sudo_user}: `duvi service install --dir .`, then `sudo cp duvi.service "
                "/etc/systemd/system/`"
            ).format(sudo_user=sudo_user),
        )
    target_dir = directory or default_dir(user)
    if not target_dir.is_dir():
        raise ConfigError(
            _("{path} is not a directory").format(path=target_dir),
            _("create it, or name another with --dir"),
        )
    path = target_dir / UNIT_NAME
    text = unit_text(settings, user=user, executable=duvi_executable())
    try:
        tmp = path.with_name(f".{UNIT_NAME}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o644)
        tmp.replace(path)
    except PermissionError:
        raise ConfigError(
            _("no permission to write {path}").format(path=path),
            _(
                "write it with --dir . and copy it there with sudo (`sudo cp duvi.service "
                "{directory}/`), or install a user unit with --user"
            ).format(directory=target_dir),
        ) from None
    return Installed(path, enable_commands(user, path))
