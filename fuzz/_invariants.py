"""Checks shared by the fuzz harnesses (plain asserts: a failure is a crash libFuzzer keeps)."""

from __future__ import annotations

import json


def line_count(raw: bytes, text: str | None) -> int:
    decoded = text if text is not None else raw.decode("utf-8", "replace")
    return max(len(decoded.splitlines()), len(raw.split(b"\n")))


def check_position(line: int, column: int, lines: int, what: object) -> None:
    assert 1 <= line <= lines + 1 and column >= 1, (line, column, lines, what)


def check_json_data(value: object) -> None:
    """Loaded data is plain JSON data: no cycles, no Python objects, no lone surrogates."""
    json.dumps(value, ensure_ascii=False, allow_nan=True).encode("utf-8")


def walk_paths(value: object, limit: int = 5_000):
    """Paths of the nodes of ``value`` (at most ``limit``), for position lookups."""
    stack = [((), value)]
    seen = 0
    while stack and seen < limit:
        path, node = stack.pop()
        seen += 1
        yield path
        if isinstance(node, dict):
            stack.extend((path + (k,), v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((path + (i,), v) for i, v in enumerate(node))
