"""``--format github``: workflow commands, which GitHub Actions turns into annotations on the diff.

``::error file=k8s/vs.yaml,line=12,col=5,title=IL301 route-shadowed::message``. GitHub reads the
properties up to the first ``::``, so values are escaped: ``%``, CR and LF everywhere, and ``:`` and
``,`` in properties as well — a message with a newline or a title with a colon would otherwise be cut.
Chosen automatically when ``GITHUB_ACTIONS=true`` and no ``--format`` is given.
"""

from __future__ import annotations

from typing import IO

from ..finding import Severity
from ._common import one_line_message, report_path

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items() if value is not None)
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def render(report, stream: IO[str], color: bool = False, quiet: bool = False) -> None:
    for f in report.findings:
        stream.write(command(
            COMMAND[f.severity], one_line_message(f), file=report_path(report, f.file), line=f.line, col=f.column,
            title=f"{f.code} {f.name}",
        ) + "\n")
    for message in report.errors:
        stream.write(command("error", message, title="istiolint") + "\n")
