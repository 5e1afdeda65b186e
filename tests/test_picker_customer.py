"""The department picker's "not set up" for departments under a DUELL customer (a second pair
of eyes, 2026-12-02): their Visma client is kept once in the customer's secrets section
(`duvi departments customer`, the scale world), which `department_index` did not read, so every
department of a customer showed "attention: not set up" while `duvi departments list` and
`duvi run --once` used it."""

from __future__ import annotations

from pydantic import SecretStr

from core.config import load_settings
from core.departments import VISMA_CLIENT_ID, VISMA_CLIENT_SECRET, Departments
from core.models import DepartmentSettings
from core.runtime import Runtime
from core.secrets import customer_section
from core.status import department_index


def test_a_department_whose_customer_holds_its_visma_client_is_set_up() -> None:
    with Runtime.open(load_settings()) as rt:
        from core.boot import ensure_installation

        ensure_installation(rt)
        depts = Departments(rt.store, rt.secrets)
        for dept in ("7", "8", "9"):
            depts.add(dept, f"Butikk {dept}")
            depts.save_settings(
                dept,
                DepartmentSettings(
                    visma_tenant_id="tenant-42", visma_company_name="Kjede AS", customer_id="42"
                ),
            )
        # 7 and 8 share the customer's client; 8 also holds a secret of its own (read first);
        # 9's customer has no client at all: not set up.
        rt.secrets.set(customer_section("42"), VISMA_CLIENT_ID, SecretStr("client-42"))
        rt.secrets.set(customer_section("42"), VISMA_CLIENT_SECRET, SecretStr("secret-42"))
        rt.secrets.set("8", VISMA_CLIENT_SECRET, SecretStr("secret-8"))
        depts.save_settings(
            "9",
            DepartmentSettings(
                visma_tenant_id="tenant-43", visma_company_name="Annen AS", customer_id="43"
            ),
        )
        assert depts.is_set_up("7") and depts.is_set_up("8") and not depts.is_set_up("9")
        by_id = {e.id: e for e in department_index(rt)}
    assert (by_id["7"].set_up, by_id["7"].state, by_id["7"].note) == (True, "idle", "")
    assert (by_id["8"].set_up, by_id["8"].state, by_id["8"].note) == (True, "idle", "")
    assert (by_id["9"].set_up, by_id["9"].state, by_id["9"].note) == (
        False,
        "attention",
        "not set up",
    )


def test_the_state_column_leaves_a_space_before_the_number() -> None:
    """At 80 columns the picker drew "! attention1": the mark filled the state column."""
    from core.i18n import set_language
    from tui.screens.departments import STATE_MARK, state_mark, state_width

    for language in ("en", "nb"):  # nb's "! må sjekkes" is longer than "! attention"
        set_language(language)
        assert all(len(f" {state_mark(s)} ") <= state_width() for s in STATE_MARK)
    set_language("en")
