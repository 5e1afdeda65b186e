"""The error hierarchy keeps its promise: every error a raise can name states its exit code on
purpose, the README's table lists every code, and the remedy tables answer as they should."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import core
from core import errors
from core.duell.errors import DuellError
from core.duell.errors import remedy_for as duell_remedy
from core.errors import (
    EXIT_BUSY,
    EXIT_CONFIG,
    EXIT_DATA,
    EXIT_INTERNAL,
    EXIT_REMOTE,
    EXIT_STORE,
    DuviError,
    exit_code_of,
)
from core.visma.errors import VismaError
from core.visma.errors import remedy_for as visma_remedy

ROOT = Path(__file__).parent.parent


def all_error_classes() -> list[type[DuviError]]:
    """Every DuviError subclass in core, after importing every core module."""
    for info in pkgutil.walk_packages(core.__path__, "core."):
        importlib.import_module(info.name)
    found: list[type[DuviError]] = []
    todo = list(DuviError.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def readme_exit_codes() -> dict[int, str]:
    text = (ROOT / "README.md").read_text()
    table = text[text.index("Exit codes") :]
    table = table[: table.index("\n\n", table.index("|"))]
    return {int(m[1]): m[2] for m in re.finditer(r"^\| `(\d+)` \| (.+) \|$", table, re.M)}


def name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def test_the_base_states_no_exit_code() -> None:
    assert not hasattr(DuviError, "exit_code")
    assert exit_code_of(DuviError("a bug")) == EXIT_INTERNAL


def test_every_error_class_states_an_exit_code_the_readme_lists() -> None:
    classes = all_error_classes()
    assert len(classes) > 15  # the walk found the whole tree, packages included
    documented = readme_exit_codes()
    missing = []
    for cls in classes:
        stated_by = next((c for c in cls.__mro__ if "exit_code" in c.__dict__), None)
        if stated_by is None:
            missing.append(name(cls))
            continue
        code = stated_by.__dict__["exit_code"]
        if isinstance(code, int):  # else a property, as RunError's (tested below)
            assert code in documented, name(cls)
    assert missing == []


def test_each_family_exits_with_its_own_code() -> None:
    from core.accounting import JournalRefused
    from core.http import OutcomeUnknownError, TransientError
    from core.saft import SaftError

    expected = {
        errors.ConfigError: EXIT_CONFIG,
        errors.InsecureFileError: EXIT_CONFIG,
        errors.CertificateRefused: EXIT_CONFIG,
        errors.StoreError: EXIT_STORE,
        errors.StoreBusyError: EXIT_STORE,
        TransientError: EXIT_REMOTE,
        OutcomeUnknownError: EXIT_REMOTE,
        VismaError: EXIT_REMOTE,
        DuellError: EXIT_REMOTE,
        SaftError: EXIT_DATA,
        JournalRefused: EXIT_DATA,
        errors.DepartmentBusy: EXIT_BUSY,
    }
    assert {cls: exit_code_of(cls("x", "y")) for cls in expected} == expected


def test_a_failed_run_exits_with_its_first_failures_code() -> None:
    from core.saft import SaftError
    from core.service import RunError, RunResult

    result = RunResult(
        failures=[
            ("import", SaftError("bad file", "export it again")),
            ("transfers", errors.TransientError("down", "later")),
        ]
    )
    assert exit_code_of(RunError("1", result)) == EXIT_DATA
    result.failures.reverse()
    assert exit_code_of(RunError("1", result)) == EXIT_REMOTE


def test_the_readme_lists_every_exit_code_in_use() -> None:
    from core.doctor import Status, exit_code

    used = {v for k, v in vars(errors).items() if k.startswith("EXIT_")}
    used |= {exit_code([]), *(exit_code([_check(s)]) for s in Status)}
    assert set(readme_exit_codes()) == used


def _check(status):
    from core.doctor import Check

    return Check("x", "x", status, "found", "remedy")


def bare_raises() -> set[tuple[str, str]]:
    """(file, message start) of every `raise DuviError(...)` in core and tui."""
    sites = set()
    for path in [*ROOT.glob("core/**/*.py"), *ROOT.glob("tui/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            call = node.exc if isinstance(node, ast.Raise) else None
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "DuviError":
                sites.add((str(path.relative_to(ROOT)), ast.unparse(call.args[0])))
    return sites


def test_nothing_raises_the_bare_base() -> None:
    """A bare DuviError has no class to say what kind of error it is (exit 70, a bug)."""
    assert sorted(bare_raises()) == []


@pytest.mark.parametrize(
    ("status", "fault", "message", "expected"),
    [
        (401, "invalid_client", "", "the client id or secret is wrong"),  # fault beats status
        (401, None, "", "use the Company tenant id"),
        (412, None, "", "read it again and retry"),
        (503, None, "", "give Visma the VismaId"),
        (400, None, "Account 3000 does not exist", "create the missing record"),
        (400, None, "Customer cannot be found", "create the missing record"),
        (400, None, "Date is outside the period", "correct the data named"),
    ],
)
def test_visma_remedies_by_fault_then_status_then_message(
    status: int, fault: str | None, message: str, expected: str
) -> None:
    assert expected in visma_remedy(status, fault, message)


@pytest.mark.parametrize(
    ("status", "validation", "expected"),
    [
        (401, None, "API token"),
        (403, "x", "API token"),
        (429, None, "rate limit"),
        (200, "name is required", "correct the data DUELL names"),
        (200, None, "contact DUELL support"),
    ],
)
def test_duell_remedies_by_status_then_validation(
    status: int, validation: str | None, expected: str
) -> None:
    assert expected in duell_remedy(status, validation)
