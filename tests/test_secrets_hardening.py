"""Secrets against a local adversary (issue 20, item 5): where `.env` is read from, plain-http
service URLs, the support bundle's target, a writable data directory, the secrets temp file."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from core.bundle import build_bundle
from core.config import Settings, config_file_path, dotenv_path, explain, load_settings
from core.doctor import Status, local_checks
from core.errors import EXIT_CONFIG, ConfigError
from core.fsutil import write_new_private
from core.runtime import Runtime
from core.secrets import SecretsFile
from tests.helpers import reliability

ROOT = Path(__file__).parent.parent
REDIRECT = (
    "DUVI_SANDBOX=false\n"
    "DUVI_DUELL_BASE_URL=https://catcher.example/duell/v1\n"
    "DUVI_VISMA_BASE_URL=https://catcher.example/visma\n"
)


SECRETS = "Attacks: secrets (.env, cleartext URLs, the support bundle, DUVI_HOME, the secrets file)"
SECRETS_NOTE = (
    "tests/test_secrets_hardening.py, each row one attack: a `.env` in the working directory "
    "redirecting the services; `duvi` processes given an http:// service URL; a watcher of "
    "the bundle's path while it is packed (umask 0); a symlink planted at the secrets temp "
    "file's name; a group/world-writable DUVI_HOME (0770, 0757, 1777) under doctor. Leaks: "
    "bytes of a secret that reached the attacker. Before the fixes: the DUELL token went in "
    "cleartext to a listener, the bundle was 0644 while written, doctor passed a 1777 home."
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def duvi(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config directory that is not the working directory (conftest makes them one)."""
    directory = tmp_path / "etc"
    directory.mkdir(mode=0o700)
    (directory / "config.toml").touch(mode=0o600)  # DUVI_CONFIG must name a file
    monkeypatch.setenv("DUVI_CONFIG", str(directory / "config.toml"))
    return directory


def write_private_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


# -- .env -------------------------------------------------------------------------------------


def test_a_dotenv_in_the_working_directory_has_no_effect(config_dir: Path) -> None:
    write_private_text(Path.cwd() / ".env", REDIRECT)
    s = load_settings()
    assert s.sandbox is True
    assert s.duell_base_url == Settings.model_fields["duell_base_url"].default
    assert {r.name: r.source for r in explain(s)}["duell_base_url"] == "default"
    reliability.record_row(
        SECRETS, SECRETS_NOTE, ".env in the working directory", refused=1, leaks=0
    )


def test_a_dotenv_beside_the_config_file_is_read_and_named(config_dir: Path) -> None:
    assert dotenv_path() == config_dir / ".env"
    write_private_text(config_dir / ".env", REDIRECT)
    s = load_settings()
    assert s.sandbox is False
    assert s.duell_base_url == "https://catcher.example/duell/v1"
    sources = {r.name: r.source for r in explain(s)}
    assert sources["duell_base_url"] == f".env {config_dir / '.env'}"


def test_a_dotenv_others_can_read_is_refused_with_the_fix(config_dir: Path) -> None:
    path = write_private_text(config_dir / ".env", "DUVI_THEME=x\n")
    path.chmod(0o644)
    with pytest.raises(ConfigError) as exc:
        load_settings()
    assert exc.value.exit_code == EXIT_CONFIG
    assert exc.value.remedy == f"run: chmod 600 {path}"


def test_duvi_config_ignores_the_working_directorys_dotenv(
    tmp_path: Path, config_dir: Path
) -> None:
    """The finding's repro: `cd` into a directory holding a `.env`, then run duvi."""
    shared = tmp_path / "shared"
    shared.mkdir()
    write_private_text(shared / ".env", REDIRECT)
    r = duvi("config", "--json", cwd=shared)
    assert r.returncode == 0, r.stderr
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert rows["sandbox"]["value"] == "True" and rows["sandbox"]["source"] == "default"
    assert "catcher.example" not in r.stdout


def test_explain_names_the_source_settings_took_each_value_from(
    home: Path, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A value in each source, several fields in more than one: explain() must name, for every
    field, the source whose value Settings() holds (review §7: the two cannot drift)."""
    written: dict[str, dict[str, Any]] = {
        "argument": {"theme": "from-argument"},
        "environment": {
            "home": home,  # conftest's DUVI_HOME
            "period_close_warn_days": 0,  # conftest's: the sandbox's past periods never close
            "theme": "from-env",
            "concurrency": 5,
            "keymap": {"run-now": "r"},
        },
        ".env": {"theme": "from-dotenv", "concurrency": 6, "request_timeout": 12.0},
        "config file": {
            "theme": "from-file",
            "concurrency": 7,
            "request_timeout": 11.0,
            "mouse": False,
            "visma_base_url": "http://127.0.0.1:8700/visma",
        },
    }
    for name, value in written["environment"].items():
        shown = json.dumps(value) if isinstance(value, dict) else str(value)
        monkeypatch.setenv(f"DUVI_{name.upper()}", shown)
    write_private_text(
        dotenv_path(),
        "".join(f"DUVI_{k.upper()}={v}\n" for k, v in written[".env"].items()),
    )
    write_private_text(
        config_file_path(),
        "".join(f"{k} = {json.dumps(v)}\n" for k, v in written["config file"].items()),
    )
    overrides = written["argument"]
    settings = load_settings(**overrides)
    rows = {r.name: r for r in explain(settings, overrides)}
    assert set(rows) == set(Settings.model_fields)
    for name, field in Settings.model_fields.items():
        source = next((label for label, values in written.items() if name in values), None)
        if source is None:
            assert rows[name].source in ("default", "default (under home)"), name
            if name not in ("home", "db_path", "secrets_file"):
                assert getattr(settings, name) == field.get_default(call_default_factory=True)
            continue
        assert getattr(settings, name) == written[source][name], name
        expected = {
            ".env": f".env {dotenv_path()}",
            "config file": f"config file {config_file_path()}",
        }
        assert rows[name].source == expected.get(source, source), name
        assert rows[name].value == str(getattr(settings, name))


# -- service URLs -----------------------------------------------------------------------------


@pytest.mark.parametrize("setting", ["duell_base_url", "visma_base_url", "connect_base_url"])
@pytest.mark.parametrize(
    "url",
    [
        "http://api.kasseservice.no/v1",
        "http://10.0.0.5/visma",
        "http://127.0.0.1.catcher.example/x",
        "http://localhost.catcher.example/x",
        "ftp://api.example/",
        "api.example/v1",
        "http://[::1",
    ],
)
def test_a_service_url_that_is_not_https_nor_loopback_is_refused(
    setting: str, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"DUVI_{setting.upper()}", url)
    with pytest.raises(ConfigError) as exc:
        load_settings()
    assert exc.value.exit_code == EXIT_CONFIG
    assert setting in exc.value.message and "https://" in exc.value.message
    assert str(config_file_path()) in exc.value.remedy


@pytest.mark.parametrize(
    "url",
    [
        "https://api.finance.visma.net",
        "http://127.0.0.1:8700/visma",
        "http://127.8.9.10/visma",
        "http://[::1]:8700/visma",
        "http://localhost:8700/visma",
        "HTTP://LOCALHOST:8700/visma",
    ],
)
def test_https_and_the_loopback_sandbox_are_accepted(url: str) -> None:
    assert load_settings(visma_base_url=url).visma_base_url == url


def test_duvi_refuses_a_cleartext_url_with_exit_3() -> None:
    r = duvi("config", DUVI_DUELL_BASE_URL="http://catcher.example:8798/duell/v1")
    assert r.returncode == EXIT_CONFIG, (r.stdout, r.stderr)
    assert "duell_base_url" in r.stderr and "https://" in r.stderr
    assert "Traceback" not in r.stderr
    reliability.record_row(
        SECRETS, SECRETS_NOTE, "http:// service URL (exit 3)", refused=1, leaks=0
    )


# -- the support bundle -----------------------------------------------------------------------


@pytest.fixture
def rt(home: Path) -> Iterator[Runtime]:
    with Runtime.open(load_settings()) as runtime:
        runtime.secrets.set("1", "client_secret", SecretStr("bundle-test-secret"))
        yield runtime


def bundle(rt: Runtime, out: Path | None) -> Path:
    return build_bundle(rt, out, department_id=None, since=timedelta(days=1), doctor=[])


def test_the_bundle_is_never_visible_before_it_is_complete_nor_readable_by_others(
    rt: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "b.tar.gz"
    there_while_packing: list[bool] = []
    add = tarfile.TarFile.addfile

    def watching(self: tarfile.TarFile, *args: Any, **kw: Any) -> None:
        there_while_packing.append(os.path.lexists(out))
        add(self, *args, **kw)

    old_umask = os.umask(0)  # the mode must not depend on the umask
    monkeypatch.setattr(tarfile.TarFile, "addfile", watching)
    try:
        assert bundle(rt, out) == out
    finally:
        os.umask(old_umask)
    assert there_while_packing and not any(there_while_packing)
    assert mode(out) == 0o600
    reliability.record_row(
        SECRETS,
        SECRETS_NOTE,
        "bundle watched while packed",
        refused=1,
        leaks=sum(there_while_packing),
    )
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    with tarfile.open(out) as tar:
        assert "duvi-support/settings.json" in tar.getnames()


def test_the_bundle_never_overwrites_nor_follows_a_symlink(rt: Runtime, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    existing = tmp_path / "existing.tar.gz"
    existing.write_text("an older bundle")
    link = tmp_path / "link.tar.gz"
    link.symlink_to(victim)
    dangling = tmp_path / "dangling.tar.gz"
    dangling.symlink_to(tmp_path / "created-through-the-link")
    to_a_directory = tmp_path / "dirlink"  # a directory is written into; a link to one is not
    to_a_directory.symlink_to(tmp_path)
    for out in (existing, link, dangling, to_a_directory):
        with pytest.raises(ConfigError) as exc:
            bundle(rt, out)
        assert exc.value.exit_code == EXIT_CONFIG and "never overwrites" in exc.value.message
    assert victim.read_text() == "keep me" and existing.read_text() == "an older bundle"
    assert not (tmp_path / "created-through-the-link").exists()


def test_a_new_private_file_is_linked_into_place_never_over_anything(tmp_path: Path) -> None:
    """The last guard, for a file that appears after the bundle's target was checked."""
    existing = tmp_path / "existing"
    existing.write_text("someone else's")
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "through-the-link")
    for path in (existing, dangling):
        with pytest.raises(FileExistsError):
            write_new_private(path, b"bundle")
    assert existing.read_text() == "someone else's"
    assert not (tmp_path / "through-the-link").exists()
    write_new_private(tmp_path / "new", b"bundle")
    assert (tmp_path / "new").read_bytes() == b"bundle" and mode(tmp_path / "new") == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling", "existing", "new"]


@pytest.mark.parametrize(
    "target",
    [
        lambda s: s.database,
        lambda s: s.database.with_name(s.database.name + "-wal"),
        lambda s: s.secrets,
        lambda s: config_file_path(),
        lambda s: dotenv_path(),
    ],
    ids=["database", "wal", "secrets", "config", "dotenv"],
)
def test_the_bundle_refuses_the_database_secrets_and_config_paths(
    rt: Runtime, target: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path: Path = target(rt.settings)
    before = path.read_bytes() if path.exists() else None
    monkeypatch.chdir(path.parent)  # also as a relative path
    for out in (path, Path(path.name)):
        with pytest.raises(ConfigError) as exc:
            bundle(rt, out)
        assert exc.value.exit_code == EXIT_CONFIG and "never replaces it" in exc.value.message
    assert (path.read_bytes() if path.exists() else None) == before


def test_the_bundle_refuses_a_missing_directory_without_creating_it(
    rt: Runtime, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        bundle(rt, tmp_path / "missing" / "b.tar.gz")
    assert not (tmp_path / "missing").exists()


def test_the_default_bundle_is_private_in_a_private_directory(rt: Runtime) -> None:
    out = bundle(rt, None)
    assert out.parent == rt.settings.home / "bundles"
    assert mode(out.parent) == 0o700 and mode(out) == 0o600
    with tarfile.open(out) as tar:
        for member in tar.getmembers():
            assert b"bundle-test-secret" not in tar.extractfile(member).read()  # type: ignore[union-attr]


def test_support_bundle_over_the_database_exits_3_and_leaves_it(home: Path) -> None:
    with Runtime.open(load_settings()) as runtime:
        runtime.log.info("a row that must survive")
    db = home / "duvi.db"
    r = duvi("support-bundle", "--out", str(db))
    assert r.returncode == EXIT_CONFIG, (r.stdout, r.stderr)
    assert "duvi's database" in r.stderr and "Traceback" not in r.stderr
    r = duvi("log", "--grep", "survive")
    assert r.returncode == 0 and "a row that must survive" in r.stdout, r.stderr


# -- the data directory -----------------------------------------------------------------------


@pytest.mark.parametrize("loose", [0o770, 0o757, 0o1777])
def test_doctor_fails_a_home_others_can_write(rt: Runtime, loose: int) -> None:
    home = rt.settings.home

    def check() -> Any:
        return {c.id: c for c in local_checks(rt)}["files.home"]

    assert check().status == Status.OK
    home.chmod(loose)
    try:
        found = check()
    finally:
        home.chmod(0o700)
    assert found.status == Status.FAIL
    assert f"{loose:04o}" in found.found
    assert found.remedy == f"run: chmod go-w {home}"
    reliability.record_row(
        SECRETS, SECRETS_NOTE, f"DUVI_HOME {loose:04o} under doctor", refused=1, leaks=0
    )
    home.chmod(0o755)  # readable is not the problem: the files in it are 0600
    assert check().status == Status.OK


# -- the secrets file -------------------------------------------------------------------------


def test_a_symlink_planted_at_the_secrets_temp_name_receives_nothing(
    home: Path, tmp_path: Path
) -> None:
    home.mkdir(mode=0o700, parents=True)
    loot = tmp_path / "loot"
    loot.touch()
    secrets = SecretsFile(home / "secrets.json")
    (home / f".secrets.json.{os.getpid()}.tmp").symlink_to(loot)  # the name today's code used
    secrets.set("1", "client_secret", SecretStr("planted-link-secret"))
    assert loot.read_bytes() == b""
    reliability.record_row(
        SECRETS,
        SECRETS_NOTE,
        "symlink at the secrets temp name",
        refused=1,
        leaks=loot.stat().st_size,
    )
    assert not (home / "secrets.json").is_symlink() and mode(home / "secrets.json") == 0o600
    assert secrets.get("1", "client_secret") == SecretStr("planted-link-secret")


def test_the_secrets_temp_file_is_new_private_and_renamed_over_the_old(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = SecretsFile(home / "secrets.json")
    secrets.set("1", "client_id", SecretStr("first"))
    before = (home / "secrets.json").stat().st_ino
    opened: list[tuple[str, int, int]] = []
    real_open = os.open

    def recording(path: Any, flags: int, mode: int = 0o777, **kw: Any) -> int:
        opened.append((str(path), flags, mode))
        return real_open(path, flags, mode, **kw)

    monkeypatch.setattr(os, "open", recording)
    secrets.set("1", "client_id", SecretStr("second"))
    monkeypatch.undo()
    temp = [(p, f, m) for p, f, m in opened if p.endswith(".tmp")]
    assert len(temp) == 1
    _, flags, created = temp[0]
    required = os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    assert flags & required == required and created == 0o600
    assert (home / "secrets.json").stat().st_ino != before  # a new file renamed into place
    assert secrets.get("1", "client_id") == SecretStr("second")
    assert [p.name for p in home.iterdir() if p.name.endswith(".tmp")] == []
