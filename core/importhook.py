"""Work on a module done when it is imported, not before: a module imported only by some runs
(typer's help printer, Textual's DataTable) is not imported at start to be adjusted."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Callable, Sequence


def when_imported(name: str, then: Callable[[types.ModuleType], None]) -> None:
    """`then(module)` now if module `name` is imported, else once, right after it is (and
    before whoever imported it gets it). Asked again for the same pair while it waits: once."""
    if (module := sys.modules.get(name)) is not None:
        then(module)
    elif not any(isinstance(f, _WhenImported) and f.key == (name, then) for f in sys.meta_path):
        sys.meta_path.insert(0, _WhenImported(name, then))


class _WhenImported(importlib.abc.MetaPathFinder):
    def __init__(self, name: str, then: Callable[[types.ModuleType], None]) -> None:
        self.key = (name, then)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        name, then = self.key
        if fullname != name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader, load = spec.loader, spec.loader.exec_module

        def exec_module(module: types.ModuleType) -> None:
            load(module)
            then(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec
