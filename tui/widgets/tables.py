"""Refilling a table without losing the person's place in it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist


def cursor_key(table: DataTable[Any]) -> str | None:
    """The key of the row under the cursor, if the table has rows."""
    row = table.cursor_row
    if not table.row_count or row is None or not 0 <= row < table.row_count:
        return None
    return table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value


@contextmanager
def keep_cursor(table: DataTable[Any]) -> Iterator[None]:
    """Around a clear-and-fill: the cursor goes back to the row with the same key (rows are
    added with `key=`), or, when that row is gone (a conflict resolved), to the same place."""
    key, row = cursor_key(table), table.cursor_row or 0
    yield
    if not table.row_count:
        return
    try:
        index = table.get_row_index(key) if key is not None else row
    except RowDoesNotExist:
        index = row
    table.move_cursor(row=min(index, table.row_count - 1), animate=False)
