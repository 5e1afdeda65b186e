"""The spec as an oracle: a transport that checks every request the client sends and every
response the sandbox returns against specs/visma-net-erp-subset.openapi.json, strictly (a field
name the spec does not know fails), with openapi-schema-validator."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import httpx
from openapi_schema_validator import OAS30Validator

from core.sandbox.spec import find_operation, load_spec


@cache
def strict_components() -> dict[str, Any]:
    comps = copy.deepcopy(load_spec()["components"])

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if "properties" in node and not node.get("x-value-wrapped"):
                node["additionalProperties"] = False
            for v in node.values():
                visit(v)
        elif isinstance(node, list):
            for v in node:
                visit(v)

    visit(comps["schemas"])
    return comps


def _validate(schema: dict[str, Any], instance: Any, what: str) -> None:
    validator = OAS30Validator({**schema, "components": strict_components()})
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(root)"
        raise AssertionError(f"{what}: {where}: {first.message}")


def _param_names(op: dict[str, Any]) -> set[str]:
    names = set()
    params = load_spec()["components"].get("parameters", {})
    for p in op.get("parameters", []):
        if "$ref" in p:
            p = params[p["$ref"].rsplit("/", 1)[-1]]
        if p.get("in") == "query":
            names.add(p["name"])
    return names


class SpecCheckingTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, prefix: str = "/visma") -> None:
        self.inner = inner
        self.prefix = prefix
        self.requests_checked = 0
        self.responses_checked = 0
        self.malformed_seen = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        op = None
        if path.startswith(self.prefix + "/"):
            rel = path[len(self.prefix) :]
            found = find_operation(request.method, rel)
            assert found, f"{request.method} {rel} is not an operation of the Visma.net spec"
            template, op = found
            what = f"request {request.method} {template}"
            unknown = set(request.url.params) - _param_names(op)
            assert not unknown, f"{what}: query parameters the spec does not know: {unknown}"
            content = op.get("requestBody", {}).get("content", {}).get("application/json")
            if request.content:
                assert content, f"{what}: the spec takes no body here"
                _validate(content["schema"], json.loads(request.content), what)
            self.requests_checked += 1
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        if op is not None and 200 <= response.status_code < 300:
            spec_resp = op["responses"].get(str(response.status_code))
            assert spec_resp, f"{request.method} {path}: status {response.status_code} not in spec"
            schema = spec_resp.get("content", {}).get("application/json", {}).get("schema")
            if schema and body:
                try:
                    data = json.loads(body)
                except ValueError:  # cut short by the fault injector: the client must cope
                    data = None
                    self.malformed_seen += 1
                if data is not None:
                    _validate(schema, data, f"response {request.method} {path}")
                    self.responses_checked += 1
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-encoding"]
        return httpx.Response(response.status_code, headers=headers, content=body, request=request)
