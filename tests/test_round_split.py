"""How a round is spread over processes (core/round_split.py), and the settings a worker
process is handed (core/round_workers.py). Figures worked out by hand."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.config import load_settings
from core.round_split import share_slots, split_round
from core.round_workers import RoundWorkers, settings_wire


def test_a_companys_departments_stay_together_and_the_largest_go_first() -> None:
    # A has 4 departments, B 3, C 2, D 1 (the round's order: one of each company in turn).
    company_of = {"1": "A", "2": "A", "3": "A", "4": "A", "5": "B", "6": "B", "7": "B"}
    company_of |= {"8": "C", "9": "C", "10": "D"}
    order = ["1", "5", "8", "10", "2", "6", "9", "3", "7", "4"]
    # Largest first, each to the lighter group: A (4) to the first, B (3) to the second,
    # C (2) to the second (3 < 4), D (1) to the first (4 < 5). Loads 5 and 5.
    assert split_round(order, company_of, 2) == [
        ["1", "10", "2", "3", "4"],
        ["5", "8", "6", "9", "7"],
    ]
    # Three: A; B; C then D (loads 4, 3, 2 → C to the third, D to the third: 4, 3, 3).
    assert split_round(order, company_of, 3) == [
        ["1", "2", "3", "4"],
        ["5", "6", "7"],
        ["8", "10", "9"],
    ]


def test_never_more_groups_than_companies_and_one_process_keeps_the_order() -> None:
    order = ["1", "2", "3"]
    assert split_round(order, dict.fromkeys(order, "A"), 4) == [["1", "2", "3"]]
    assert split_round(order, {"1": "A", "2": "B", "3": "A"}, 1) == [["1", "2", "3"]]
    assert split_round([], {}, 3) == []
    # A department without a company (its settings unreadable) is a company of its own.
    assert split_round(["7", "8"], {}, 2) == [["7"], ["8"]]


def test_the_slots_are_one_global_limit_shared_by_departments() -> None:
    assert share_slots([500, 300, 200], 16) == [8, 5, 3]  # 8.0, 4.8, 3.2
    assert share_slots([98, 2], 16) == [15, 1]  # 15.68, 0.32 → at least one each
    assert share_slots([1, 1, 30], 8) == [1, 1, 6]  # no group more than its departments
    assert share_slots([2, 2], 16) == [2, 2]  # every department has a slot: 4 of 16 used
    assert share_slots([10, 10, 10], 3) == [1, 1, 1]
    for sizes, limit in [([7, 1, 1, 1, 1], 5), ([3, 3, 3], 4), ([1000], 16), ([5, 4], 2)]:
        slots = share_slots(sizes, limit)
        assert sum(slots) <= limit and all(1 <= n <= s for n, s in zip(slots, sizes, strict=True))
    with pytest.raises(ValueError):
        share_slots([1, 1, 1], 2)


def test_a_worker_gets_the_runners_settings_not_what_a_dotenv_says_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUVI_WEBHOOK_SECRET", "s3cret-of-the-runner")
    monkeypatch.setenv("DUVI_RUNNER_CONCURRENCY", "7")
    settings = load_settings(sandbox=False)
    wire = settings_wire(settings)
    assert wire["webhook_secret"] == "s3cret-of-the-runner"  # in the clear, on the pipe only
    # An adversary's .env and environment, after the runner started: the worker ignores them.
    Path(".env").write_text("DUVI_RUNNER_CONCURRENCY=1\nDUVI_SANDBOX=true\n")
    monkeypatch.setenv("DUVI_WEBHOOK_SECRET", "someone-elses")
    monkeypatch.setenv("DUVI_HOME", os.fspath(tmp_path / "elsewhere"))
    again = load_settings(**wire)
    assert again == settings
    assert again.webhook_secret == SecretStr("s3cret-of-the-runner")
    assert (again.runner_concurrency, again.sandbox, again.home) == (7, False, settings.home)


async def test_a_worker_that_dies_while_answering_leaves_its_departments_as_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import core.round_workers

    monkeypatch.setattr(core.round_workers, "WORKER_MODULE", "tests.fake_round_worker")
    monkeypatch.setenv("PYTHONPATH", os.fspath(Path(__file__).parent.parent))
    workers = RoundWorkers(load_settings(sandbox=False))
    try:
        part = await workers.run(0, ["1", "2"], 1)
    finally:
        await workers.aclose()
    error = (
        "the round's worker process ended (exit code 3) before it reported; "
        "the department is tried again next round"
    )
    assert part.errors == {"1": error, "2": error} and part.transferred == {}
