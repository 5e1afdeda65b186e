"""A tiny HTTP server that keeps what is POSTed to it: the receiving end of apprise's
`json://127.0.0.1:PORT/` channel in the alert tests. apprise sends synchronously, so what it
sent is here when its call returns: no waiting."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Catcher:
    port: int
    status: int = 200  # what it answers
    received: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/"

    def take(self) -> list[dict[str, Any]]:
        """What arrived since the last take."""
        got, self.received[:] = list(self.received), []
        return got


@contextmanager
def catcher() -> Iterator[Catcher]:
    box: list[Catcher] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            box[0].received.append(json.loads(body))
            self.send_response(box[0].status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(Catcher(server.server_address[1]))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box[0]
    finally:
        server.shutdown()
        server.server_close()
