"""Budgets shared across processes (core/budgets.py): `duvi run --once` in its own process and
a console's "run now" (the facade, core/api.py, in this one) work on two departments of one
Visma company that share one integration client, against the served sandbox whose fixed window
is small. Together they stay inside it: Visma never answers 429."""

from __future__ import annotations

import math
import subprocess
import sys
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from core.api import ConsoleApi
from core.boot import ensure_sandbox_setup, set_up
from core.config import load_settings
from core.departments import Departments
from core.runtime import Runtime
from core.sandbox.world import sandbox_credentials
from tests.served import served_env, served_sandbox, store_duell_secrets

pytestmark = pytest.mark.slow

LIMIT, WINDOW = 40, 2.0  # Visma requests per (client, tenant) per window, in the sandbox
WORLD = ("--products", "40", "--customers", "40")


def visma_calls(dept: str) -> list[tuple[str, int | None]]:
    with Runtime.open(load_settings(sandbox=False)) as rt:
        return [
            (r["ts"], r["status"])
            for r in rt.store.query(
                "SELECT ts, status FROM http_calls WHERE system = 'visma' AND department_id = ? "
                "ORDER BY id",
                [dept],
            )
        ]


def test_a_runner_and_a_console_run_now_share_one_window_without_a_429(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with served_sandbox(*WORLD, "--rate-limit", str(LIMIT), "--rate-window", str(WINDOW)) as base:
        env = served_env(base)
        for k, v in env.items():
            if k.startswith("DUVI_"):
                monkeypatch.setenv(k, v)
        creds = sandbox_credentials(0)
        with Runtime.open(load_settings(sandbox=False)) as rt:
            depts = Departments(rt.store, rt.secrets)
            ensure_sandbox_setup(depts, creds)
            store_duell_secrets(rt)
            # Departments 2 and 3 use department 1's integration client: one (client, tenant),
            # one window, for the runner's departments 1 and 3 and the console's department 2.
            one = creds[0]
            shared = {
                "visma_client_id": one.visma_client_id,
                "visma_client_secret": one.visma_client_secret,
                "visma_tenant_id": one.visma_tenant_id,
            }
            set_up(depts, one, automatic_transfer=True)
            set_up(depts, replace(creds[1], **shared))
            set_up(depts, replace(creds[2], **shared), automatic_transfer=True)
        runner = subprocess.Popen(
            [sys.executable, "-m", "tui.cli", "run", "--once"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while not visma_calls("1"):  # the runner is at work on department 1
                assert runner.poll() is None, runner.communicate()
                assert time.monotonic() < deadline, "the runner made no Visma call in 60 s"
                time.sleep(0.05)
            api = ConsoleApi(load_settings(sandbox=False))
            try:
                summary = api.run("2")  # the console's "run now", in this process
            finally:
                api.close()
            out, err = runner.communicate(timeout=300)
        finally:
            if runner.poll() is None:
                runner.kill()
        assert runner.returncode == 0, out + err
        assert "department 2:" in summary
        assert "round: 2 departments in " in out  # 1 and 3: `duvi run --once` says so
        assert "department 1: " in out and " transfers in " in out

    ones, twos, threes = visma_calls("1"), visma_calls("2"), visma_calls("3")
    statuses = [s for _, s in ones + twos + threes]
    assert statuses.count(429) == 0
    # The two worked at once, and needed more than one window between them.
    assert twos[0][0] < ones[-1][0]
    assert len(statuses) > 2 * LIMIT
    # Inside the window on average too: n requests at LIMIT per WINDOW span at least
    # ceil(n / LIMIT) - 1 whole windows from the first to the last.
    times = sorted(
        datetime.fromisoformat(t.replace("Z", "+00:00")) for t, _ in ones + twos + threes
    )
    span = (times[-1] - times[0]).total_seconds()
    assert span >= (math.ceil(len(times) / LIMIT) - 1) * WINDOW
