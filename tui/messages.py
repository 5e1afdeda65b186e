"""Messages the workers post back to their screens. A worker posts to its own screen, so two
screens using the same message type never hear each other."""

from __future__ import annotations

from typing import Any

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


class DataLoaded(Message):
    """What a screen reads from core: rows, a preview, check results..."""

    def __init__(self, data: Any) -> None:
        super().__init__()
        self.data = data


class ActionDone(Message):
    """A changing action finished; `text` says what it did."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
