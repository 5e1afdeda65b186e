from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from core.i18n import set_language

pytest_plugins = ["tests.sandbox_fixtures"]

# Properties are checked by their examples, not by the clock: on a loaded CI machine the first
# draw of some strategies (e-mail addresses build their domain list) is slow, which is not a
# failure of what the property states.
settings.register_profile("duvi", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("duvi")


@pytest.fixture(autouse=True)
def isolated_env(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own DUVI_HOME, config file location and working directory."""
    for key in list(os.environ):
        if key.startswith("DUVI_"):
            monkeypatch.delenv(key)
    home = tmp_path / "home"
    monkeypatch.setenv("DUVI_HOME", str(home))
    config = tmp_path_factory.mktemp("config") / "config.toml"  # beside tmp_path, not in it
    config.touch(mode=0o600)  # a DUVI_CONFIG naming a missing file is refused (finding D3)
    monkeypatch.setenv("DUVI_CONFIG", str(config))
    # The sandbox world's days lie in Visma periods that ended and are never closed, with
    # documents not released: every department would warn of a period about to close. Off
    # here; the tests of that warning (test_period_close.py) turn it on.
    monkeypatch.setenv("DUVI_PERIOD_CLOSE_WARN_DAYS", "0")
    # English unless a test asks for Norwegian (test_i18n*.py): the machine's locale must not
    # decide what a test reads, and one test's language must not leak into the next.
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    set_language("en")
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def home(isolated_env: Path) -> Path:
    return isolated_env


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--reliability-report",
        metavar="PATH",
        default=None,
        help="write the figures of the reliability tests to PATH (markdown)",
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = session.config.getoption("--reliability-report")
    if target:
        from tests.helpers import reliability

        reliability.write(Path(target), passed=exitstatus == 0)
