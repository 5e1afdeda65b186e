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
    painted (the start-up target: at most 1.3x an empty Textual app). Nor the tab bar, which
    comes with the first status read, nor DataTable (its markup hook waits for its import)."""
    code = (
        "import sys, tui.cli, tui.app\n"
        "heavy = ('sqlite3', 'sqlite_utils', 'httpx', 'pydantic', 'core.api', 'core.runtime',\n"
        "         'textual.widgets._tabs', 'textual.widgets._data_table')\n"
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
    # core.i18n (and the core.money it rounds with): the first frame speaks the language;
    # core.textsafe (re only): the first frame's text is made safe (tui/textsafe.py), and
    # core.importhook (importlib's) adjusts DataTable's module when it is imported
    allowed = {"core.errors", "core.i18n", "core.money", "core.textsafe", "core.importhook"}
    assert set(engine.split(",")) <= allowed
    assert "core.errors" in engine  # the check looked at the right process


@pytest.mark.slow
def test_each_core_module_imports_first() -> None:
    """Each core module imports in a process that has imported no other core module: a
    console whose first screen is the transfers list imports core.transferview first, and
    a circular import there left the list empty with an ImportError. Only a module in a
    cycle of module-level imports can fail so (any other reaches a cycle at one of its
    members, each of which is imported first here), so those are the ones imported."""
    modules = sorted(in_import_cycles())
    assert "core.cli.sync" in modules  # a package and its modules: the graph was read
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


def test_a_command_that_prints_no_help_loads_no_help_printer(tmp_path: Path) -> None:
    """typer's rich_utils (rich's markdown, syntax and tables) prints help and usage errors
    only: a command that needs neither starts without it (a third of the modules a command
    loaded), and `--help` and a usage error still speak the language."""
    import os

    env = {**os.environ, "DUVI_HOME": str(tmp_path / "home"), "DUVI_LANGUAGE": "nb"}
    code = (
        "import sys\n"
        "from core.cli import run\n"
        "code = run(['transfers', '--json', '-d', '1'])\n"
        "print(code, 'typer.rich_utils' in sys.modules, 'markdown_it' in sys.modules)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300
    )
    assert r.stdout.strip().splitlines()[-1] == "0 False False", r.stdout[-500:] + r.stderr

    def duvi(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tui.cli", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=300,
        )

    shown = duvi("transfers", "--help")
    assert shown.returncode == 0 and "Valg" in shown.stdout, shown.stdout
    wrong = duvi("transfers", "--no-such-flag")
    assert wrong.returncode == 2 and "Feil" in wrong.stderr, wrong.stderr


def in_import_cycles() -> set[str]:
    """core's modules that are in a cycle of module-level imports (`if TYPE_CHECKING:` and
    imports inside functions do not run on import), by Tarjan's strongly connected parts."""
    import ast

    names = {m.name for m in pkgutil.walk_packages(core.__path__, "core.")} | {"core"}
    files = {
        name: ROOT.joinpath(*name.split(".")).with_suffix(".py")
        if not ROOT.joinpath(*name.split("."), "__init__.py").exists()
        else ROOT.joinpath(*name.split("."), "__init__.py")
        for name in names
    }

    def parents(name: str) -> list[str]:
        parts = name.split(".")
        return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]

    def top_level(body: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for node in body:
            if isinstance(node, ast.If):
                if "TYPE_CHECKING" not in ast.unparse(node.test):
                    out += top_level(node.body) + top_level(node.orelse)
            elif isinstance(node, ast.Try):
                out += top_level(node.body) + top_level(node.orelse) + top_level(node.finalbody)
                for handler in node.handlers:
                    out += top_level(handler.body)
            elif isinstance(node, ast.With):
                out += top_level(node.body)
            else:
                out.append(node)
        return out

    edges: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in top_level(ast.parse(path.read_text()).body):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found.update(parents(alias.name))
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                found.update(parents(base))
                found.update(f"{base}.{alias.name}" for alias in node.names)
        edges[name] = {m for m in found if m in names and m != name} | set(parents(name)[:-1])

    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cyclic: set[str] = set()

    def visit(v: str) -> None:  # Tarjan, recursive: core has ~150 modules
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                cyclic.update(part)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return cyclic & (names - {"core"})
