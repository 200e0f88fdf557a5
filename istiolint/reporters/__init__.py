"""Reporters turn a ``Report`` into text. They know nothing of rules; each is imported only when used."""

from __future__ import annotations

import importlib
from typing import IO, Callable

# format name → "module:function"; modules are imported lazily to keep start-up small.
REPORTER_BY_NAME = {
    "text": "istiolint.reporters.text:render",
    "json": "istiolint.reporters.json:render",
    "sarif": "istiolint.reporters.sarif:render",
    "github": "istiolint.reporters.github:render",
    "gitlab": "istiolint.reporters.gitlab:render",
    "junit": "istiolint.reporters.junit:render",
}
# Formats --statistics can print (the others are fixed formats that CI systems read).
STATISTICS_FORMATS = ("text", "json")


def get_reporter(name: str) -> Callable:
    module_name, _, function = REPORTER_BY_NAME[name].partition(":")
    return getattr(importlib.import_module(module_name), function)


def statistics(report) -> list[dict]:
    """Findings per rule, most frequent first (then by code)."""
    counts: dict[str, dict] = {}
    for f in report.findings:
        row = counts.setdefault(f.code, {"code": f.code, "name": f.name, "count": 0, "severities": set()})
        row["count"] += 1
        row["severities"].add(f.severity)
    rows = sorted(counts.values(), key=lambda r: (-r["count"], r["code"]))
    return [{"code": r["code"], "name": r["name"], "count": r["count"],
             "severity": max(r["severities"]).label} for r in rows]


def render_statistics(report, stream: IO[str], output_format: str = "text") -> None:
    rows = statistics(report)
    if output_format == "json":
        import json

        json.dump(rows, stream, indent=2)
        stream.write("\n")
        return
    width = max((len(str(r["count"])) for r in rows), default=1)
    for r in rows:
        stream.write(f"{r['count']:>{width}}  {r['code']}  {r['name']:<28} {r['severity']}\n")
