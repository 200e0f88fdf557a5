"""``--format json``: one object, nothing else on stdout."""

from __future__ import annotations

import json
from typing import IO

from .. import __version__


def render(report, stream: IO[str], color: bool = False, quiet: bool = False) -> None:
    document = {
        "version": 1,
        "tool": {"name": "istiolint", "version": __version__},
        "findings": [f.as_dict() for f in report.findings],
        "summary": report.summary,
    }
    if report.errors:
        document["errors"] = list(report.errors)
    json.dump(document, stream, indent=2, ensure_ascii=False)
    stream.write("\n")
