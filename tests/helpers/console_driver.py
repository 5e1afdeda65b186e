"""One console driven by Pilot for the soak test: it moves between screens, filters the log,
pages, refreshes and runs departments, for SECONDS, then prints a JSON line with what it
did, every notification a person would have seen, and its memory at start and end.

Usage: console_driver.py SECONDS SEED
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from typing import Any


def rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


SAMPLE = 60.0
ROUTES = [
    ("l",),  # the log
    ("escape",),
    ("t",),  # transfers
    ("escape",),
    ("2",),  # another department
    ("f5",),  # refresh
    ("r",),  # run the department now (may find it busy: the runner holds it)
    ("d",),  # doctor
    ("escape",),
    ("l", "w", "e", "escape", "escape"),  # the log, level filter, back
    ("1",),
]


async def main(seconds: float, seed: int) -> dict[str, Any]:
    from core.config import load_settings
    from tui.app import DuviApp

    seen: list[str] = []
    app = DuviApp(load_settings(animations="none"))
    original = app.notify

    def notify(message: str, *args: Any, **kwargs: Any) -> None:
        seen.append(str(message))
        original(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    rng = random.Random(seed)
    presses = 0
    frames_with_lock_errors = 0
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        start_rss = rss_kb()
        end = time.monotonic() + seconds
        samples = [start_rss]  # every SAMPLE seconds: does memory level off?
        next_sample = time.monotonic() + SAMPLE
        while time.monotonic() < end:
            if time.monotonic() >= next_sample:
                samples.append(rss_kb())
                next_sample += SAMPLE
            for key in rng.choice(ROUTES):
                await pilot.press(key)
                presses += 1
            await pilot.pause(0.05)
            if "database is locked" in app.export_screenshot():
                frames_with_lock_errors += 1
        await app.workers.wait_for_complete()
        await pilot.pause()
        end_rss = rss_kb()
        depth = len(app.screen_stack)
    return {
        "screen_stack": depth,
        "presses": presses,
        "notifications": seen,
        "frames_with_lock_errors": frames_with_lock_errors,
        "rss_start_kb": start_rss,
        "rss_end_kb": end_rss,
        "rss_samples_kb": samples,
    }


if __name__ == "__main__":
    result = asyncio.run(main(float(sys.argv[1]), int(sys.argv[2])))
    print(json.dumps(result), flush=True)
