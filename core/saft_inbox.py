"""A department's SAF-T inbox: the Z source of a department whose cash register writes SAF-T
Cash Register files (the one documented source: Norwegian law requires the export of every
cash register system; DUELL publishes no Z-report endpoint, see core/duell/client.py).

`duvi run` looks at each inbox department's directory every `inbox_poll_seconds`. A file
`*.xml` is imported through the very path of `duvi import saft` (service.import_saft, which
registers its Z-reports; the runner's round sends them), then moved beside it:
- `done/NAME` once imported; a file whose content (SHA-256) was imported before goes to
  `done/` with `NAME.note` and is not imported again, whatever its name;
- `failed/NAME` with `NAME.reason` (the one-line error and what to do) when it cannot be read.

A half-written file is never read: `*.part` files are ignored (the writer writes `NAME.part`
and renames it to `NAME` when done, the usual convention), and a file is imported only once
its size and modification time are the same at two looks in a row (a writer that does not
rename). A file the import does not finish (another process holds the department: busy) stays
for the next look.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from core.errors import DepartmentBusy, DuviError
from core.eventtext import msg
from core.i18n import N_, english
from core.ledger import Ledger
from core.runtime import Runtime

DONE, FAILED = "done", "failed"
PARTIAL = ".part"  # the rename convention: never read
SEEN = "saft-inbox:"  # sync_cursors entity + content hash: a file imported ("name at time")
LAST_FILE = "saft-inbox-last"  # sync_cursors entity: when the newest file was imported


def content_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def last_arrival(ledger: Ledger, dept_id: str) -> datetime | None:
    """When the department's inbox last took a file in (imported or a duplicate)."""
    at = ledger.cursor(dept_id, LAST_FILE)
    return datetime.fromisoformat(at) if at else None


def _beside(folder: Path, name: str) -> Path:
    """`folder/name`, or a free name beside it (a second file of the same name is kept)."""
    folder.mkdir(exist_ok=True)
    target = folder / name
    n = 1
    while target.exists():
        target = folder / f"{Path(name).stem}.{n}{Path(name).suffix}"
        n += 1
    return target


@dataclass
class Inbox:
    """The looks of one runner at the inboxes: what each file's size and mtime were."""

    rt: Runtime
    looked: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def stable(self, path: Path) -> bool:
        """Whether `path` is unchanged since the previous look (a writer may still be at it)."""
        st = path.stat()
        now = (st.st_size, st.st_mtime_ns)
        before, self.looked[path] = self.looked.get(path), now
        return before == now

    async def look(self, dept_id: str, directory: Path) -> list[str]:
        """One look at a department's inbox: the files it took (imported, duplicate, failed)."""
        if not directory.is_dir():
            return []
        taken = []
        files = sorted(p for p in directory.glob("*.xml") if p.is_file())
        for gone in [p for p in self.looked if p.parent == directory and p not in files]:
            del self.looked[gone]  # moved or removed by a person: forgotten
        for path in files:
            if path.name.endswith(PARTIAL) or not self.stable(path):
                continue
            outcome = await self.take(dept_id, path)
            if outcome:
                self.looked.pop(path, None)
                taken.append(outcome)
        return taken

    async def take(self, dept_id: str, path: Path) -> str | None:
        """Import one stable file; None when it must wait (the department is busy)."""
        from core.service import import_saft

        ledger = Ledger(self.rt.store)
        digest = content_hash(path)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        before = ledger.cursor(dept_id, SEEN + digest)
        if before is not None:
            target = _beside(path.parent / DONE, path.name)
            path.rename(target)
            target.with_name(target.name + ".note").write_text(
                f"not imported: the same content as {before}\n", "utf-8"
            )
            ledger.set_cursor(dept_id, LAST_FILE, now)
            self.rt.log.warning(
                msg(
                    N_(
                        "SAF-T inbox: {file} has the content of {before}; moved to {folder}/ "
                        "without importing it again"
                    ),
                    file=path.name,
                    before=before,
                    folder=DONE,
                ),
                department_id=dept_id,
                entity="zreport",
            )
            return "duplicate"
        try:
            # Registered only: the runner's round (holding the lease) sends them.
            await import_saft(self.rt, path, dept_id, send=False)
        except DepartmentBusy:
            return None
        except DuviError as exc:
            target = _beside(path.parent / FAILED, path.name)
            path.rename(target)
            target.with_name(target.name + ".reason").write_text(f"{exc}\n", "utf-8")
            self.rt.log.error(
                msg(
                    N_("SAF-T inbox: {file} was not imported: {message}; moved to {folder}/"),
                    file=path.name,
                    message=exc.message,
                    folder=FAILED,
                ),
                department_id=dept_id,
                entity="zreport",
                data={"remedy": english(exc.remedy)},
            )
            return "failed"
        # Kept before the move: a move that fails finds it known next time, never imported twice.
        ledger.set_cursor(dept_id, SEEN + digest, f"{path.name} at {now}")
        ledger.set_cursor(dept_id, LAST_FILE, now)
        path.rename(_beside(path.parent / DONE, path.name))
        self.rt.log.info(
            msg(
                N_("SAF-T inbox: {file} imported; moved to {folder}/"), file=path.name, folder=DONE
            ),
            department_id=dept_id,
            entity="zreport",
        )
        return "imported"

    async def look_all(self) -> dict[str, list[str]]:
        """Every inbox department's look (one department's trouble never stops the others)."""
        from core.departments import Departments

        depts = Departments(self.rt.store, self.rt.secrets)
        taken: dict[str, list[str]] = {}
        for row in self.rt.store.query("SELECT id FROM departments ORDER BY id"):
            dept = depts.get(row["id"])
            if dept is None or dept.settings.zreport_source != "saft-inbox":
                continue
            if not dept.settings.inbox_dir:
                continue
            try:
                taken[dept.id] = await self.look(dept.id, Path(dept.settings.inbox_dir))
            except OSError as exc:
                self.rt.log.error(
                    msg(
                        N_("SAF-T inbox {folder}: {error}; looked at again later"),
                        folder=dept.settings.inbox_dir,
                        error=str(exc),
                    ),
                    department_id=dept.id,
                    entity="zreport",
                )
        self.rt.log.flush()
        return taken
