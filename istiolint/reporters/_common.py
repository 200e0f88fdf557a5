"""What the CI formats share: repository-relative paths and one-line messages."""

from __future__ import annotations

from ..finding import Finding, Severity
from ..fingerprint import relative_path


def report_path(report, path: str) -> str:
    """``path`` relative to the report's root (the working directory) in POSIX form."""
    return relative_path(path, report.root)[0]


def one_line_message(finding: Finding) -> str:
    """The message with the resource it concerns, on one line (annotations and tables show one line)."""
    text = " ".join(finding.message.split())
    if finding.resource is not None and finding.resource.kind:
        text += f" [{finding.resource}]"
    return text


def is_internal(finding: Finding) -> bool:
    return finding.name == "internal-error"


LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}  # SARIF levels
