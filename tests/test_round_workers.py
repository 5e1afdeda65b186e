"""A round spread over processes (`runner_processes`, core/round_workers.py), against the served
scale sandbox: every department's Z-report is posted once, whichever process takes it, also
when a worker process is killed in the middle of its departments, and SIGTERM to `duvi run`
ends the round between departments in its workers too. The sandbox counts the journals each
Visma company holds: a Z-report posted twice would show there, whatever our ledger says."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from core.config import load_settings
from core.runner import ROUND_COMPONENT
from core.runtime import Runtime
from core.sandbox.scale_world import generate_scale
from tests.served import free_port, served_env, served_sandbox

pytestmark = [pytest.mark.slow, pytest.mark.reliability]

CUSTOMERS, DEPARTMENTS = 3, 8
WORLD = ("--customers-n", str(CUSTOMERS), "--departments-n", str(DEPARTMENTS), "--z-initial", "1")
GUARD = 240.0  # seconds: a bound on a stuck process, not a timing


def _call(base: str, path: str) -> dict[str, Any]:
    with urllib.request.urlopen(base + path, timeout=30) as r:
        body: dict[str, Any] = json.loads(r.read())
        return body


def _duvi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=GUARD,
    )


def _companies() -> dict[str, int]:
    """Each Visma company's departments in the scale world: one Z-report each to post."""
    world = generate_scale(0, customers_n=CUSTOMERS, departments_n=DEPARTMENTS)
    return {c.tenant_id: len(c.departments) for c in world.customers}


def _confirmed(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> dict[str, int]:
    for k, v in env.items():
        if k.startswith("DUVI_"):
            monkeypatch.setenv(k, v)
    with Runtime.open(load_settings()) as rt:
        rows = rt.store.conn.execute(
            "SELECT department_id, count(*) FROM ledger WHERE kind = 'zreport' "
            "AND state = 'confirmed' GROUP BY department_id"
        ).fetchall()
    return {str(d): int(n) for d, n in rows}


def _round_beat(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> dict[str, Any]:
    for k, v in env.items():
        if k.startswith("DUVI_"):
            monkeypatch.setenv(k, v)
    with Runtime.open(load_settings()) as rt:
        info: dict[str, Any] = json.loads(rt.store.db["heartbeats"].get(ROUND_COMPONENT)["info"])
        return info


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _set_up(base: str, **extra: str) -> dict[str, str]:
    env = served_env(base, DUVI_RUNNER_PROCESSES="2", **extra)
    setup = _duvi(
        env, "sandbox", "setup-scale", "--customers-n", str(CUSTOMERS), "--departments-n",
        str(DEPARTMENTS),
    )  # fmt: skip
    assert setup.returncode == 0, setup.stdout + setup.stderr
    return env


def _at_its_first_journal(
    base: str, env: dict[str, str], *args: str
) -> tuple[subprocess.Popen[str], list[int]]:
    """`duvi <args>` started, once the sandbox holds its first journal: it and its workers."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + GUARD
    while not sum(_call(base, "/sandbox/stats")["visma_journals_per_company"].values()):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"no journal was posted: {proc.communicate()}")
        time.sleep(0.05)
    workers = _children(proc.pid)
    assert len(workers) == 1, workers
    return proc, workers


def test_a_worker_killed_mid_round_loses_nothing_and_posts_nothing_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with served_sandbox(*WORLD, "--latency", "0.1") as base:
        # One slot each: the worker's departments come one after another, so it is killed
        # with some of them done, maybe one mid-post, and some not begun.
        env = _set_up(base, DUVI_RUNNER_CONCURRENCY="2")
        runner, workers = _at_its_first_journal(base, env, "run", "--once")
        try:
            os.kill(workers[0], signal.SIGKILL)  # nothing can catch it: no goodbye
            out, err = runner.communicate(timeout=GUARD)
        finally:
            if runner.poll() is None:
                runner.kill()
        assert "the round's worker process ended (exit code -9) before it reported" in err, (
            out + err
        )
        assert not _children(runner.pid)
        after = _duvi(env, "run", "--once")  # the next round: the lost ones, once
        assert after.returncode == 0, after.stdout + after.stderr
        assert "spread over 2 processes" in after.stdout
        assert _round_beat(monkeypatch, env)["processes"] == 2
        assert _call(base, "/sandbox/stats")["visma_journals_per_company"] == _companies()
        again = _duvi(env, "run", "--once")  # nothing new: nothing posted
        assert again.returncode == 0, again.stdout + again.stderr
        stats = _call(base, "/sandbox/stats")
        assert stats["visma_journals_per_company"] == _companies()
        assert stats["visma_429"] == 0
    assert _confirmed(monkeypatch, env) == {str(d): 1 for d in range(1, DEPARTMENTS + 1)}


def test_sigterm_ends_the_round_between_departments_in_every_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with served_sandbox(*WORLD, "--latency", "0.1") as base:
        env = _set_up(base, DUVI_RUNNER_CONCURRENCY="2", DUVI_WEBHOOK_PORT=str(free_port()))
        runner, workers = _at_its_first_journal(base, env, "run")
        try:
            runner.send_signal(signal.SIGTERM)  # the runner alone: it passes the stop on
            out, err = runner.communicate(timeout=GUARD)
        finally:
            if runner.poll() is None:
                runner.kill()
        assert runner.returncode == 0, out + err
        assert not Path(f"/proc/{workers[0]}").exists()  # the worker ended with it
        beat = _round_beat(monkeypatch, env)
        assert beat["stopped"], beat  # some departments were not begun...
        assert beat["errors"] == {}  # ...and none was cut off in the middle
        posted = sum(_call(base, "/sandbox/stats")["visma_journals_per_company"].values())
        assert posted == len(beat["departments"]) < DEPARTMENTS
        after = _duvi(env, "run", "--once")
        assert after.returncode == 0, after.stdout + after.stderr
        assert _call(base, "/sandbox/stats")["visma_journals_per_company"] == _companies()
    assert _confirmed(monkeypatch, env) == {str(d): 1 for d in range(1, DEPARTMENTS + 1)}
