"""The one place where a worker's error becomes a visible message instead of a crash."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.worker import Worker, WorkerState

from core.errors import DuviError
from tui.i18n import _

if TYPE_CHECKING:
    from textual.dom import DOMNode

    _Mixin = DOMNode
else:
    _Mixin = object


class ShowsWorkerErrors(_Mixin):
    """A plain mixin at run time, never a DOMNode: Textual takes a node's CSS types from its
    first DOMNode base only, so a DOMNode mixin listed before Screen (or App) hid Screen's and
    App's default CSS (background, foreground and their :ansi rules) from every screen, and
    every text without a colour of its own was drawn black on black."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, DuviError):
            text = f"{error.message}\n→ {error.remedy}" if error.remedy else error.message
        else:
            text = f"{type(error).__name__}: {error}"
        self.app.notify(text, title=_("Error"), severity="error", timeout=15)
