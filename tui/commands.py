"""The command palette (`:` or ctrl+p): jump to a department, run a sync, open a screen.
Commands come from the main screen's own actions, so the palette and the keys never differ."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.i18n import _, binding_text


class DuviCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        from tui.app import LANGUAGE_COMMANDS, DuviApp
        from tui.screens.departments import state_mark
        from tui.screens.main import PICKER_ABOVE, MainScreen

        app = cast("DuviApp", self.app)
        # Both languages always, each named in its own (whichever is current)
        languages: list[tuple[str, str, Callable[[], object]]] = [
            (
                LANGUAGE_COMMANDS["nb"],
                "bruk norsk (bokmål) i denne økten",
                lambda: app.run_worker(app.switch_language("nb"), group="language"),
            ),
            (
                LANGUAGE_COMMANDS["en"],
                "use English in this session",
                lambda: app.run_worker(app.switch_language("en"), group="language"),
            ),
        ]
        main = next((s for s in self.app.screen_stack if isinstance(s, MainScreen)), None)
        if main is None:
            return languages
        out: list[tuple[str, str, Callable[[], object]]] = []
        # Every department, opened or not (the picker's list, worst first): its tab is
        # opened if need be. The customer is in the name, so that it matches too; the number
        # key, where one jumps to the department's tab, leads its help.
        by_key = len(main.index) <= PICKER_ABOVE
        for e in main.index:
            mark = state_mark(e.state)
            # "2 · i ro", not "2 · · i ro": the idle mark is a dot already
            dot = "" if mark.startswith("·") else "· "
            key = f"{e.id} {dot}" if by_key and e.id in "123456789" and len(e.id) == 1 else ""
            company = _(" at {company}").format(company=e.company) if e.company else ""
            out.append(
                (
                    _("dept {id} {name}").format(id=e.id, name=e.name)
                    + (f" · {e.customer}" if e.customer else ""),
                    _("{key}{state}{company} · open the department's tab").format(
                        key=key, state=mark, company=company
                    )
                    + (f" ({e.note})" if e.note else ""),
                    partial(main.open_department, e.id),
                )
            )
        # (action, what it does): named by the main screen's key for the action, in the
        # footer's and help's words (one name for one action: en "run all", nb "kjør alt").
        screens = [
            ("run_now", _("master data and transfers of the department in view")),
            ("run_row", _("only the entity under the cursor")),
            ("retry_failed", _("send the department's failed transfers again")),
            ("transfers", _("Z-reports, invoice bases and stock with their state")),
            ("calendar", _("did each day's Z-report reach Visma?")),
            ("settlement", _("DUELL's days beside Visma's batches, the month's VAT per code")),
            ("conflicts", _("duplicate customers and product numbers")),
            ("vat", _("DUELL VAT rates against Visma VAT codes")),
            ("doctor", _("what is wrong with this department?")),
            ("accounts", _("the department's DUELL journal lines against Visma accounts")),
            ("setup", _("sign in to Visma, company, branch and cost bearer")),
            ("settings", _("the department's transfers, masters and the runner's settings")),
            ("pick", _("find any department by name, number or customer")),
            ("log", _("events and HTTP calls")),
            ("refresh", _("read the status again")),
        ]
        # Each entry names its key on the main screen: the palette teaches the keys
        keys: dict[str, str] = {}
        names: dict[str, str] = {}
        for _key, binding in main._bindings:  # a binding's first key: f5 rather than ctrl+r
            keys.setdefault(binding.action, self.app.get_key_display(binding))
            names.setdefault(binding.action, palette_name(binding_text(binding)))
        named = [
            (names[action], f"{keys[action]} · {text}", getattr(main, f"action_{action}"))
            for action, text in screens
        ]
        named.append((_("help"), "? · " + _("the keys of the screen in view"), app.action_help))
        return out + named + languages

    async def discover(self) -> Hits:
        for name, help_text, run in self._commands():
            yield DiscoveryHit(name, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, run in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=help_text)


def palette_name(label: str) -> str:
    """A key's label as the palette's entries are written, lower case first ("Run all": "run
    all"), an abbreviation kept ("VAT map")."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]
