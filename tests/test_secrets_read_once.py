"""The secrets file is read again only when it changed (core/secrets.py: a console with
thousands of departments reads several values for each status panel): what another process
writes is seen at the next read, and a file made readable by others is refused again."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.errors import InsecureFileError
from core.secrets import SecretsFile


def test_a_value_written_by_another_process_is_read(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    console, setup = SecretsFile(path), SecretsFile(path)
    setup.set("7", "client_id", SecretStr("first"))
    assert console.get("7", "client_id").get_secret_value() == "first"  # type: ignore[union-attr]
    assert console.holding("client_id") == {"client_id": {"7"}}
    setup.set("7", "client_id", SecretStr("other"))  # the same size: another file (renamed)
    assert console.get("7", "client_id").get_secret_value() == "other"  # type: ignore[union-attr]
    setup.set("8", "client_id", SecretStr("x"))
    assert console.holding("client_id") == {"client_id": {"7", "8"}}
    setup.delete("7")
    assert console.get("7", "client_id") is None
    assert console.names("8") == ["client_id"]


def test_rewritten_in_place_it_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    secrets = SecretsFile(path)
    secrets.set("7", "client_id", SecretStr("first"))
    assert secrets.names("7") == ["client_id"]
    path.write_text(json.dumps({"7": {"client_id": "first", "secret": "s"}}))  # same inode
    assert secrets.names("7") == ["client_id", "secret"]


def test_made_readable_by_others_it_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    secrets = SecretsFile(path)
    secrets.set("7", "client_id", SecretStr("first"))
    assert secrets.get("7", "client_id") is not None
    os.chmod(path, 0o644)
    with pytest.raises(InsecureFileError):
        secrets.get("7", "client_id")
