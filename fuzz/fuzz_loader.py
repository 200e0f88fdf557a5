"""Coverage-guided fuzzing of the loader: bytes → decode() → load_text().

    pip install atheris
    python fuzz/fuzz_loader.py -max_total_time=60 -rss_limit_mb=1024 fuzz/corpus tests/hostile

Invariants: nothing raises, every problem and every node has a position inside the text, and the
loaded data is plain JSON data (no cycles, no constructed objects, no lone surrogates).
"""

from __future__ import annotations

import os
import sys

import atheris

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

with atheris.instrument_imports(include=["istiolint"]):
    from istiolint import loader

from _invariants import check_json_data, check_position, line_count, walk_paths  # noqa: E402


def TestOneInput(data: bytes) -> None:  # noqa: N802 - atheris' name
    text, problem = loader.decode(data)
    lines = line_count(data, text)
    if text is None:
        assert problem is not None
        check_position(problem.line, problem.column, lines, problem)
        return
    source = loader.load_text(text, "fuzz.yaml")
    for found in source.problems:
        check_position(found.line, found.column, lines, found)
        assert "bug in istiolint" not in found.message, found
    for document in source.documents:
        check_json_data(document.data)
        for path in walk_paths(document.data):
            check_position(*document.position(path), lines, path)
            check_position(*document.position(path, key=True), lines, path)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
