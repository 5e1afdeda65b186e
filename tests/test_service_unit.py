"""`duvi service install`: the systemd unit for `duvi run`, checked by systemd itself where
it is installed; and the notify protocol `duvi run` speaks to it (READY=1, WATCHDOG=1)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from core import daemon
from core.cli import run
from core.departments import Departments
from core.sdnotify import notify
from tests.sandbox_fixtures import Installation
from tests.test_cli_seams import free_port


def _unit(path: Path) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            keys.setdefault(k, []).append(v)
    return keys


def _verify(path: Path) -> None:
    """systemd-analyze verify: no complaint about our unit (it warns, exit 0, on unknown keys)."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    r = subprocess.run(
        ["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60
    )
    complaints = [ln for ln in (r.stdout + r.stderr).splitlines() if path.name in ln]
    assert r.returncode == 0 and complaints == [], r.stdout + r.stderr


@pytest.mark.parametrize("user", [False, True])
def test_install_writes_a_unit_systemd_accepts(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], user: bool
) -> None:
    target = tmp_path / "units"
    target.mkdir()
    assert run(["service", "install", "--dir", str(target), *(["--user"] if user else [])]) == 0
    unit = target / "duvi.service"
    keys = _unit(unit)
    assert keys["Type"] == ["notify"] and keys["Restart"] == ["on-failure"]
    assert keys["ExecStart"][0].endswith("/duvi run")
    assert keys["WatchdogSec"] == ["300"]
    assert keys["NoNewPrivileges"] == ["yes"] and keys["PrivateTmp"] == ["yes"]
    assert keys["ProtectSystem"] == ["strict"] and keys["ReadWritePaths"] == [str(home)]
    assert f"DUVI_HOME={home}" in keys["Environment"]
    assert f"DUVI_CONFIG={os.environ['DUVI_CONFIG']}" in keys["Environment"]
    assert keys["EnvironmentFile"] == [f"-{Path(os.environ['DUVI_CONFIG']).parent}/duvi.env"]
    assert keys.get("ProtectHome") == (None if user else ["read-only"])
    assert keys["WantedBy"] == ["default.target" if user else "multi-user.target"]
    said = capsys.readouterr().out
    ctl = "systemctl --user" if user else "systemctl"
    assert f"{ctl} enable --now duvi.service" in said and f"{ctl} daemon-reload" in said
    assert ("loginctl enable-linger" in said) == user
    # --dir wrote it outside systemd's directory: the first command copies it there
    systemd_dir = Path.home() / ".config/systemd/user" if user else Path("/etc/systemd/system")
    first = said.splitlines()[1].strip()
    assert first.endswith(f"cp {unit} {systemd_dir}/"), said
    _verify(unit)


def test_install_into_a_missing_directory_exits_3(tmp_path: Path) -> None:
    assert run(["service", "install", "--dir", str(tmp_path / "nowhere")]) == 3


def test_notify_reaches_an_abstract_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"duvi-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert notify("READY=1")
        assert sock.recv(100) == b"READY=1"
    monkeypatch.delenv("NOTIFY_SOCKET")
    assert not notify("READY=1")  # outside systemd: nothing, no error


async def test_duvi_run_says_ready_pings_the_watchdog_and_serves_healthz(
    installation: Installation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = installation.rt
    depts = Departments(rt.store, rt.secrets)
    dept = depts.get("1")
    assert dept is not None  # no work for the round: this test is about the protocol
    depts.save_settings("1", dept.settings.model_copy(update={"automatic_transfer": False}))
    rt.settings.webhook_port = port = free_port()
    path = tmp_path / "notify.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(path))
    listener.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", "200000")  # a ping every 0.1 s
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    serving = asyncio.create_task(daemon.serve_forever(rt, installation.connections, stop=stop))
    got: list[str] = []
    try:
        async with asyncio.timeout(60):
            while got.count("WATCHDOG=1") < 2:
                got.append((await loop.sock_recv(listener, 200)).decode())
        assert got[0].splitlines()[0] == "READY=1"
        async with httpx.AsyncClient() as client:
            r = await client.get(f"http://127.0.0.1:{port}/healthz")
        assert r.status_code == 200 and r.json()["status"] == "ok"
    finally:
        stop.set()
        await asyncio.wait_for(serving, 60)
    async with asyncio.timeout(10):
        while "STOPPING=1" not in got:
            got.append((await loop.sock_recv(listener, 200)).decode())
    listener.close()


def test_install_under_sudo_for_another_user_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import getpass

    monkeypatch.setenv("SUDO_USER", getpass.getuser() + "-not")  # root's settings, not theirs
    assert run(["service", "install", "--dir", str(tmp_path)]) == 3
    assert "--dir ." in capsys.readouterr().err and not (tmp_path / "duvi.service").exists()
