"""Coverage-guided fuzzing of the whole pipeline: bytes on standard input → analyze() → JSON report.

    pip install atheris
    python fuzz/fuzz_pipeline.py -max_total_time=60 -rss_limit_mb=1024 fuzz/corpus tests/hostile

The first byte picks a few options (namespace, --strict-references), the rest is the input file.
Invariants: no exception escapes analyze(), no rule fails (internal-error), the exit code is 0, 1 or 2,
the JSON report parses, and every finding points inside the file.
"""

from __future__ import annotations

import io
import json
import os
import sys

import atheris

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

with atheris.instrument_imports(include=["istiolint"]):
    import importlib

    from istiolint.app import Options, analyze
    from istiolint.catalog import load_catalog
    from istiolint.loader import decode
    from istiolint.reporters import get_reporter

    # Rules are imported when they first run: import them here so that their code is instrumented too.
    for _entry in load_catalog().entries:
        importlib.import_module(_entry.module)

from _invariants import check_position, line_count  # noqa: E402


def TestOneInput(data: bytes) -> None:  # noqa: N802 - atheris' name
    flags, raw = (data[0], data[1:]) if data else (0, b"")
    options = Options(paths=["-"], format="json", namespace=("default", "bookinfo")[flags & 1],
                      strict_references=bool(flags & 2))
    report, code, tracebacks = analyze(options, io.BytesIO(raw))
    assert report is not None and code in (0, 1, 2), code
    failed = [f for f in report.findings if f.name == "internal-error" or "bug in istiolint" in f.message]
    assert not failed, "\n".join(tracebacks)
    stream = io.StringIO()
    get_reporter("json")(report, stream, color=False, quiet=False)
    json.loads(stream.getvalue())
    lines = line_count(raw, decode(raw)[0])
    for finding in report.findings:
        check_position(finding.line, finding.column, lines, finding)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
