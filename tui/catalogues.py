"""Keeps the gettext catalogues of core and the console in step with the code (Babel):

    uv run python -m tui.catalogues update    # extract every marked string, merge into each .po
    uv run python -m tui.catalogues compile   # write each .mo from its .po

Translate in the `.po` files between the two. The `.po` files are sorted by message and carry
no source locations, so two people adding strings rarely meet in a merge."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

from core.i18n import DOMAIN, LOCALE_DIR, compile_catalogues
from tui.i18n import TUI

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("nb",)
KEYWORDS = ["-k", "_", "-k", "N_", "-k", "ngettext:1,2", "-k", "plural_msg:1,2"]
CATALOGUES = (("core", DOMAIN, LOCALE_DIR), ("tui", TUI.domain, TUI.localedir))


def _babel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def update() -> None:
    for package, domain, localedir in CATALOGUES:
        pot = localedir / f"{domain}.pot"
        localedir.mkdir(parents=True, exist_ok=True)
        _babel(
            "extract", *KEYWORDS, "--no-location", "--sort-output", "--project", "duvi",
            "-o", str(pot), str(ROOT / package),
        )  # fmt: skip
        for lang in LANGS:
            po = localedir / lang / "LC_MESSAGES" / f"{domain}.po"
            if po.exists():
                _babel(
                    # (the .pot has no locations, so neither has the .po; the .po keeps its header)
                    "update", "-i", str(pot), "-d", str(localedir), "-D", domain, "-l", lang,
                    "--no-fuzzy-matching", "--ignore-obsolete",
                )  # fmt: skip
            else:
                _babel("init", "-i", str(pot), "-d", str(localedir), "-D", domain, "-l", lang)
            _steady_header(po)
        pot.unlink()


STEADY_DATE = "2026-12-01 00:00+0000"
_STAMP = re.compile(r'^"(POT-Creation-Date|PO-Revision-Date): [^"\\]*', re.MULTILINE)


def _steady_header(po: Path) -> None:
    """Babel stamps each update with the time: a header that changes on every update would
    make every merge of two people's strings conflict, and every .mo differ. One fixed date.
    (The template is read without locations, so the .po has none either.)"""
    text = po.read_text("utf-8")
    po.write_text(_STAMP.sub(lambda m: f'"{m.group(1)}: {STEADY_DATE}', text), "utf-8")


def compile_all() -> None:
    for mo in compile_catalogues([localedir for _, _, localedir in CATALOGUES]):
        print(mo.relative_to(ROOT))


if __name__ == "__main__":
    commands = {"update": update, "compile": compile_all}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit("usage: python -m tui.catalogues update|compile")
    commands[sys.argv[1]]()
