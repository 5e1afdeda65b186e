"""The Visma.net OpenAPI subset (specs/, source named in specs/README.md) as the sandbox's
oracle for write bodies: unknown fields, unwrapped values and wrong types are refused the
way Visma refuses them, with a 400 and a message naming the field."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).parent / "specs" / "visma-net-erp-subset.openapi.json"


@cache
def load_spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text("utf-8"))


def schemas() -> dict[str, Any]:
    return load_spec()["components"]["schemas"]


def resolve(schema: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """Follow $ref and nullable anyOf; returns (schema name, schema)."""
    name = None
    while True:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = schemas()[name]
        elif "anyOf" in schema:
            options = [s for s in schema["anyOf"] if s.get("enum") != [None]]
            schema = options[0]
        else:
            return name, schema


def check_body(schema_name: str, body: Any) -> list[str]:
    """Problems with a write body, as Visma-style sentences; [] when it is acceptable."""
    problems: list[str] = []
    _walk({"$ref": f"#/components/schemas/{schema_name}"}, body, "", problems)
    return problems


def _walk(schema: dict[str, Any], value: Any, where: str, problems: list[str]) -> None:
    name, schema = resolve(schema)
    label = where or "the request body"
    if value is None:
        problems.append(f"'{label}' is null: leave the field out instead of sending null")
        return
    if schema.get("x-value-wrapped"):
        if not isinstance(value, dict) or set(value) != {"value"}:
            problems.append(f"'{label}' must be sent as {{\"value\": ...}}")
            return
        _walk(schema["properties"]["value"], value["value"], where, problems)
        return
    if "enum" in schema:
        if value not in schema["enum"]:
            problems.append(f"'{label}' has the value {value!r}, not one of {schema['enum']}")
        return
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if not isinstance(value, dict):
            problems.append(f"'{label}' must be an object")
            return
        props = schema.get("properties", {})
        for key, item in value.items():
            if key not in props:
                problems.append(f"'{_join(where, key)}' is not a field of {name or 'this object'}")
            else:
                _walk(props[key], item, _join(where, key), problems)
    elif kind == "array":
        if not isinstance(value, list):
            problems.append(f"'{label}' must be an array")
            return
        for i, item in enumerate(value):
            _walk(schema.get("items", {}), item, f"{where}[{i}]", problems)
    elif kind == "string" and not isinstance(value, str):
        problems.append(f"'{label}' must be a string")
    elif kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
        problems.append(f"'{label}' must be an integer")
    elif kind == "number" and (
        isinstance(value, bool) or not isinstance(value, int | float | Decimal)
    ):
        problems.append(f"'{label}' must be a number")
    elif kind == "boolean" and not isinstance(value, bool):
        problems.append(f"'{label}' must be true or false")


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


@cache
def _operations() -> list[tuple[str, re.Pattern[str], str, dict[str, Any]]]:
    ops = []
    for template, item in load_spec()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
        for method, op in item.items():
            if method in ("get", "post", "put", "delete"):
                ops.append((method.upper(), pattern, template, op))
    return ops


def find_operation(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """The spec's (path template, operation) for a concrete request, or None."""
    for m, pattern, template, op in _operations():
        if m == method.upper() and pattern.match(path):
            return template, op
    return None


def request_schema_name(method: str, path: str) -> str | None:
    found = find_operation(method, path)
    if not found:
        return None
    content = found[1].get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = content.get("schema", {}).get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None
