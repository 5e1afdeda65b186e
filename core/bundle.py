"""`duvi support-bundle`: one archive for escalation. Settings and department setup with every
secret masked, doctor's results, the recent log and HTTP calls (already redacted when they
were written), the ledger rows needing attention, and the versions of duvi and its
dependencies. Every member is scrubbed once more for every known secret before it is packed."""

from __future__ import annotations

import io
import json
import platform
import tarfile
import time
from datetime import UTC, datetime, timedelta
from importlib.metadata import distributions, version
from pathlib import Path
from typing import Any

from core.config import explain
from core.departments import Departments
from core.ledger import Ledger, State
from core.redact import redactor
from core.runtime import Runtime


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build_bundle(
    rt: Runtime,
    out: Path,
    *,
    department_id: str | None,
    since: timedelta,
    doctor: list[dict[str, Any]],
) -> Path:
    for secret in rt.secrets.all_values():
        redactor.add(secret)
    if rt.settings.webhook_secret:
        redactor.add(rt.settings.webhook_secret.get_secret_value())
    cutoff = _iso(datetime.now(UTC) - since)
    depts = Departments(rt.store, rt.secrets)
    setup = []
    for d in depts.list():
        if department_id and d.id != department_id:
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
    where, params = "ts >= ?", [cutoff]
    if department_id:
        where += " AND department_id = ?"
        params.append(department_id)
    events = rt.store.query(f"SELECT * FROM events WHERE {where} ORDER BY id", params)
    calls = rt.store.query(f"SELECT * FROM http_calls WHERE {where} ORDER BY id", params)
    attention = [
        {k: (str(v) if k == "state" else v) for k, v in r.__dict__.items()}
        for r in Ledger(rt.store).rows(
            department_id, states=(State.FAILED, State.ATTENTION, State.SENT)
        )
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
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz") as tar:

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
    out.chmod(0o600)
    return out
