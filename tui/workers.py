"""The one place where a worker's error becomes a visible message instead of a crash."""

from __future__ import annotations

from textual.dom import DOMNode
from textual.worker import Worker, WorkerState

from core.errors import DuviError


class ShowsWorkerErrors(DOMNode):
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, DuviError):
            text = f"{error.message}\n→ {error.remedy}" if error.remedy else error.message
        else:
            text = f"{type(error).__name__}: {error}"
        self.app.notify(text, title="Error", severity="error", timeout=15)
