"""The command palette (`:` or ctrl+p): jump to a department, run a sync, open a screen.
Commands come from the main screen's own actions, so the palette and the keys never differ."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import cast

from textual.command import DiscoveryHit, Hit, Hits, Provider


class DuviCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        from tui.app import DuviApp
        from tui.screens.main import PICKER_ABOVE, MainScreen

        main = next((s for s in self.app.screen_stack if isinstance(s, MainScreen)), None)
        if main is None:
            return []
        out: list[tuple[str, str, Callable[[], object]]] = []
        # Every department, opened or not (the picker's list, worst first): its tab is
        # opened if need be. The customer is in the name, so that it matches too; the number
        # key, where one jumps to the department's tab, leads its help.
        by_key = len(main.index) <= PICKER_ABOVE
        for e in main.index:
            key = f"{e.id} · " if by_key and e.id in "123456789" and len(e.id) == 1 else ""
            company = f" at {e.company}" if e.company else ""
            out.append(
                (
                    f"dept {e.id} {e.name}" + (f" · {e.customer}" if e.customer else ""),
                    f"{key}{e.state}{company} · open the department's tab"
                    + (f" ({e.note})" if e.note else ""),
                    partial(main.open_department, e.id),
                )
            )
        screens = [
            ("run now", "master data and transfers of the department in view", main.action_run_now),
            ("run row", "only the entity under the cursor", main.action_run_row),
            (
                "retry failed",
                "send the department's failed transfers again",
                main.action_retry_failed,
            ),
            ("transfers", "Z-reports, invoices and stock with their state", main.action_transfers),
            ("calendar", "did each day's Z-report reach Visma?", main.action_calendar),
            (
                "reconciliation",
                "DUELL's days beside Visma's batches, the month's VAT per code",
                main.action_settlement,
            ),
            ("conflicts", "duplicate customers and product numbers", main.action_conflicts),
            ("vat mapping", "DUELL VAT rates against Visma VAT ids", main.action_vat),
            ("doctor", "what is wrong with this department?", main.action_doctor),
            ("log", "events and HTTP calls", main.action_log),
            ("refresh", "read the status again", main.action_refresh),
            ("help", "the keys of the screen in view", cast("DuviApp", self.app).action_help),
        ]
        # Each entry names its key on the main screen: the palette teaches the keys
        keys: dict[str, str] = {}
        for _, binding in main._bindings:  # a binding's first key: f5 rather than ctrl+r
            keys.setdefault(binding.action, self.app.get_key_display(binding))
        keys["help"] = "?"
        named = [
            (
                name,
                f"{keys[k]} · {text}"
                if (k := run.__name__.removeprefix("action_")) in keys
                else text,
                run,
            )
            for name, text, run in screens
        ]
        return out + named

    async def discover(self) -> Hits:
        for name, help_text, run in self._commands():
            yield DiscoveryHit(name, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, run in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=help_text)
