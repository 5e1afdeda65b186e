"""Messages the workers post back to the screens."""

from __future__ import annotations

from textual.message import Message

from core.status import DepartmentStatus


class StatusLoaded(Message):
    def __init__(self, departments: list[DepartmentStatus], sandbox: bool) -> None:
        super().__init__()
        self.departments = departments
        self.sandbox = sandbox


class RunFinished(Message):
    def __init__(self, department_id: str, summary: str) -> None:
        super().__init__()
        self.department_id = department_id
        self.summary = summary
