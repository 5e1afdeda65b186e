"""`/metrics` in Prometheus' text format: a collector that reads the store at scrape time, so
the figures are right whichever process wrote them (the runner, a person's `duvi sync`, a
console) and survive a restart. Nothing is counted in memory.

The HTTP figures are of the last hour of the HTTP log (a window, as gauges: the log is pruned,
so running totals would go down); the rate budget left is the configured hourly budget less
the requests of the last hour (inferred: the services count fixed windows, which the log does
not know; the clients themselves pace by the services' rate-limit headers)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector

from core.runtime import Runtime

WINDOW = timedelta(hours=1)


class StoreCollector(Collector):
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def collect(self) -> Iterator[Metric]:
        yield from self._documents()
        yield from self._runner()
        yield from self._http()
        yield from self._database()

    def _documents(self) -> Iterator[Metric]:
        docs = GaugeMetricFamily(
            "duvi_documents",
            "Documents in the ledger by department, kind (zreport, invoice, stock) and state "
            "(pending, sent, confirmed, released, attention, failed)",
            labels=["department", "kind", "state"],
        )
        for r in self.rt.store.query(
            "SELECT department_id, kind, state, count(*) AS n FROM ledger "
            "GROUP BY department_id, kind, state ORDER BY 1, 2, 3"
        ):
            docs.add_metric([r["department_id"], r["kind"], r["state"]], r["n"])
        yield docs
        alerts = GaugeMetricFamily(
            "duvi_alerts", "Alerts that hold, by kind (duvi alerts list)", labels=["kind"]
        )
        for r in self.rt.store.query(
            "SELECT kind, count(*) AS n FROM alert_states WHERE cleared_at IS NULL GROUP BY kind"
        ):
            alerts.add_metric([r["kind"]], r["n"])
        yield alerts
        inbox = GaugeMetricFamily(
            "duvi_webhook_notifications",
            "Visma webhook notifications kept, by state (pending, applied, failed)",
            labels=["state"],
        )
        for r in self.rt.store.query(
            "SELECT state, count(*) AS n FROM webhook_inbox GROUP BY state ORDER BY state"
        ):
            inbox.add_metric([r["state"]], r["n"])
        yield inbox

    def _runner(self) -> Iterator[Metric]:
        from core.runner import ROUND_COMPONENT
        from core.status import runner_waiting

        beats = {
            r["component"]: r
            for r in self.rt.store.query("SELECT component, ts, info FROM heartbeats")
        }
        backoff = GaugeMetricFamily(
            "duvi_department_failed_rounds",
            "Rounds in a row the runner failed for the department (0: its last round went "
            "through); above 0 it backs off",
            labels=["department"],
        )
        runner = beats.get("runner")
        waiting = runner_waiting(runner["info"]) if runner else {}
        for r in self.rt.store.query("SELECT id FROM departments ORDER BY id"):
            backoff.add_metric([r["id"]], float(waiting.get(r["id"], {}).get("failures", 0)))
        yield backoff
        last = beats.get(ROUND_COMPONENT)
        if last is None:
            return
        info = json.loads(last["info"] or "{}")
        seconds = GaugeMetricFamily("duvi_runner_round_seconds", "The last round's duration")
        seconds.add_metric([], float(info.get("seconds", 0)))
        yield seconds
        ended = GaugeMetricFamily(
            "duvi_runner_last_round_timestamp_seconds", "When the last round ended (Unix time)"
        )
        ended.add_metric([], _epoch(last["ts"]))
        yield ended
        waits = CounterMetricFamily(
            "duvi_runner_lease_waits",
            "Departments the runner skipped because another worker held their lease, since "
            "the runner started",
        )
        waits.add_metric([], float(info.get("lease_waits", 0)))
        yield waits

    def _http(self) -> Iterator[Metric]:
        from core.doctor import _first_id_since

        since = (datetime.now(UTC) - WINDOW).isoformat(timespec="milliseconds")
        first = _first_id_since(self.rt.store, "http_calls", since.replace("+00:00", "Z"))
        rows = (
            self.rt.store.query(
                "SELECT system, department_id, coalesce(status, 0) AS status, count(*) AS n, "
                "sum(duration_ms) AS ms FROM http_calls WHERE id >= ? "
                "GROUP BY system, department_id, status",
                [first],
            )
            if first is not None
            else []
        )
        requests = GaugeMetricFamily(
            "duvi_http_requests_last_hour",
            "Requests to each service in the last hour by HTTP status (0: no answer)",
            labels=["service", "status"],
        )
        limited = GaugeMetricFamily(
            "duvi_http_429_last_hour",
            "Requests answered 429 (rate limited) in the last hour",
            labels=["service"],
        )
        latency = SummaryMetricFamily(
            "duvi_http_request_seconds_last_hour",
            "Time to each service's answer, requests of the last hour",
            labels=["service"],
        )
        by_status: dict[tuple[str, str], int] = {}
        by_service: dict[str, tuple[int, float]] = {}
        used: dict[tuple[str, str], int] = {}
        for r in rows:
            key = (r["system"], str(r["status"]))
            by_status[key] = by_status.get(key, 0) + r["n"]
            n, ms = by_service.get(r["system"], (0, 0.0))
            by_service[r["system"]] = (n + r["n"], ms + float(r["ms"] or 0))
            # Visma counts per client and tenant (a department); DUELL per account (all).
            dept = (r["department_id"] or "") if r["system"] == "visma" else ""
            used[(r["system"], dept)] = used.get((r["system"], dept), 0) + r["n"]
        for system in ("visma", "connect", "duell"):
            limited.add_metric([system], by_status.get((system, "429"), 0))
        for (system, status), n in sorted(by_status.items()):
            requests.add_metric([system, status], n)
        for system, (n, ms) in sorted(by_service.items()):
            latency.add_metric([system], count_value=n, sum_value=ms / 1000)
        yield requests
        yield limited
        yield latency
        yield self._budget(used)

    def _budget(self, used: dict[tuple[str, str], int]) -> Metric:
        s = self.rt.settings
        budget = GaugeMetricFamily(
            "duvi_rate_budget_left",
            "Requests left of the hourly budget (visma_rate_budget per department, "
            "duell_rate_budget for the account) after the last hour's requests",
            labels=["service", "department"],
        )
        for r in self.rt.store.query("SELECT id FROM departments ORDER BY id"):
            budget.add_metric(
                ["visma", r["id"]], max(s.visma_rate_budget - used.get(("visma", r["id"]), 0), 0)
            )
        budget.add_metric(["duell", ""], max(s.duell_rate_budget - used.get(("duell", ""), 0), 0))
        return budget

    def _database(self) -> Iterator[Metric]:
        db = self.rt.settings.database
        size = GaugeMetricFamily(
            "duvi_database_bytes", "The database's files on disk", labels=["file"]
        )
        for name, path in (("db", db), ("wal", db.with_name(db.name + "-wal"))):
            size.add_metric([name], float(path.stat().st_size) if path.exists() else 0.0)
        yield size


def _epoch(ts: str) -> float:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
