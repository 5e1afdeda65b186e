"""Setup that shows and keeps what it saves, and a VAT mapping that cannot lie (issue 16, items
4 and 5): the console driven by Pilot, then the store read back."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from textual.widgets import Checkbox, Input, Select

from core.config import load_settings
from core.departments import Departments
from core.errors import ConfigError
from core.runtime import Runtime
from core.sandbox.world import sandbox_credentials
from tui.app import DuviApp


async def settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def store() -> Runtime:
    return Runtime.open(load_settings())


async def test_reopened_setup_shows_what_is_saved_and_keeps_the_secret() -> None:
    from tui.screens.setup import SetupScreen

    with store() as rt:  # the first start (the console does it too), read back below
        from core.boot import ensure_installation

        ensure_installation(rt)
        saved_secret = Departments(rt.store, rt.secrets).credentials("1")
    app = DuviApp(load_settings())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("1", "e")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, SetupScreen)
        creds = sandbox_credentials(0)[0]
        assert screen.query_one("#client-id", Input).value == creds.visma_client_id
        assert screen.query_one("#tenant", Input).value == creds.visma_tenant_id
        assert screen.query_one("#company", Select).value == creds.visma_tenant_id  # shown
        secret = screen.query_one("#client-secret", Input)
        assert secret.value == "" and "saved" in secret.placeholder  # never its value
        assert screen.query_one("#several-depts", Checkbox).value
        assert screen.query_one("#cost-bearer", Select).value == "1:01"
        assert screen.query_one("#automatic", Checkbox).value  # department 1 runs by itself
        assert "Saved: Garnbua AS" in str(screen.query_one("#setup-result").render())
        await pilot.press("f5")  # the saved secret signs in: nothing to type again
        await settle(app, pilot)
        assert "Signed in: Garnbua AS" in str(screen.query_one("#setup-result").render())
        assert screen.query_one("#cost-bearer", Select).value == "1:01"  # still chosen
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    with store() as rt:
        depts = Departments(rt.store, rt.secrets)
        assert depts.credentials("1") == saved_secret  # kept, not emptied
        dept = depts.get("1")
        assert dept is not None
        assert dept.settings.cost_bearer_value == "01" and dept.settings.several_departments
        assert dept.settings.automatic_transfer
        setups = rt.store.query("SELECT target FROM audit WHERE action = 'department.setup'")
        assert setups == [{"target": "console"}]


async def test_sandbox_credentials_and_a_chosen_branch_and_cost_bearer_imply_their_boxes() -> None:
    from tui.screens.setup import SetupScreen

    app = DuviApp(load_settings())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("3", "e")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, SetupScreen)
        await pilot.press("f4")  # the sandbox's own client for department 3, then checked
        await settle(app, pilot)
        await settle(app, pilot)
        assert "Signed in: Garnbua Trøndelag AS" in str(screen.query_one("#setup-result").render())
        assert not screen.query_one("#several-clients", Checkbox).value
        screen.query_one("#branch", Select).value = "2"  # no box ticked by hand
        screen.query_one("#cost-bearer", Select).value = "1:03"
        await pilot.pause()
        assert screen.query_one("#several-clients", Checkbox).value
        assert screen.query_one("#several-depts", Checkbox).value
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert screen.query_one("#client-secret", Input).value == ""
    with store() as rt:
        depts = Departments(rt.store, rt.secrets)
        creds = sandbox_credentials(0)[2]
        saved = depts.credentials("3")
        assert saved is not None and saved[0] == creds.visma_client_id
        assert saved[1].get_secret_value() == creds.visma_client_secret
        s = depts.get("3").settings  # type: ignore[union-attr]
        assert (s.several_clients, s.branch_number) == (True, "2")
        assert (s.several_departments, s.cost_bearer_segment, s.cost_bearer_value) == (
            True,
            1,
            "03",
        )


async def test_unticking_a_box_clears_its_choice_and_a_box_alone_is_refused() -> None:
    app = DuviApp(load_settings())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("3", "e", "f4")
        await settle(app, pilot)
        await settle(app, pilot)
        screen = app.screen
        screen.query_one("#branch", Select).value = "2"
        await pilot.pause()
        screen.query_one("#several-clients", Checkbox).value = False
        await pilot.pause()
        assert screen.query_one("#branch", Select).value is Select.NULL  # shown, not hidden
        screen.query_one("#several-clients", Checkbox).value = True  # a box without a branch
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        said = [n.message for n in app._notifications]
        assert "Several clients is ticked: choose the Visma branch." in said  # refused, with why
    with store() as rt:
        assert not Departments(rt.store, rt.secrets).is_set_up("3")  # nothing saved


async def test_the_vat_editor_refuses_a_vat_id_of_another_rate_and_keeps_its_cursor() -> None:
    from tui.screens.pick import PickOne
    from tui.screens.vat import VatScreen

    app = DuviApp(load_settings())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("v")
        await settle(app, pilot)
        assert isinstance(app.screen, VatScreen)
        table = app.screen.query_one("#vat")
        rates = [table.get_row_at(i)[0] for i in range(table.row_count)]
        row = rates.index("12 %")
        table.move_cursor(row=row)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PickOne)
        picker = app.screen.query_one("#pick")
        ids = [o.id for o in picker.options]
        assert picker.highlighted == ids.index("33")  # opens on the suggested (SAF-T) id
        picker.highlighted = ids.index("31")  # the 15 % code for 12 %
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, VatScreen)
        assert table.get_row_at(row)[3] == "33"  # refused: unchanged
        assert table.cursor_row == row  # the cursor stays on the row
        await pilot.press("enter")
        await pilot.pause()
        picker = app.screen.query_one("#pick")
        picker.highlighted = [o.id for o in picker.options].index("-")  # unmapped: allowed
        await pilot.press("enter")
        await pilot.pause()
        assert table.get_row_at(row)[3] == "- *" and table.cursor_row == row
        await pilot.press("u", "enter")  # undone; then the picker cancelled with Esc
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, VatScreen)
        assert table.get_row_at(row)[3] == "33" and not app.screen.edits  # Esc is no choice
    with store() as rt:
        assert Departments(rt.store, rt.secrets).vat_mappings("1")[Decimal(12)].visma_vat_id == (
            "33"
        )


def test_the_engine_refuses_a_mismatch_whatever_the_screen_shows() -> None:
    from core.api import ConsoleApi

    api = ConsoleApi(load_settings())
    try:
        with pytest.raises(ConfigError) as refused:
            api.save_vat_mapping("1", {Decimal(25): "31"})
        assert "VAT rate 25 % cannot map to Visma VAT id 31: its rate is 15 %" in str(refused.value)
        depts = Departments(api.rt.store, api.rt.secrets)
        assert depts.vat_mappings("1")[Decimal(25)].visma_vat_id == "3"
        assert not api.rt.store.query(
            "SELECT 1 FROM audit WHERE action = 'vat_mapping.set' AND target = '25 %'"
            " AND after = '\"31\"'"
        )
    finally:
        api.close()


def test_the_engine_refuses_a_flag_without_its_choice_and_a_choice_without_its_flag() -> None:
    from pydantic import SecretStr

    from core.api import ConsoleApi
    from core.readmodels import SetupChoice

    c = sandbox_credentials(0)[2]
    base = SetupChoice(c.visma_client_id, c.visma_tenant_id, SecretStr(c.visma_client_secret))
    api = ConsoleApi(load_settings())
    try:
        for choice, said in (
            (replace(base, several_clients=True), "Flere klienter is on but no branch"),
            (replace(base, branch="2", several_clients=False), "it would not be used"),
            (replace(base, several_departments=True), "Flere avdelinger is on but no cost"),
        ):
            with pytest.raises(ConfigError, match=said):
                api.setup_save("3", choice)
        assert not Departments(api.rt.store, api.rt.secrets).is_set_up("3")
    finally:
        api.close()


async def test_setup_offers_the_companys_item_classes_and_warehouses() -> None:
    from tui.screens.setup import SetupScreen

    app = DuviApp(load_settings())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("3", "e", "f4")
        await settle(app, pilot)
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, SetupScreen)
        classes = screen.query_one("#item-class", Select)
        warehouses = screen.query_one("#warehouse", Select)
        assert [v for _, v in classes._options if v is not Select.NULL] == ["VARER", "TJENESTE"]
        assert [v for _, v in warehouses._options if v is not Select.NULL] == ["TRH"]  # active
        screen.query_one("#cost-bearer", Select).value = "1:03"
        classes.value = "TJENESTE"
        warehouses.value = "TRH"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "item class TJENESTE, warehouse TRH" in str(
            screen.query_one("#setup-result").render()
        )
    with store() as rt:
        s = Departments(rt.store, rt.secrets).get("3").settings  # type: ignore[union-attr]
        assert (s.item_class, s.warehouse, s.subaccount_defaults) == ("TJENESTE", "TRH", {2: "100"})
    app = DuviApp(load_settings())
    async with app.run_test(size=(120, 40)) as pilot:  # reopened: the saved ones are shown
        await settle(app, pilot)
        await pilot.press("3", "e")
        await settle(app, pilot)
        assert app.screen.query_one("#item-class", Select).value == "TJENESTE"
        app.screen.query_one("#warehouse", Select).clear()  # none: each item's default
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    with store() as rt:
        s = Departments(rt.store, rt.secrets).get("3").settings  # type: ignore[union-attr]
        assert (s.item_class, s.warehouse) == ("TJENESTE", None)
