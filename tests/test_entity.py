"""The status panel's entities: their store names, plurals and labels."""

import pytest

from core.status import PANEL_ENTITY, RUNNABLE, Entity


def test_plural_names_what_sync_runs_and_goes_back() -> None:
    for entity in Entity:
        assert entity.plural in RUNNABLE, entity
        assert Entity.from_plural(entity.plural) is entity
        assert PANEL_ENTITY[entity] == entity.plural
    assert Entity.STOCK.plural == "stock"
    assert Entity.PRODUCT.plural == "products"


def test_from_plural_refuses_a_name_that_is_no_entity() -> None:
    with pytest.raises(ValueError, match="'all'"):
        Entity.from_plural("all")


def test_an_entity_is_its_store_name() -> None:
    # The ledger's kind and the events' entity columns hold the plain names.
    assert Entity.ZREPORT == "zreport"
    assert f"{Entity.INVOICE}:polled_at" == "invoice:polled_at"
    assert Entity.ZREPORT.label == "Z-reports"
