"""The status panel's words for automatic transfer (issue 22): the setting and the runner are
two facts with a word each, true in both states ("automatisk overføring på" in the summary,
"automatikken står" where no runner runs, never "automatisk på" beside "automatikk av"), and
the webhook row is named in the language (nb Webhooker)."""

from __future__ import annotations

import pytest

from core.i18n import set_language
from core.status import department_status
from tests.sandbox_fixtures import Installation


@pytest.mark.parametrize(
    ("language", "setting", "no_runner", "webhooks", "unsaid"),
    [
        (
            "nb",
            "automatisk overføring på",
            "automatikken står",
            "Webhooker",
            ("automatisk på", "automatikk av"),
        ),
        ("en", "automatic transfer on", "no runner", "Webhooks", ("automatic on", "runner off")),
    ],
)
def test_the_setting_and_the_runner_have_a_word_each(
    installation: Installation,
    language: str,
    setting: str,
    no_runner: str,
    webhooks: str,
    unsaid: tuple[str, ...],
) -> None:
    set_language(language)
    try:
        shown = department_status(installation.rt, "1")  # automatic transfer on; no runner
    finally:
        set_language("en")
    assert setting in shown.settings_summary
    assert {r.next_run for r in shown.rows if r.state != "off"} == {no_runner}
    assert [r.label for r in shown.rows if r.entity == "webhook"] == [webhooks]
    said = " ".join([shown.settings_summary, *(r.next_run or "" for r in shown.rows)])
    assert not [w for w in unsaid if w in said], said
