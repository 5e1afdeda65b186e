"""The secrets file: department credentials for DUELL and Visma, mode 0600, never logged.

A JSON object `{section: {name: value}}`. A section is a department's id, `duell` (the
installation's DUELL account) or `customer:<id>` (a DUELL customer's: its DUELL account and
the Visma integration client its departments share, stored once). Department sections are
still read, first: a file from before customers is read as it was, and `consolidate` moves
what a customer's departments share into the customer's section losing nothing. Values are
handed out as SecretStr so an accidental print or log line shows `**********`. The file is
refused when other users can read it, with the chmod that fixes it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import SecretStr

from core.errors import ConfigError, write_failed
from core.fsutil import check_private, write_private

DUELL_SECTION = "duell"  # the installation's DUELL account (before customers, and without one)
CUSTOMER_PREFIX = "customer:"


def customer_section(customer_id: str) -> str:
    return f"{CUSTOMER_PREFIX}{customer_id}"


class SecretsFile:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # The file as last read, and the stat that says it has not changed since (a runner
        # reads it for every department: with hundreds of customers, parsing it every time
        # cost a department more CPU than its requests).
        self._read: tuple[tuple[int, int, int, int, int], dict[str, dict[str, str]]] | None = None

    def _load(self) -> dict[str, dict[str, str]]:
        """The file's sections: a copy, the caller's to change."""
        return {section: dict(names) for section, names in self._sections().items()}

    def _sections(self) -> dict[str, dict[str, str]]:
        """The file's sections, read again only when the file has changed (another name, a
        new modification time or size: every write replaces it by a rename). Not to change."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._read = None
            return {}
        check_private(self.path)  # the mode, every time, as before
        stamp = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)
        if self._read is not None and self._read[0] == stamp:
            return self._read[1]
        data = self._parse()
        self._read = (stamp, data)
        return data

    def _parse(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"secrets file {self.path} is not valid JSON ({exc})",
                "restore it from a backup or delete it and sign in again in setup",
            ) from None
        shaped = isinstance(data, dict) and all(
            isinstance(names, dict) and all(isinstance(v, str) for v in names.values())
            for names in data.values()
        )
        if not shaped:  # a string where a department's names should be: AttributeError once
            raise ConfigError(
                f"secrets file {self.path} must hold a JSON object of departments, each an "
                'object of names and text values ({"1": {"client_token": "..."}})',
                "restore it from a backup or delete it and sign in again in setup",
            )
        return data

    def get(self, department_id: str, name: str) -> SecretStr | None:
        value = self._sections().get(department_id, {}).get(name)
        return SecretStr(value) if value is not None else None

    def holders(self, *names: str) -> set[str]:
        """The departments that hold every one of `names` (one read of the file for all)."""
        return {dept for dept, held in self._sections().items() if all(held.get(n) for n in names)}

    def holding(self, *names: str) -> dict[str, set[str]]:
        """For each of `names`, the sections that hold it (one read of the file for all)."""
        data = self._sections()
        return {n: {dept for dept, held in data.items() if held.get(n)} for n in names}

    def names(self, department_id: str) -> list[str]:
        return sorted(self._sections().get(department_id, {}))

    def set(self, department_id: str, name: str, value: SecretStr) -> None:
        data = self._load()
        data.setdefault(department_id, {})[name] = value.get_secret_value()
        self._write(data)

    def delete(self, department_id: str, name: str | None = None) -> None:
        data = self._load()
        if name is None:
            data.pop(department_id, None)
        else:
            data.get(department_id, {}).pop(name, None)
        self._write(data)

    def _write(self, data: dict[str, dict[str, str]]) -> None:
        try:
            write_private(self.path, json.dumps(data, indent=2).encode())
        except OSError as exc:  # the file as it was is kept: written beside it, then renamed
            raise write_failed(
                exc,
                f"the secrets file {self.path}",
                "check that its directory exists and this user can write it; the file was "
                "left as it was",
            ) from None

    def consolidate(self, customers: dict[str, list[str]]) -> list[str]:
        """Move what every department of a customer holds alike (same name, same value) into
        the customer's section, once; returns the names moved, as `customer:<id>/<name>`. A
        value that differs between them, or from the customer's section, stays where it is:
        each department reads exactly what it read before (its own section first, then its
        customer's), and no value is lost."""
        data = self._load()
        moved = []
        for customer_id, dept_ids in customers.items():
            entries = [data.get(d, {}) for d in dept_ids]
            if not dept_ids or not all(entries):
                continue
            section = data.setdefault(customer_section(customer_id), {})
            for name in sorted(set.intersection(*(set(e) for e in entries))):
                values = {e[name] for e in entries}
                if len(values) != 1 or section.get(name, next(iter(values))) not in values:
                    continue
                section[name] = values.pop()
                for e in entries:
                    del e[name]
                moved.append(f"{customer_section(customer_id)}/{name}")
            if not section:
                del data[customer_section(customer_id)]
        for d in [d for ids in customers.values() for d in ids]:
            if d in data and not data[d]:
                del data[d]
        if moved:
            self._write(data)
        return moved

    def holds_duell_account(self) -> bool:
        """A DUELL account is saved: the installation's or a customer's."""
        return any(
            "client_number" in names
            for section, names in self._sections().items()
            if section == DUELL_SECTION or section.startswith(CUSTOMER_PREFIX)
        )

    def all_values(self) -> list[str]:
        """Every secret in the file, for scanners that prove none leaked."""
        return [v for dept in self._sections().values() for v in dept.values() if v]
