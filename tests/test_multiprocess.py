"""Three duvi processes (a runner, a console, a CLI command) on one database at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import load_settings
from core.eventlog import LogFilter
from core.runtime import Runtime

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HAMMER = Path(__file__).parent / "helpers" / "hammer.py"
ROOT = Path(__file__).parent.parent


def test_three_processes_share_the_store_without_lock_errors(home: Path) -> None:
    n = 3000
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = {
        role: subprocess.Popen(
            [sys.executable, str(HAMMER), role, str(n)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for role in ("runner", "console", "cli")
    }
    results = {role: p.communicate(timeout=300) for role, p in procs.items()}
    for role, (out, err) in results.items():
        assert procs[role].returncode == 0, f"{role} failed:\n{err}"
        assert out.strip() == f"ok {n}"
        assert "locked" not in err
    with Runtime.open(load_settings()) as rt:
        for role in procs:
            events = rt.log.page(LogFilter(department_id=role), limit=n + 1)
            assert len(events) == n  # none lost
        assert rt.store.db["heartbeats"].count == 3
        assert rt.store.db["audit"].count == n // 100
