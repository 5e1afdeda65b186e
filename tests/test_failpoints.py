"""Failpoint names are constants: a typo, in code or in DUVI_FAILPOINTS, is refused instead of
turning a crash test into a run without kills."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.failpoints import Failpoint, failpoint, parse
from tests.served import ROOT


def test_an_unknown_failpoint_is_refused_in_code() -> None:
    failpoint(Failpoint.BEFORE_POST)  # known, and no plan: nothing happens
    with pytest.raises(ValueError, match="'befor-post' is not a failpoint"):
        failpoint("befor-post")  # type: ignore[arg-type]


def test_a_plan_names_failpoints_and_pass_numbers() -> None:
    assert parse("") == {}
    assert parse(" after-post=3, before-sent=1 ,") == {
        Failpoint.AFTER_POST: 3,
        Failpoint.BEFORE_SENT: 1,
    }
    assert parse("customer-after-create=2") == {Failpoint.CUSTOMER_AFTER_CREATE: 2}


@pytest.mark.parametrize(
    "spec",
    ["befor-post=1", "after-post=2,aftercommit=1", "before-post", "before-post=x", "before-post=0"],
)
def test_an_unknown_or_malformed_plan_is_refused(spec: str) -> None:
    with pytest.raises(ConfigError, match="DUVI_FAILPOINTS") as exc:
        parse(spec)
    assert "before-sent, before-post, after-post, after-commit" in exc.value.remedy


def test_a_typo_in_duvi_failpoints_stops_a_sync_before_it_starts(home: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tui.cli", "sync"],
        env={**os.environ, "PYTHONPATH": str(ROOT), "DUVI_FAILPOINTS": "afterpost=1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3, proc.stderr  # a configuration error
    assert "'afterpost=1' is not a failpoint" in proc.stderr and "Traceback" not in proc.stderr
