"""``--format gitlab``: GitLab Code Quality JSON (``artifacts: reports: codequality``).

GitLab needs ``description``, ``check_name``, ``fingerprint``, ``severity`` and ``location.path`` with
``location.lines.begin``; an issue missing one is dropped without a word, and equal fingerprints are
merged, so each finding gets a unique, line-independent one (the same as SARIF's).
"""

from __future__ import annotations

import json
from typing import IO

from ..finding import Severity
from ..fingerprint import unique_fingerprints
from ._common import is_internal, one_line_message, report_path

# GitLab's scale is info < minor < major < critical < blocker.
SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def severity_of(finding) -> str:
    if is_internal(finding):
        return "blocker"  # the run itself is broken: nothing it says is complete
    if finding.severity == Severity.ERROR and finding.code.startswith("IL6"):
        return "critical"  # security rules: an error there is an exposure, not just a broken route
    return SEVERITY[finding.severity]


def gitlab_document(report) -> list[dict]:
    issues = []
    for f, fingerprint in zip(report.findings, unique_fingerprints(report.findings, report.root)):
        issues.append({
            "type": "issue",
            "description": f"{f.code} {f.name}: {one_line_message(f)}",
            "check_name": f.code,
            "fingerprint": fingerprint,
            "severity": severity_of(f),
            "categories": ["Bug Risk"],
            "location": {"path": report_path(report, f.file), "lines": {"begin": max(f.line, 1)}},
        })
    return issues


def render(report, stream: IO[str], color: bool = False, quiet: bool = False) -> None:
    json.dump(gitlab_document(report), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
