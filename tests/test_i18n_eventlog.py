"""The event log in the reader's language (issue 22): an event keeps its English message and
the sentence's template with its values; `duvi log` and the console say it again in nb, with
duvi's own words among the values (an entity, a kind, a state) translated too, and JSON keeps
the English and the template. An event logged without a template is shown as stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.eventlog import EventLog, Level, LogFilter
from core.eventtext import event_text, msg, own_data, plural_msg
from core.i18n import N_, said, set_language
from tests.test_eventlog import log  # noqa: F401 - the fixture


def test_a_logged_sentence_is_stored_in_english_and_read_in_norwegian(
    log: EventLog,  # noqa: F811 - the fixture
) -> None:
    log.info(
        msg(N_("{key} posted as batch {number} (on hold)"), key="DUELL-Z-1-30", number="000030"),
        department_id="1",
        entity="zreport",
    )
    log.error(
        msg(
            N_("department {dept}: {entity} failed: {message}"),
            dept="1",
            entity="products",
            message="map VAT rate 25 % to a Visma VAT code",
        ),
        data={"remedy": "map it"},
    )
    log.info(
        msg(
            N_("{key} was already in Visma as batch {number} ({why})"),
            key="DUELL-Z-1-31",
            number="000031",
            why=msg(N_("found after doubt")),
        )
    )
    log.error(
        plural_msg(
            "{n} new product not created in Visma: {why}",
            "{n} new products not created in Visma: {why}",
            n=5000,
            why="Visma says no",
        )
    )
    log.info("an event from before templates: posted as batch 000001")
    set_language("nb")  # an error said in nb (core.i18n.said) is logged in English
    log.warning(said(N_("no alert channels are set up")))
    set_language("en")
    log.flush()
    posted, failed, found, counted, old, quoted = reversed(log.page())

    # Stored: the English as before, the template and its values beside it in the data
    assert posted.message == "DUELL-Z-1-30 posted as batch 000030 (on hold)"
    assert posted.data == {
        "template": "{key} posted as batch {number} (on hold)",
        "params": {"key": "DUELL-Z-1-30", "number": "000030"},
    }
    assert failed.message == "department 1: products failed: map VAT rate 25 % to a Visma VAT code"
    assert own_data(failed.data) == {"remedy": "map it"}
    assert found.message == "DUELL-Z-1-31 was already in Visma as batch 000031 (found after doubt)"
    assert counted.message == "5000 new products not created in Visma: Visma says no"
    assert counted.data is not None and counted.data["plural"].startswith("{n} new products")
    assert quoted.message == "no alert channels are set up"  # a said() error: its English
    assert old.data is None and own_data(posted.data) is None

    def shown(lang: str) -> list[str]:
        set_language(lang)
        return [
            event_text(e.message, e.data) for e in (posted, failed, found, counted, old, quoted)
        ]

    assert shown("nb") == [
        "DUELL-Z-1-30 sendt som bunt 000030 (holdt tilbake)",
        "avdeling 1: varer feilet: koble mva-sats 25 % til en Visma mva-kode",
        "DUELL-Z-1-31 var allerede i Visma som bunt 000031 (funnet etter tvil)",
        "5\xa0000 nye varer ble ikke opprettet i Visma: Visma says no",  # Visma's words as said
        "an event from before templates: posted as batch 000001",  # as stored
        "ingen varslingskanaler er satt opp",
    ]
    assert shown("en") == [e.message for e in (posted, failed, found, counted, old, quoted)]
    # Search finds what the reader sees: in nb the Norwegian sentence as well as the English
    set_language("nb")
    assert [e.id for e in log.page(LogFilter(text="posted as batch"))] == [old.id, posted.id]
    assert [e.id for e in log.page(LogFilter(text="sendt som bunt"))] == [posted.id]
    set_language("en")
    assert log.page(LogFilter(text="sendt som bunt")) == []


def test_a_search_finds_the_words_the_reader_sees_in_either_language(
    log: EventLog,  # noqa: F811 - the fixture
) -> None:
    """nb: a word only the Norwegian sentence has (its template's, or one of duvi's words
    among its values) finds the event, whatever its case, on every page, under the other
    filters and in `--follow`; the stored English still finds it. en: the English only. A
    value (a department's name) is found in both."""

    def posted(z: int, dept: str) -> None:
        log.info(
            msg(N_("{key} posted as batch {number} (on hold)"), key=f"DUELL-Z-{z}", number=z),
            department_id=dept,
        )

    posted(1, "1")
    log.error(
        msg(
            N_("department {dept}: {entity} failed: {message}"),
            dept="Fjellgata",
            entity="products",
            message="Visma says no",
        ),
        department_id="2",
    )
    posted(2, "2")
    log.info("an event from before templates: posted as batch 000001", department_id="1")
    posted(3, "1")
    log.flush()
    one, failed, two, old, three = sorted(log.page(), key=lambda e: e.id)

    def found(text: str, **kw: object) -> list[int]:
        return [e.id for e in log.page(LogFilter(text=text), **kw)]  # type: ignore[arg-type]

    set_language("nb")
    assert event_text(three.message, three.data) == "DUELL-Z-3 sendt som bunt 3 (holdt tilbake)"
    assert found("Sendt som BUNT") == [three.id, two.id, one.id]
    assert found("holdt tilbake", limit=2) == [three.id, two.id]
    assert found("sendt", before_id=two.id) == [one.id]
    assert found("posted") == [three.id, old.id, two.id, one.id]  # the English too
    assert found("varer") == found("feilet") == [failed.id]  # avdeling Fjellgata: varer feilet
    assert found("Fjellgata") == [failed.id]
    flt = LogFilter(text="sendt", department_id="1")
    assert [e.id for e in log.page(flt)] == [three.id, one.id]
    assert [e.id for e in log.since(flt, one.id)] == [three.id]
    assert [e.id for e in log.since(LogFilter(text="varer"), 0)] == [failed.id]

    set_language("en")
    assert found("sendt") == found("varer") == found("feilet") == []
    assert found("posted") == [three.id, old.id, two.id, one.id]
    assert found("products failed") == found("Fjellgata") == [failed.id]


def test_the_search_reads_the_template_index_and_events_before_it_are_numbered(
    tmp_path: Path,
) -> None:
    """An event logged before the template column (schema 14) is numbered by the migration
    and found in nb; the template's events are read through its index."""
    from core.eventtext import template_key
    from core.store import Store

    store = Store(tmp_path / "duvi.db", migrate=False)
    store.migrate(14)
    data = {"template": "{key} posted as batch {number} (on hold)", "params": {"key": "K"}}
    with store.write():
        store.conn.execute(
            "INSERT INTO events (ts, level, message, data) VALUES ('t', 20, ?, ?)",
            ["K posted as batch 7 (on hold)", json.dumps(data)],
        )
        store.conn.execute(
            "INSERT INTO events (ts, level, message, data) VALUES ('t', 20, 'x', '{bad')"
        )
    store.migrate()
    keys = store.query("SELECT template_key FROM events ORDER BY id")
    assert [k["template_key"] for k in keys] == [template_key(str(data["template"])), None]
    plan = store.query(
        "EXPLAIN QUERY PLAN SELECT id FROM events INDEXED BY idx_events_template "
        "WHERE template_key = 1 ORDER BY id DESC LIMIT 5"
    )
    assert "idx_events_template" in plan[0]["detail"]
    events = EventLog(store)
    set_language("nb")
    try:
        assert [e.message for e in events.page(LogFilter(text="sendt"))] == [
            "K posted as batch 7 (on hold)"
        ]
    finally:
        set_language("en")
        events.close()
        store.close()


def test_a_template_that_no_longer_fits_its_values_shows_the_stored_message() -> None:
    set_language("nb")
    assert event_text("as stored", {"template": "{key} posted", "params": {}}) == "as stored"
    assert event_text("as stored", {"template": 3}) == "as stored"
    assert event_text("as stored", None) == "as stored"


def test_duvi_log_says_the_engine_s_sentences_in_norwegian_and_json_keeps_english(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from core import boot
    from tests.test_cli import sandbox_installation
    from tests.test_i18n_cli import said as ran

    boot.sandbox.cache_clear()  # batch numbers from the seed, as a fresh process has them
    sandbox_installation()
    monkeypatch.setenv("DUVI_LANGUAGE", "nb")
    ran(capsys, ["sync", "-d", "1", "-e", "zreports"])
    nb = ran(capsys, ["log", "-d", "1", "-e", "zreport", "-n", "500"]).splitlines()
    nb_json = ran(capsys, ["log", "-d", "1", "-n", "500", "--json"])
    monkeypatch.setenv("DUVI_LANGUAGE", "en")
    en = ran(capsys, ["log", "-d", "1", "-e", "zreport", "-n", "500"]).splitlines()
    en_json = ran(capsys, ["log", "-d", "1", "-n", "500", "--json"])

    assert any(ln.endswith("DUELL-Z-1-4 sendt som bunt 000004 (holdt tilbake)") for ln in nb)
    assert any(ln.endswith("DUELL-Z-1-4 posted as batch 000004 (on hold)") for ln in en)
    assert [ln for ln in nb if "posted as" in ln or "released in" in ln] == []
    # the same events, line for line; only the message's language differs
    assert len(nb) == len(en) > 30
    # JSON: English and the template, whatever the language
    assert nb_json == en_json
    event = next(json.loads(ln) for ln in en_json.splitlines() if "DUELL-Z-1-4 posted" in ln)
    assert (event["message"], event["data"]["template"], event["level"]) == (
        "DUELL-Z-1-4 posted as batch 000004 (on hold)",
        "{key} posted as batch {number} (on hold)",
        Level.INFO.name,
    )
    set_language("en")


def test_a_posted_document_s_flags_are_said_in_the_language() -> None:
    """The warnings a posted document's flags log ("{key}: {flag}") and its view's "!" lines:
    each flag a sentence core/reasons.py registers, built from it in English."""
    from core.reasons import ITEMS_PARKED, PAYMENT_FALLBACK

    flags = [
        PAYMENT_FALLBACK.format(type="stripe", account="1579"),
        ITEMS_PARKED.format(items="4711, 4712", key="DUELL-STOCK-1-2026-11-01-parked"),
    ]
    assert flags == [  # the English as before
        "payment type 'stripe' has no account: booked on the fallback account 1579",
        "item 4711, 4712 not in Visma yet: its line waits in DUELL-STOCK-1-2026-11-01-parked, "
        "sent once the item exists",
    ]
    logged = [msg(N_("{key}: {flag}"), key="DUELL-Z-1-4", flag=f) for f in flags]
    set_language("nb")
    assert [event_text(m.english(), m.stored()) for m in logged] == [
        "DUELL-Z-1-4: betalingstype 'stripe' har ingen konto: ført på reservekontoen 1579",
        "DUELL-Z-1-4: vare 4711, 4712 finnes ikke i Visma ennå: linjen venter i "
        "DUELL-STOCK-1-2026-11-01-parked, sendes når varen finnes",
    ]


def test_a_z_report_changed_after_it_was_posted_is_said_in_the_language() -> None:
    """The reason a changed Z-report waits (core/transfers/zreports.changed), stored in the
    ledger and logged as "{key}: {message}": whole sentences, amounts and the day as nb
    writes them."""
    from datetime import date
    from decimal import Decimal

    from core.reasons import CHANGED_POSTED_AS, CHANGED_POSTED_REMEDY, reason_text

    stored = CHANGED_POSTED_AS.format(
        z=4, register="101", day=date(2026, 11, 1), batch="000004", total_was=Decimal("2500.00"),
        total=Decimal("2600.00"), paid_was=Decimal("2500.00"), paid=Decimal("2500.00"),
        source="DUELL",
    ) + "\n  → " + CHANGED_POSTED_REMEDY.format(batch="000004")  # fmt: skip
    assert stored.startswith(
        "Z-report 4 (register 101, 2026-11-01) changed in DUELL after it was posted to Visma as "
        "batch 000004: total 2500.00 → 2600.00, paid 2500.00 → 2500.00 (DUELL); it is not "
        "posted again\n  → a person books the difference in Visma (correct batch 000004 or"
    )
    logged = msg(N_("{key}: {message}"), key="DUELL-Z-1-4", message=stored)
    set_language("nb")
    assert event_text(logged.english(), logged.stored()).splitlines() == [
        "DUELL-Z-1-4: dagsoppgjør 4 (kasse 101, 01.11.2026) ble endret i DUELL etter at det ble "
        "sendt til Visma som bunt 000004: sum 2\xa0500,00\xa0kr → 2\xa0600,00\xa0kr, betalt "
        "2\xa0500,00\xa0kr → 2\xa0500,00\xa0kr (DUELL); det sendes ikke igjen",
        "  → en person fører differansen i Visma (retter bunt 000004 eller legger til et "
        "korreksjonsbilag); deretter markerer `duvi sync --retry-failed` det som ferdig: Vismas "
        "bunt finnes via nøkkelen, ingenting sendes to ganger",
    ]
    assert reason_text(stored) == "\n".join(
        event_text(logged.english(), logged.stored()).removeprefix("DUELL-Z-1-4: ").splitlines()
    )
