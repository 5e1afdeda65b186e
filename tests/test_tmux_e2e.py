"""End to end, as a support agent uses it: the real `duvi` in tmux (send-keys, capture-pane),
from an empty data directory through setup of a department on the sandbox, a sync, resolving
one conflict, and quitting. Then the store is asked what happened."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from core.config import load_settings
from core.conflicts import Conflicts
from core.departments import Departments
from core.ledger import Ledger
from core.runtime import Runtime
from core.sandbox.world import sandbox_credentials

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (.ci/run installs it)"),
]


class Tmux:
    """One tmux server of our own (its own socket), one session, a fixed size."""

    def __init__(self, command: str, env: dict[str, str]) -> None:
        self.socket = f"duvi-e2e-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        self.tmux(
            "new-session", "-d", "-s", "e2e", "-x", "120", "-y", "36", f"env {exports} {command}"
        )
        self.tmux("set-window-option", "-t", "e2e", "remain-on-exit", "on")
        self.seen: list[str] = []

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        ).stdout

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "e2e", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "e2e", "-l", text)

    def screen(self) -> str:
        text = self.tmux("capture-pane", "-t", "e2e", "-p")
        self.seen.append(text)
        return text

    def press_and_wait(self, key: str, timeout: float = 30) -> None:
        """Press a key whose effect is only a repaint (focus moving on): wait until the pane,
        styles included, is no longer what it was."""
        before = self.tmux("capture-pane", "-t", "e2e", "-p", "-e")
        self.keys(key)
        deadline = time.monotonic() + timeout
        while self.tmux("capture-pane", "-t", "e2e", "-p", "-e") == before:
            if time.monotonic() > deadline:
                raise AssertionError(f"{key} changed nothing on screen:\n{self.screen()}")
            time.sleep(0.05)

    def wait_for(self, *texts: str, timeout: float = 60) -> str:
        """Poll the pane until every text is on it: the app runs in another process, so its
        screen is the only thing to wait on."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if all(t in screen for t in texts):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {texts} on screen:\n{screen}")
            time.sleep(0.1)

    def exit_status(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.tmux(
                "list-panes",
                "-t",
                "e2e",
                "-F",
                "#{pane_dead} status=#{pane_dead_status} signal=#{pane_dead_signal}",
            ).split()
            if state and state[0] == "1":  # dead: how it ended follows
                if state[2] != "signal=":
                    raise AssertionError(f"duvi was killed by {state[2]}:\n{self.screen()}")
                if state[1] != "status=":
                    return int(state[1].removeprefix("status="))
            time.sleep(0.1)
        raise AssertionError(f"duvi did not exit:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def test_setup_sync_resolve_and_quit_in_tmux(home: Path, tmp_path: Path) -> None:
    creds = sandbox_credentials(0)[2]
    duvi = Path(sys.executable).with_name("duvi")
    env = {
        "DUVI_HOME": str(home),
        "DUVI_CONFIG": os.environ["DUVI_CONFIG"],
        "TERM": "xterm-256color",
        "PATH": os.environ["PATH"],
    }
    assert not home.exists()  # an empty data directory
    t = Tmux(str(duvi), env)
    try:
        t.wait_for("SANDBOX", "Oslo sentrum", "Z-reports", "Run all")
        t.keys("3")
        t.wait_for("Not set up")
        t.keys("e")
        t.wait_for("Setup of department 3")
        # Each step waits for the screen to show the one before, as a person's eyes would:
        # a Tab in the same burst as typed text can be lost.
        t.type(creds.visma_client_id)
        t.wait_for(creds.visma_client_id)
        t.press_and_wait("Tab")
        t.type(creds.visma_client_secret)
        t.wait_for("•" * len(creds.visma_client_secret))  # masked as it is typed
        for _ in range(3):  # past ⟳ Companies and the company list, to the tenant id
            t.press_and_wait("Tab")
        t.type(creds.visma_tenant_id)
        t.wait_for(creds.visma_tenant_id)
        t.keys("F5")
        t.wait_for("Signed in: Garnbua Trøndelag AS")
        t.keys("C-s")
        t.wait_for("Saved")  # a toast, its text wrapped to its width
        t.keys("Escape")
        t.wait_for("Company: Garnbua Trøndelag AS")  # the main screen shows the new setup
        t.keys("r")
        t.wait_for("Done", "transferred", timeout=180)
        t.keys("c")
        t.wait_for("Conflicts of department 3", "Field")  # a conflict shown beside its candidates
        t.keys("l")
        t.wait_for("to candidate", "y yes")  # the question, not the footer's "Link"
        t.keys("y")
        t.wait_for("conflict #")
        t.keys("Escape")
        t.wait_for("Run all")
        t.keys("C-q")
        assert t.exit_status() == 0
    finally:
        t.close()
    assert not any(creds.visma_client_secret in screen for screen in t.seen)  # never on screen
    with Runtime.open(load_settings()) as rt:
        depts = Departments(rt.store, rt.secrets)
        assert depts.is_set_up("3")
        assert Ledger(rt.store).rows("3")  # the sync fetched department 3's documents
        resolved = Conflicts(rt.store).list("3", state="resolved")
        assert len(resolved) == 1 and resolved[0].resolution["action"] == "link"
