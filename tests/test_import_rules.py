"""core runs without the console: importing every core module loads no Textual."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import core

ROOT = Path(__file__).parent.parent


def test_core_imports_no_textual() -> None:
    modules = [m.name for m in pkgutil.walk_packages(core.__path__, "core.")]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules\n"
        "             if m == 'textual' or m.startswith(('textual.', 'tui')))\n"
        "print(','.join(bad))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "", f"core pulled in: {r.stdout}"
    assert "core.store" in modules  # the walk found the modules


def test_import_contracts_hold() -> None:
    r = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_console_paints_before_it_opens_the_engine() -> None:
    """What `duvi` imports before its first frame (tui.cli, then tui.app and the main screen)
    holds no store, HTTP, pydantic or engine handle: those load in a worker once the frame is
    painted (the start-up target: at most 1.3x an empty Textual app)."""
    code = (
        "import sys, tui.cli, tui.app\n"
        "heavy = ('sqlite3', 'sqlite_utils', 'httpx', 'pydantic', 'core.api', 'core.runtime')\n"
        "print(','.join(sorted(m for m in heavy if m in sys.modules)))\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('core.'))))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert r.returncode == 0, r.stderr
    heavy, engine = r.stdout.splitlines()
    assert heavy == "", f"loaded before the first frame: {heavy}"
    # Only what the console may import (the import-linter contract), and only what is light.
    # (read models too load after the first frame since the start-up bench's fix)
    # core.i18n (and the core.money it rounds with): the first frame speaks the language
    assert set(engine.split(",")) <= {"core.errors", "core.i18n", "core.money"}
    assert "core.errors" in engine  # the check looked at the right process


@pytest.mark.slow
def test_each_core_module_imports_first() -> None:
    """Each core module imports in a process that has imported no other core module: a
    console whose first screen is the transfers list imports core.transferview first, and
    a circular import there left the list empty with an ImportError."""
    modules = [m.name for m in pkgutil.walk_packages(core.__path__, "core.")]
    code = (
        "import importlib, sys\n"
        "bad = []\n"
        f"for m in {modules!r}:\n"
        "    for k in [k for k in sys.modules if k == 'core' or k.startswith('core.')]:\n"
        "        del sys.modules[k]\n"
        "    try:\n"
        "        importlib.import_module(m)\n"
        "    except ImportError as e:\n"
        "        bad.append(f'{m}: {e}')\n"
        "print('\\n'.join(bad))\n"
    )
    # A bound on a stuck import, not a timing: ~130 fresh imports took over 120 s once on the
    # 2-core machine at a load of 9.
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "", f"import cycles:\n{r.stdout}"
