from __future__ import annotations

from pathlib import Path

import pytest

from core.config import config_file_path, dotenv_path, explain, load_settings
from core.errors import ConfigError


def write_config(text: str) -> Path:
    path = config_file_path()
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def test_a_config_file_others_can_read_is_refused_with_the_fix(home: Path) -> None:
    path = write_config('theme = "from-file"\n')
    path.chmod(0o644)
    with pytest.raises(ConfigError) as exc:
        load_settings()
    assert "readable or writable by other users" in exc.value.message
    assert exc.value.remedy == f"run: chmod 600 {path}"
    path.chmod(0o600)
    assert load_settings().theme == "from-file"


def test_defaults_derive_paths_from_home(home: Path) -> None:
    s = load_settings()
    assert s.home == home
    assert s.database == home / "duvi.db"
    assert s.secrets == home / "secrets.json"
    assert s.sandbox is True and s.animations == "none"


def test_precedence_init_env_dotenv_file_default(monkeypatch: pytest.MonkeyPatch) -> None:
    write_config('theme = "from-file"\nconcurrency = 7\nmouse = false\nrequest_timeout = 11\n')
    dotenv_path().write_text("DUVI_THEME=from-dotenv\nDUVI_CONCURRENCY=6\n")
    dotenv_path().chmod(0o600)
    monkeypatch.setenv("DUVI_THEME", "from-env")

    s = load_settings(theme="from-init")
    assert s.theme == "from-init"
    s = load_settings()
    assert s.theme == "from-env"  # env beats .env and file
    assert s.concurrency == 6  # .env beats file
    assert s.mouse is False  # file beats default
    assert s.request_timeout == 11
    assert s.connect_timeout == 10.0  # default

    sources = {r.name: r.source for r in explain(s)}
    assert sources["theme"] == "environment"
    assert sources["concurrency"] == f".env {dotenv_path()}"
    assert sources["mouse"].startswith("config file")
    assert sources["connect_timeout"] == "default"
    assert sources["db_path"] == "default (under home)"
    assert {r.name: r.source for r in explain(load_settings(theme="x"), {"theme": "x"})}[
        "theme"
    ] == "argument"


def test_secrets_are_masked_in_explain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUVI_WEBHOOK_SECRET", "hunter2-very-secret")
    s = load_settings()
    assert s.webhook_secret is not None
    shown = {r.name: r.value for r in explain(s)}
    assert shown["webhook_secret"] == "**********"
    assert "hunter2" not in repr(s)


def test_corrupt_toml_names_file_and_line() -> None:
    path = write_config('theme = "ok"\nmouse = \n')
    with pytest.raises(ConfigError) as exc:
        load_settings()
    assert str(path) in exc.value.message and "line 2" in exc.value.message
    assert path.read_text() == 'theme = "ok"\nmouse = \n'  # nothing overwritten


def test_unknown_setting_is_named() -> None:
    write_config("colour = 'red'\n")
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        load_settings()


def test_bad_value_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUVI_CONCURRENCY", "lots")
    with pytest.raises(ConfigError, match="concurrency"):
        load_settings()
