"""Doctor that leads somewhere (issue 16 item 7): a warning someone looked at is acknowledged
(audited) and stops raising the exit code until its state changes; the command line does it
with --ack and names the records concerned; the console opens the screen that fixes a finding
and acknowledges with `a`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import load_settings
from core.conflicts import Conflicts
from core.doctor import Status, acknowledge, exit_code, run_doctor
from core.errors import ConfigError
from core.runtime import Runtime
from tests.sandbox_fixtures import Installation

ROOT = Path(__file__).parent.parent


def conflict(rt: Runtime, duell_id: str) -> None:
    Conflicts(rt.store).raise_conflict(
        "1",
        "customer",
        "duell",
        duell_id,
        {"name": f"Kunde {duell_id}"},
        [{"id": "20001", "name": "Kunde"}, {"id": "20002", "name": "Kunde AS"}],
        "phone",
    )


async def test_an_acknowledged_warning_counts_again_when_its_state_changes(
    installation: Installation,
) -> None:
    rt = installation.rt

    async def doctor() -> dict[str, object]:
        return {c.id: c for c in await run_doctor(rt, ["1"], connections=installation.connections)}

    rt.store.heartbeat("runner")  # no runner warning: the conflicts' is the one that counts
    conflict(rt, "77")
    checks = await doctor()
    warned = [c for c in checks.values() if c.status == Status.WARN]
    assert "masterdata.conflicts" in {c.id for c in warned}
    assert exit_code(list(checks.values())) == 1
    for c in warned:
        acknowledge(rt, c, f"looked at {c.id}")
    checks = await doctor()
    assert exit_code(list(checks.values())) == 0
    ack = checks["masterdata.conflicts"].acknowledged
    assert ack is not None and ack["reason"] == "looked at masterdata.conflicts"
    audit = rt.store.query(
        "SELECT department_id, target, after FROM audit WHERE action = 'doctor.ack' "
        "AND target = 'masterdata.conflicts'"
    )
    assert len(audit) == 1 and audit[0]["department_id"] == "1"
    fingerprint = checks["masterdata.conflicts"].fingerprint
    assert json.loads(audit[0]["after"])["fingerprint"] == fingerprint

    conflict(rt, "78")  # a new conflict: the finding changed, it counts again
    checks = await doctor()
    assert checks["masterdata.conflicts"].acknowledged is None
    assert exit_code(list(checks.values())) == 1


async def test_only_a_warning_can_be_acknowledged(installation: Installation) -> None:
    checks = await run_doctor(installation.rt, ["1"], connections=installation.connections)
    ok = next(c for c in checks if c.status == Status.OK)
    with pytest.raises(ConfigError, match="only a warning"):
        acknowledge(installation.rt, ok, "")


def duvi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.slow  # seven runs of `duvi doctor`, each signing in to the sandbox: 20-50 s
def test_the_command_line_acknowledges_and_names_the_records() -> None:
    from core import boot

    with Runtime.open(load_settings()) as rt:
        boot.ensure_installation(rt)  # the sandbox's departments, as the console's first start
        rt.store.heartbeat("runner")
        conflict(rt, "77")
    before = duvi("doctor", "-d", "1")
    assert before.returncode == 1, before.stderr
    warnings = [ln for ln in before.stdout.splitlines() if ln.startswith("WARN")]
    assert any("(masterdata.conflicts)" in ln for ln in warnings)  # the id --ack takes
    nameless = before.stdout.split("Items without a name")[1].splitlines()
    assert nameless[1].startswith("       - 20-10871, ")  # those the sentence leaves out

    refused = duvi("doctor", "-d", "1", "--ack", "no.such.check")
    assert refused.returncode == 2 and "the warnings are: " in refused.stderr
    for line in warnings:
        check_id = line.rsplit("(", 1)[1].rstrip(")")
        done = duvi("doctor", "-d", "1", "--ack", check_id, "--reason", "known, ok")
        assert done.returncode == 0 and "acknowledged" in done.stdout, done.stderr
    after = duvi("doctor", "-d", "1")
    assert after.returncode == 0, after.stdout
    assert "ack  [1] Duplicate conflicts" in after.stdout
    assert "acknowledged by" in after.stdout and ": known, ok" in after.stdout
    with Runtime.open(load_settings()) as rt:
        conflict(rt, "78")
        audit = rt.store.query("SELECT target FROM audit WHERE action = 'doctor.ack'")
    assert {"target": "masterdata.conflicts"} in audit
    again = duvi("doctor", "-d", "1", "--json")
    assert again.returncode == 1
    found = {c["id"]: c for c in json.loads(again.stdout)}["masterdata.conflicts"]
    assert found["acknowledged"] is None and len(found["records"]) == 2


async def settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_the_console_opens_the_fixing_screen_and_acknowledges() -> None:
    from textual.widgets import OptionList

    from tui.app import DuviApp
    from tui.screens.ask import AskText
    from tui.screens.conflicts import ConflictsScreen
    from tui.screens.doctor import DoctorScreen
    from tui.screens.setup import SetupScreen

    app = DuviApp(load_settings())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        with Runtime.open(load_settings()) as rt:
            conflict(rt, "77")
        await pilot.press("d")
        await settle(app, pilot)
        doctor = app.screen
        assert isinstance(doctor, DoctorScreen)
        box = doctor.query_one("#checks", OptionList)
        found = doctor.checks["1:masterdata.conflicts"]
        assert found.fix == "conflicts" and len(found.records) == 1
        text = str(box.get_option("1:masterdata.conflicts").prompt)
        assert "c Conflicts (Enter opens it)" in text and "duvi " not in text  # a key, no CLI
        box.highlighted = box.get_option_index("1:masterdata.conflicts")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ConflictsScreen) and app.screen.department_id == "1"
        await pilot.press("escape")
        await settle(app, pilot)  # back: the doctor checks again, the cursor where it was
        assert app.screen is doctor
        assert box.get_option_at_index(box.highlighted or 0).id == "1:masterdata.conflicts"
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AskText)
        await pilot.press(*"seen", "enter")
        await settle(app, pilot)
        await settle(app, pilot)
        ack = doctor.checks["1:masterdata.conflicts"].acknowledged
        assert ack is not None and ack.endswith(": seen")
        await pilot.press("escape", "3", "d")  # department 3 is not set up: Enter opens setup
        await settle(app, pilot)
        box = app.screen.query_one("#checks", OptionList)
        box.highlighted = box.get_option_index("3:visma.setup")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SetupScreen) and app.screen.department_id == "3"
    with Runtime.open(load_settings()) as rt:
        audit = rt.store.query("SELECT target, after FROM audit WHERE action = 'doctor.ack'")
    assert [a["target"] for a in audit] == ["masterdata.conflicts"]
    assert json.loads(audit[0]["after"])["reason"] == "seen"


async def test_the_doctors_cursor_shows_without_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR drops every colour: the highlighted check must differ by its attributes."""
    from textual.widgets import OptionList

    from tui.app import DuviApp

    monkeypatch.setenv("NO_COLOR", "1")
    app = DuviApp(load_settings(animations="none"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("d")
        await settle(app, pilot)
        box = app.screen.query_one("#checks", OptionList)
        assert box.has_focus and box.highlighted is not None

        def marked(y: int) -> bool:  # what survives NO_COLOR: reverse or underline
            return any(
                s.style is not None and (s.style.reverse or s.style.underline)
                for s in box.render_line(y)
                if s.text.strip()
            )

        lines = [y for y in range(box.size.height) if marked(y)]
        assert lines, "the cursor is drawn in colour alone"
        start = box.get_option_at_index(box.highlighted)
        assert all(
            box.get_option_at_index(box._lines[box.scroll_offset.y + y][0]) is start for y in lines
        )
