"""`duvi sandbox serve` as a real subprocess on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served_sandbox(*args: str) -> Iterator[str]:
    """Yields the base URL once the server accepts connections (bounded wait on the port)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "sandbox", "serve", "--port", str(port), *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60  # a loaded machine starts it slowly
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()  # reading the pipes of a live process would wait for ever
                    _, err = proc.communicate(timeout=10)
                    raise RuntimeError(f"sandbox did not start: {err}") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def served_env(base: str, **extra: str) -> dict[str, str]:
    """The environment of a duvi process that talks to the served sandbox at `base`."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DUVI_SANDBOX": "false",
        "DUVI_VISMA_BASE_URL": f"{base}/visma",
        "DUVI_CONNECT_BASE_URL": f"{base}/connect",
        "DUVI_DUELL_BASE_URL": f"{base}/duell/v1",
        **extra,
    }


def store_duell_secrets(rt) -> None:  # type: ignore[no-untyped-def]
    """The served sandbox's DUELL account, as setup stores it (seed 0)."""
    from pydantic import SecretStr

    from core.connections import DUELL_SECRETS
    from core.sandbox.world import DUELL_CLIENT_NUMBER

    rt.secrets.set(DUELL_SECRETS, "client_number", SecretStr(DUELL_CLIENT_NUMBER))
    rt.secrets.set(DUELL_SECRETS, "client_token", SecretStr("duell-api-token-0-sandbox"))
