"""`/healthz` and `/metrics` beside the webhook receiver (the port `duvi run` serves).

Health is read from the store, so it is true whichever process answers: the store answers
reads, the runner's last round is recent (its heartbeat, within two intervals: doctor's
`runner.alive` rule), and no department is backing off (its services down, or a setting the
runner cannot work with). 200 with the figures, or 503 with the reasons, as JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.runtime import Runtime


def health(rt: Runtime, now: datetime | None = None) -> tuple[bool, dict[str, Any]]:
    """(healthy, what was found)."""
    from core.runner import ROUND_COMPONENT
    from core.status import runner_waiting

    now = now or datetime.now(UTC)
    reasons: list[str] = []
    out: dict[str, Any] = {"reasons": reasons}
    try:
        beats = {
            r["component"]: r
            for r in rt.store.query("SELECT component, ts, pid, info FROM heartbeats")
        }
        departments = [r["id"] for r in rt.store.query("SELECT id FROM departments ORDER BY id")]
        out["store"] = {"ok": True, "departments": len(departments)}
    except Exception as exc:  # a locked, damaged or vanished database is exactly the news
        out["store"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        reasons.append(f"the store cannot be read: {type(exc).__name__}: {exc}")
        return False, {"status": "unhealthy", **out}
    beat = beats.get("runner")
    limit = rt.settings.sync_interval_minutes * 60 * 2
    if beat is None:
        reasons.append("the runner has not started a round on this database yet")
        out["runner"] = None
    else:
        age = (now - datetime.fromisoformat(beat["ts"].replace("Z", "+00:00"))).total_seconds()
        last = beats.get(ROUND_COMPONENT)
        out["runner"] = {
            "last_beat": beat["ts"],
            "seconds_ago": round(age),
            "pid": beat["pid"],
            "last_round": json.loads(last["info"]) if last else None,
        }
        if age > limit:
            reasons.append(
                f"the runner's last round began {age / 60:.0f} min ago (more than two "
                f"intervals of {rt.settings.sync_interval_minutes} min): is `duvi run` running?"
            )
        waiting = runner_waiting(beat["info"])
        out["departments"] = {d: {"backing_off": d in waiting} for d in departments}
        for dept, w in sorted(waiting.items()):
            keys = ("error", "since", "next_try")
            out["departments"][dept] = {"backing_off": True, **{k: w.get(k) for k in keys}}
            reasons.append(
                f"department {dept} backs off: {w.get('error')} (since {w.get('since')}, "
                f"next try {w.get('next_try')})"
            )
    healthy = not reasons
    return healthy, {"status": "ok" if healthy else "unhealthy", **out}


def monitoring_routes(rt: Runtime) -> list[Route]:
    """The routes added to the receiver's app."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    from core.metrics import StoreCollector

    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(rt))

    async def healthz(request: Request) -> Response:
        healthy, found = health(rt)
        return JSONResponse(found, status_code=200 if healthy else 503)

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
