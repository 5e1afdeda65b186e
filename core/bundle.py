"""`duvi support-bundle`: one archive for escalation. Settings and department setup with every
secret masked, doctor's results, the recent log and HTTP calls (already redacted when they
were written), the ledger rows needing attention, and the versions of duvi and its
dependencies. Every member is scrubbed once more for every known secret before it is packed.

The archive is a new file, 0600 from its first byte: written to a temp file beside it and linked
into place, never over an existing file or through a symlink, and never at the database's, the
secrets' or the config's path (an `--out` typo must not destroy the ledger). An `--out` that
is a directory gets a new file in it, named by the UTC time (issue 16, item 9)."""

from __future__ import annotations

import io
import json
import os
import platform
import tarfile
import time
from datetime import UTC, datetime, timedelta
from importlib.metadata import distributions, version
from pathlib import Path
from typing import Any

from core.config import Settings, config_file_path, dotenv_path, explain
from core.departments import Departments
from core.errors import ConfigError, write_failed
from core.fsutil import write_new_private
from core.i18n import N_, _
from core.ledger import Ledger, State
from core.redact import redactor
from core.runtime import Runtime


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build_bundle(
    rt: Runtime,
    out: Path | None,
    *,
    department_id: str | None,
    since: timedelta,
    doctor: list[dict[str, Any]],
    customer: str | None = None,
) -> Path:
    """Write the bundle to `out` (None: a new file under <home>/bundles) and return its path:
    of one department, of one customer's departments (`customer`), or of all."""
    out = bundle_target(rt.settings, out)
    for secret in rt.secrets.all_values():
        redactor.add(secret)
    for hook in (rt.settings.webhook_secret, rt.settings.webhook_path_secret):
        if hook:
            redactor.add(hook.get_secret_value())
    if rt.settings.webhook_signature_key:
        redactor.add(rt.settings.webhook_signature_key.get_secret_value())
    from core.alert_channels import register_secrets

    register_secrets(rt.settings)
    cutoff = _iso(datetime.now(UTC) - since)
    depts = Departments(rt.store, rt.secrets)
    only: set[str] | None = {department_id} if department_id else None
    if customer is not None:
        mine: set[str] = set(depts.of_customer(customer))
        only = mine if only is None else only & mine
    setup = []
    for d in depts.list():
        if only is not None and d.id not in only:
            continue
        setup.append(
            {
                "id": d.id,
                "name": d.name,
                "settings": d.settings.model_dump(mode="json"),
                "vat_mapping": {
                    str(r): m.visma_vat_id for r, m in depts.vat_mappings(d.id).items()
                },
                "account_map": depts.account_map(d.id),
                "credentials": {"set": depts.credentials(d.id) is not None},
            }
        )
    setup += [
        {"id": b.department_id, "unreadable": b.problem}
        for b in depts.unreadable()
        if only is None or b.department_id in only
    ]
    where, params = "ts >= ?", [cutoff]
    if only is not None:
        where += f" AND department_id IN ({', '.join('?' * len(only))})"
        params += sorted(only)
    events = rt.store.query(f"SELECT * FROM events WHERE {where} ORDER BY id", params)
    calls = rt.store.query(f"SELECT * FROM http_calls WHERE {where} ORDER BY id", params)
    ledger = Ledger(rt.store)
    attention = [
        {k: (str(v) if k == "state" else v) for k, v in r.__dict__.items()}
        for r in ledger.rows(department_id, states=(State.FAILED, State.ATTENTION, State.SENT))
        if only is None or r.department_id in only
    ]
    attention += [  # a row duvi cannot read is what support most needs to see
        {"key": b.key, "department_id": b.department_id, "state": "unreadable", "error": b.problem}
        for b in ledger.unreadable(department_id)
        if only is None or b.department_id in only
    ]
    versions = {
        "duvi": version("duvi"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": sorted(f"{d.metadata['Name']}=={d.version}" for d in distributions()),
    }
    members = {
        "settings.json": [r.__dict__ for r in explain(rt.settings)],
        "departments.json": setup,
        "doctor.json": doctor,
        "ledger_attention.json": attention,
        "versions.json": versions,
    }
    archive = io.BytesIO()  # the rows are in memory already; packed, they are smaller
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:

        def add(name: str, text: str) -> None:
            data = redactor.text(text).encode()
            info = tarfile.TarInfo(f"duvi-support/{name}")
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
            tar.addfile(info, io.BytesIO(data))

        for name, value in members.items():
            add(name, json.dumps(value, indent=2, default=str, ensure_ascii=False))
        add(
            "events.jsonl",
            "\n".join(json.dumps(e, default=str, ensure_ascii=False) for e in events),
        )
        add(
            "http_calls.jsonl",
            "\n".join(json.dumps(c, default=str, ensure_ascii=False) for c in calls),
        )
    try:
        write_new_private(out, archive.getvalue())
    except FileExistsError:  # appeared since bundle_target looked
        raise _exists(out) from None
    except OSError as exc:
        raise write_failed(
            exc,
            _("the support bundle {path}").format(path=out),
            _("choose a directory you can write with --out"),
        ) from None
    return out


def bundle_name() -> str:
    """A new bundle's file name: its UTC time, so bundles sort and never collide by the clock's
    zone (two within one second: the second is refused, never written over the first)."""
    return f"duvi-support-{datetime.now(UTC):%Y%m%d-%H%M%SZ}.tar.gz"


def bundle_target(settings: Settings, out: Path | None) -> Path:
    """Where the bundle goes, refused (ConfigError, exit 3) when that would replace a file.
    `out` names the new file, or an existing directory (not a symlink to one) to put a new,
    named file in; None: <home>/bundles."""
    if out is None:
        directory = settings.home / "bundles"
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        return directory / bundle_name()
    if out.is_dir() and not out.is_symlink():
        out = out / bundle_name()
    protected = {
        N_("--out {path} is duvi's database; a support bundle never replaces it"): [
            settings.database
        ]
        + [settings.database.with_name(settings.database.name + x) for x in _SQLITE_SIDECARS],
        N_("--out {path} is duvi's secrets file; a support bundle never replaces it"): [
            settings.secrets
        ],
        N_("--out {path} is duvi's config file; a support bundle never replaces it"): [
            config_file_path(),
            dotenv_path(),
        ],
    }
    for refusal, paths in protected.items():
        if any(_same_place(out, p) for p in paths):
            raise ConfigError(
                _(refusal).format(path=out),
                _("name a new file, or leave out --out for one under <home>/bundles"),
            )
    if os.path.lexists(out):
        raise _exists(out)
    if not out.parent.is_dir():
        raise ConfigError(
            _("--out {path}: the directory {directory} does not exist").format(
                path=out, directory=out.parent
            ),
            _("create it first, or leave out --out for a file under <home>/bundles"),
        )
    return out


_SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


def _same_place(a: Path, b: Path) -> bool:
    """Whether two paths name the same directory entry (their directories resolved, so a
    symlinked or relative directory does not hide it; the entry itself is not followed)."""
    try:
        return a.parent.resolve() / a.name == b.parent.resolve() / b.name
    except OSError:  # a loop of symlinks: not the same as a path of ours
        return False


def _exists(out: Path) -> ConfigError:
    return ConfigError(
        _("--out {path} is already there; a support bundle never overwrites a file").format(
            path=out
        ),
        _("name a new file, or leave out --out for one under <home>/bundles"),
    )
