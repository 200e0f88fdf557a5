"""``--format sarif``: SARIF 2.1.0, as GitHub code scanning (and other SARIF viewers) read it.

Code scanning needs, per rule, an id, descriptions, help and a default level, and per result a rule id
and index, a level, a message, a repository-relative location under ``%SRCROOT%`` and fingerprints that
survive line shifts — otherwise every edit above a finding closes one alert and opens another.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO
from urllib.parse import quote

from .. import __version__
from ..fingerprint import relative_path, unique_fingerprints
from ._common import LEVEL, one_line_message

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/istiolint/istiolint"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "istiolint/v1"


def _artifact(report, path: str) -> dict:
    relative, inside = relative_path(path, report.root)
    if inside:
        return {"uri": quote(relative, safe="/"), "uriBaseId": SRCROOT}
    return {"uri": Path(relative).as_uri()}


def _location(report, file: str, line: int, column: int) -> dict:
    return {"physicalLocation": {
        "artifactLocation": _artifact(report, file),
        "region": {"startLine": max(line, 1), "startColumn": max(column, 1)},
    }}


def _rule(entry) -> dict:
    help_text = entry.explain_markdown()
    return {
        "id": entry.code,
        "name": entry.name,
        "shortDescription": {"text": entry.summary},
        "fullDescription": {"text": " ".join(entry.rationale.split())},
        "help": {"text": help_text, "markdown": help_text},
        "helpUri": entry.help_uri,
        "defaultConfiguration": {"level": LEVEL[entry.severity]},
        "properties": {"tags": [t for t in ("istio", entry.area) if t], "precision": "high",
                       "istioCodes": list(entry.istio_codes)},
    }


def sarif_document(report) -> dict:
    entries = list(report.catalog.entries)
    rule_index = {e.code: i for i, e in enumerate(entries)}
    results = []
    for finding, fingerprint in zip(report.findings, unique_fingerprints(report.findings, report.root)):
        result = {
            "ruleId": finding.code,
            "level": LEVEL[finding.severity],
            "message": {"text": one_line_message(finding)},
            "locations": [_location(report, finding.file, finding.line, finding.column)],
            "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        }
        if finding.code in rule_index:
            result["ruleIndex"] = rule_index[finding.code]
        if finding.resource is not None and finding.resource.kind:
            result["locations"][0]["logicalLocations"] = [{
                "name": finding.resource.name or "", "fullyQualifiedName": str(finding.resource),
                "kind": "resource",
            }]
        if finding.related:
            result["relatedLocations"] = [
                {"id": i, **_location(report, r.file, r.line, r.column), "message": {"text": r.message}}
                for i, r in enumerate(finding.related, start=1)
            ]
        properties = {}
        if finding.path:
            properties["fieldPath"] = finding.path
        if finding.resource is not None:
            properties["resource"] = finding.resource.as_dict()
        if properties:
            result["properties"] = properties
        results.append(result)
    invocation = {"executionSuccessful": not report.errors and not getattr(report, "internal_errors", 0)}
    if report.errors:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": message}} for message in report.errors
        ]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "istiolint", "version": __version__, "semanticVersion": __version__,
                "informationUri": INFORMATION_URI, "rules": [_rule(e) for e in entries],
            }},
            "originalUriBaseIds": {SRCROOT: {"uri": Path(report.root).resolve().as_uri().rstrip("/") + "/"}},
            "invocations": [invocation],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def render(report, stream: IO[str], color: bool = False, quiet: bool = False) -> None:
    json.dump(sarif_document(report), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
