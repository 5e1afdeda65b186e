"""`duvi sandbox setup-scale`: the served scale world's departments set up from the command
line (a support agent trying the picker had a sandbox of 60 departments and none set up)."""

from __future__ import annotations

import json

import pytest

from core.cli import run


def test_setup_scale_sets_every_department_up_under_its_customer(
    home, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DUVI_SANDBOX", "false")  # as `sandbox serve` tells one to
    monkeypatch.setenv("DUVI_VISMA_BASE_URL", "http://127.0.0.1:9/visma")
    monkeypatch.setenv("DUVI_CONNECT_BASE_URL", "http://127.0.0.1:9/connect")
    monkeypatch.setenv("DUVI_DUELL_BASE_URL", "http://127.0.0.1:9/duell/v1")
    assert run(["sandbox", "setup-scale", "--customers-n", "3", "--departments-n", "7"]) == 0
    assert capsys.readouterr().out.strip() == "7 departments of 3 customers set up"
    assert run(["departments", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 7 and all(r["set_up"] for r in rows)
    assert len({r["customer"] for r in rows}) == 3  # every customer has a department


def test_setup_scale_on_the_built_in_sandbox_is_refused_with_what_to_do(
    home, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run(["sandbox", "setup-scale", "--customers-n", "3", "--departments-n", "7"]) == 3
    )  # a configuration error
    err = capsys.readouterr().err
    assert "DUVI_SANDBOX is on" in err and "export the settings" in err
