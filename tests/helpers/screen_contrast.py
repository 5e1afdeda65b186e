#!/usr/bin/env python3
# Copied from the shared tools of the duvi project (../shared/tools/screen_contrast.py, issue 16),
# changed only to pass this repository's ruff rules and to add check_paths() for the tests.
"""Is every piece of text on screen readable? Checks what a person would see, not what a test holds.

Two kinds of input:
  * SVG screenshots written by Textual/Rich (`app.save_screenshot`, pytest-textual-snapshot,
    `duvi screenshots`): each text run against the background cell under it.
  * Terminal captures with colour escapes, as a real terminal shows them:
        tmux capture-pane -e -p -t SESSION > screen.ans
    (truecolor 38;2 / 48;2, 256-colour 38;5 / 48;5, the 16 ANSI colours, bold-as-bright is
    ignored, reverse video 7 is honoured; the terminal's default colours are assumed to be a
    dark theme's: --terminal light for a light one).

For each run of visible characters it computes the WCAG contrast ratio between the text colour
and its background. Text drawn in (nearly) its own background colour -- black on black,
#1e1e1e on #1e1e1e -- is an empty screen to a person, even when the snapshot test that holds it
passes. Runs made only of box-drawing and block characters (borders, scrollbars) are skipped.

    python3 tests/helpers/screen_contrast.py screenshots/ tests/__snapshots__/   # dirs or files
    python3 tests/helpers/screen_contrast.py --min 4.5 --json screen.ans

Exit 0: every run reaches --min (default 3.0, WCAG's floor; 4.5 is WCAG AA for body text).
Exit 1: some do not; each is listed with file, row, colours, ratio and the text. Exit 2: no input.
Standard library only.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from pathlib import Path

# --- colours -------------------------------------------------------------------------------

ANSI16 = [  # xterm's defaults
    "#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
    "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff",
]  # fmt: skip


def xterm256(n: int) -> str:
    if n < 16:
        return ANSI16[n]
    if n < 232:
        n -= 16
        levels = [0, 95, 135, 175, 215, 255]
        return f"#{levels[n // 36]:02x}{levels[(n // 6) % 6]:02x}{levels[n % 6]:02x}"
    v = 8 + (n - 232) * 10
    return f"#{v:02x}{v:02x}{v:02x}"


def luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def decorative(text: str) -> bool:
    """Only borders, scrollbars and blocks (U+2500-U+259F) or spaces."""
    return all(ch.isspace() or 0x2500 <= ord(ch) <= 0x259F for ch in text)


def finding(file: Path, row: int, fg: str, bg: str, text: str) -> dict:
    return {
        "file": str(file),
        "row": row,
        "fg": fg,
        "bg": bg,
        "ratio": round(contrast(fg, bg), 2),
        "text": text.strip()[:80],
    }


# --- SVG screenshots ---------------------------------------------------------------------

STYLE = re.compile(r"\.(terminal-(?:[\w-]+-)?r\d+)\s*\{([^}]*)\}")
FILL = re.compile(r"fill:\s*(#[0-9a-fA-F]{6})")
RECT = re.compile(
    r'<rect fill="(#[0-9a-fA-F]{6})" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"'
    r'[^>]*shape-rendering="crispEdges"'
)
TEXT = re.compile(
    r'<text class="(terminal-(?:[\w-]+-)?r\d+)" x="([\d.]+)" y="([\d.]+)" '
    r'textLength="([\d.]+)"[^>]*>'
    r"(.*?)</text>",
    re.S,
)
LINE_HEIGHT = 24.4  # Rich's export: 20px font, 1.22 line height


def check_svg(svg: Path, minimum: float) -> list[dict]:
    doc = svg.read_text(encoding="utf-8", errors="replace")
    fills = {}
    for name, body in STYLE.findall(doc):
        m = FILL.search(body)
        if m:
            fills[name] = m.group(1).lower()
    rows: dict[int, list[tuple[float, float, str]]] = {}
    for fill, x, y, w, _h in RECT.findall(doc):
        row = round((float(y) - 1.5) / LINE_HEIGHT)
        rows.setdefault(row, []).append((float(x), float(x) + float(w), fill.lower()))
    problems = []
    for cls, x, y, length, raw in TEXT.findall(doc):
        text = html.unescape(re.sub(r"<[^>]+>", "", raw)).replace("\xa0", " ")
        if decorative(text) or cls not in fills:
            continue
        row = round((float(y) - 20) / LINE_HEIGHT)
        start, end = float(x), float(x) + float(length)
        cells = [c for c in rows.get(row, []) if c[0] < end - 0.1 and c[1] > start + 0.1]
        if not cells:
            continue
        fg = fills[cls]
        bg = min(cells, key=lambda c: contrast(fg, c[2]))[2]
        if contrast(fg, bg) < minimum:
            problems.append(finding(svg, row + 1, fg, bg, text))
    return problems


# --- terminal captures with escapes ------------------------------------------------------

SGR = re.compile(r"\x1b\[([0-9;:]*)m")
OTHER_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-ln-z]|\x1b\][^\x07]*\x07")


def check_ansi(path: Path, minimum: float, terminal: str) -> list[dict]:
    default_fg, default_bg = (
        ("#e5e5e5", "#000000") if terminal == "dark" else ("#000000", "#ffffff")
    )
    problems = []
    for row, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        line = OTHER_ESCAPE.sub("", line)
        fg = bg = None
        reverse = False
        runs: list[tuple[str | None, str | None, bool, str]] = []
        pos = 0
        for m in SGR.finditer(line):
            if m.start() > pos:
                runs.append((fg, bg, reverse, line[pos : m.start()]))
            pos = m.end()
            codes = [int(c) if c.isdigit() else 0 for c in re.split("[;:]", m.group(1) or "0")]
            i = 0
            while i < len(codes):
                c = codes[i]
                if c == 0:
                    fg = bg = None
                    reverse = False
                elif c == 7:
                    reverse = True
                elif c == 27:
                    reverse = False
                elif 30 <= c <= 37:
                    fg = ANSI16[c - 30]
                elif 90 <= c <= 97:
                    fg = ANSI16[c - 90 + 8]
                elif 40 <= c <= 47:
                    bg = ANSI16[c - 40]
                elif 100 <= c <= 107:
                    bg = ANSI16[c - 100 + 8]
                elif c == 39:
                    fg = None
                elif c == 49:
                    bg = None
                elif c in (38, 48) and i + 1 < len(codes):
                    if codes[i + 1] == 5 and i + 2 < len(codes):
                        colour = xterm256(codes[i + 2])
                        i += 2
                    elif codes[i + 1] == 2 and i + 4 < len(codes):
                        colour = "#{:02x}{:02x}{:02x}".format(*tuple(codes[i + 2 : i + 5]))
                        i += 4
                    else:
                        colour = None
                    if c == 38:
                        fg = colour
                    else:
                        bg = colour
                i += 1
        runs.append((fg, bg, reverse, line[pos:]))
        for rfg, rbg, rev, text in runs:
            if decorative(text):
                continue
            f, b = rfg or default_fg, rbg or default_bg
            if rev:
                f, b = b, f
            if rfg is None and rbg is None:
                continue  # the terminal's own pair: readable by the user's choice
            if contrast(f, b) < minimum:
                problems.append(finding(path, row, f, b, text))
    return problems


def check_paths(paths: list[Path], minimum: float = 3.0, terminal: str = "dark") -> list[dict]:
    """Every run below `minimum` in the given SVG screenshots and .ans captures."""
    problems: list[dict] = []
    for f in paths:
        if f.suffix == ".svg":
            problems += check_svg(f, minimum)
        else:
            problems += check_ansi(f, minimum, terminal)
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", type=Path, help="SVG files, captures, or directories")
    ap.add_argument("--min", type=float, default=3.0, help="lowest acceptable ratio (default 3.0)")
    ap.add_argument("--terminal", choices=("dark", "light"), default="dark",
                    help="the terminal's default colours, for captures (default dark)")  # fmt: skip
    ap.add_argument("--json", action="store_true", help="print the findings as JSON")
    args = ap.parse_args()
    files: list[Path] = []
    for p in args.paths:
        if p.is_dir():
            files += sorted(q for q in p.rglob("*") if q.suffix in (".svg", ".ans"))
        elif p.exists():
            files.append(p)
    if not files:
        print("no screenshots or captures found", file=sys.stderr)
        return 2
    problems = check_paths(files, args.min, args.terminal)
    if args.json:
        print(json.dumps(problems, indent=2, ensure_ascii=False))
    else:
        for p in problems:
            print(
                f"{p['file']}:{p['row']}: {p['fg']} on {p['bg']} (ratio {p['ratio']}): {p['text']}"
            )
        bad = len({p["file"] for p in problems})
        print(
            f"{len(files)} screens, {len(problems)} unreadable text runs "
            f"(contrast < {args.min}) in {bad} of them"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
