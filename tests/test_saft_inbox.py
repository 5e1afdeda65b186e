"""The SAF-T inbox (issue 18 item 3): a department whose Z-reports come from a directory of
SAF-T Cash Register files that `duvi run` watches. Files are dropped while a real `duvi run`
process runs: a good one, a half-written one (written as `.part`, then renamed), a duplicate
and a bad one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core.boot import ensure_installation
from core.config import load_settings
from core.departments import Departments
from core.ledger import Ledger
from core.runtime import Runtime

DATA = Path(__file__).parent / "data" / "saft"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def inbox_department(inbox: Path) -> None:
    """The sandbox's department 1 (automatic transfer on) takes its Z-reports from `inbox`."""
    with Runtime.open(load_settings()) as rt:
        ensure_installation(rt)
        depts = Departments(rt.store, rt.secrets)
        dept = depts.get("1")
        assert dept is not None
        depts.save_settings(
            "1",
            dept.settings.model_copy(
                update={"zreport_source": "saft-inbox", "inbox_dir": str(inbox)}
            ),
        )


def events(like: str) -> list[str]:
    with Runtime.open(load_settings()) as rt:
        return [
            r["message"]
            for r in rt.store.query(
                "SELECT message FROM events WHERE message LIKE ? ORDER BY id", [like]
            )
        ]


def wait_for(what: Callable[[], bool], runner: subprocess.Popen[str], timeout: float = 300) -> None:
    """Until the runner's log says so (it writes after each look): no fixed sleep."""
    deadline = time.monotonic() + timeout
    while not what():
        assert runner.poll() is None, f"duvi run ended: {runner.communicate()}"
        assert time.monotonic() < deadline, "the runner did not get there"
        time.sleep(0.05)  # polling the log, not timing the runner


@pytest.mark.slow
def test_files_dropped_while_duvi_run_runs(home: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    inbox_department(inbox)
    env = {
        **os.environ,
        "DUVI_WEBHOOK_PORT": str(free_port()),
        "DUVI_INBOX_POLL_SECONDS": "0.2",
    }
    duvi = str(Path(sys.executable).with_name("duvi"))
    runner = subprocess.Popen(
        [duvi, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        good = DATA / "nordkasse_two_registers.xml"
        half = DATA / "kassaplus_z_only.xml"
        body = half.read_bytes()
        # A writer at work: half of the file, under the .part name.
        part = inbox / "kassaplus_z_only.xml.part"
        part.write_bytes(body[: len(body) // 2])
        (inbox / good.name).write_bytes(good.read_bytes())
        wait_for(lambda: bool(events(f"SAF-T inbox: {good.name} imported%")), runner)
        # The good file took two looks (stable size): the .part file was seen, never read.
        assert part.exists() and not (inbox / "failed").exists()
        with part.open("ab") as f:  # the writer finishes, then renames
            f.write(body[len(body) // 2 :])
        part.rename(inbox / half.name)
        wait_for(lambda: bool(events(f"SAF-T inbox: {half.name} imported%")), runner)

        (inbox / "nordkasse_again.xml").write_bytes(good.read_bytes())  # another name
        wait_for(lambda: bool(events("SAF-T inbox: nordkasse_again.xml has the content%")), runner)
        # A writer that died halfway, no .part: stable, but not a whole SAF-T file.
        (inbox / "broken.xml").write_bytes(body[: len(body) // 3])
        wait_for(lambda: bool(events("SAF-T inbox: broken.xml was not imported%")), runner)
    finally:
        runner.send_signal(signal.SIGTERM)
        _out, err = runner.communicate(timeout=60)
    assert runner.returncode == 0, err

    assert sorted(p.name for p in inbox.iterdir()) == ["done", "failed"]
    assert sorted(p.name for p in (inbox / "done").iterdir()) == [
        "kassaplus_z_only.xml",
        "nordkasse_again.xml",
        "nordkasse_again.xml.note",
        "nordkasse_two_registers.xml",
    ]
    note = (inbox / "done" / "nordkasse_again.xml.note").read_text()
    assert note.startswith("not imported: the same content as nordkasse_two_registers.xml at ")
    assert sorted(p.name for p in (inbox / "failed").iterdir()) == [
        "broken.xml",
        "broken.xml.reason",
    ]
    reason = (inbox / "failed" / "broken.xml.reason").read_text()
    assert "cannot read" in reason or "broken.xml" in reason
    with Runtime.open(load_settings()) as rt:
        rows = Ledger(rt.store).rows("1", kind="zreport")
        # 4 of nordkasse (registers 1001 and 1002, Z 1 and 2 each) + 3 of kassaplus (301: Z 41
        # and 43; 302: Z 7); none from DUELL (the department's source is the inbox); the
        # duplicate added none.
        assert len(rows) == 7
        imports = rt.store.query("SELECT target FROM audit WHERE action = 'import.saft'")
        assert sorted(Path(r["target"]).name for r in imports) == [
            "kassaplus_z_only.xml",
            "nordkasse_two_registers.xml",
        ]


def test_a_refused_file_is_explained_in_the_language_and_logged_in_english(
    home: Path, tmp_path: Path
) -> None:
    """The `.reason` beside a refused file is for a person (the language of the settings);
    the event log keeps one language, English (core/i18n.py: said() and english())."""
    import asyncio

    from core.i18n import set_language
    from core.saft_inbox import Inbox

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    inbox_department(inbox)
    bad = inbox / "broken.xml"
    bad.write_bytes(b"<auditfile>")
    set_language("nb")
    try:
        with Runtime.open(load_settings(language="nb")) as rt:
            assert asyncio.run(Inbox(rt).take("1", bad)) == "failed"
            rt.log.flush()
    finally:
        set_language("en")
    assert (inbox / "failed" / "broken.xml.reason").read_text() == (
        f"{bad} er ikke velformet XML (linje 1): Premature end of data in tag auditfile line 1, "
        "line 1, column 12\n  → eksporter SAF-T-filen fra DUELL på nytt; filen kan være avkortet\n"
    )
    assert events("SAF-T inbox: broken.xml was not imported%") == [
        f"SAF-T inbox: broken.xml was not imported: {bad} is not well-formed XML (line 1): "
        "Premature end of data in tag auditfile line 1, line 1, column 12; moved to failed/"
    ]
