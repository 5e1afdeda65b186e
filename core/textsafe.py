"""Text from data, made safe to show on a terminal: every control character visible.

A customer's name, a product text or an error message Visma or DUELL sent may hold control
characters. Written to a terminal raw, ESC and the C1 controls start escape sequences: the
window title changes, the clipboard is written (OSC 52 under tmux), the cursor moves and paints
over what the screen shows. Shown through `visible`, each is a character an agent can see
instead, so the agent also sees that the data holds one:

- C0 (0x00-0x1f): its Unicode control picture, U+2400 + n (ESC "␛", BEL "␇", NUL "␀");
- DEL (0x7f): "␡";
- C1 (0x80-0x9f): "�" (U+FFFD, Unicode has no pictures for them; one cell, as each C0's).

Tab and newline stay as they are (`visible`'s `keep`); a carriage return before a newline is the
line's end and goes, a lone one is shown ("␍"). Only text shown to a person goes through this:
JSON and CSV keep the data as it is (JSON escapes every C0 control itself).

The console (tui/textsafe.py) uses the same pictures in its rendering."""

from __future__ import annotations

import re
from typing import Final

C1_PICTURE: Final = "\ufffd"
"""What a C1 control (0x80-0x9f) is shown as."""


def picture(code: int) -> str:
    """The visible stand-in for the control character `code` (C0, DEL or C1)."""
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return C1_PICTURE


CONTROL_CODES: Final = (*range(0x20), 0x7F, *range(0x80, 0xA0))
"""Every code point that may never reach a terminal raw."""

PICTURES: Final[dict[int, str]] = {code: picture(code) for code in CONTROL_CODES}
"""A `str.translate` table: each control character to its picture."""

CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f]")
"""Any control character (tab and newline too): CONTROL_CODES as a pattern."""


def has_control(text: str) -> bool:
    """Whether `text` holds a control character (tab and newline too)."""
    return CONTROL.search(text) is not None


def visible(text: str, keep: str = "\t\n") -> str:
    """`text` with each control character but those in `keep` shown as its picture; "\\r\\n"
    becomes "\\n" when newlines are kept."""
    if not has_control(text):
        return text  # the usual case, at the cost of one search
    if "\n" in keep:
        text = text.replace("\r\n", "\n")
    table = {code: shown for code, shown in PICTURES.items() if chr(code) not in keep}
    return text.translate(table)
