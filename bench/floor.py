#!/usr/bin/env python3
"""The bare floor of a lint: parse every file with positions and validate every Istio document.

    python bench/floor.py DIR [DIR ...]

One process, no rules, no report: istiolint's own loader (the C event parser, dicts plus the
position table) and the compiled jsonschema-rs validator of each document's schema, which is the
least any linter that reports schema problems with line numbers has to do. Garbage collection is
off while loading, as in ``istiolint lint``. Prints one JSON line of counts (bench/run.py reads it).
"""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SUFFIXES = (".yaml", ".yml", ".json")


def files_under(paths: list[str]) -> list[str]:
    out = []
    for given in paths:
        if os.path.isdir(given):
            for folder, dirs, names in os.walk(given):
                dirs.sort()
                out.extend(os.path.join(folder, n) for n in sorted(names) if n.endswith(SUFFIXES))
        else:
            out.append(given)
    return out


def main(argv: list[str]) -> int:
    from istiolint.loader import decode, load_text
    from istiolint.schema import SchemaStore

    gc.disable()
    store = SchemaStore()
    counts = {"files": 0, "bytes": 0, "documents": 0, "istio": 0, "invalid": 0}
    keep = []  # what a linter holds until it reports: every parsed file
    for path in files_under(argv):
        with open(path, "rb") as handle:
            raw = handle.read()
        counts["files"] += 1
        counts["bytes"] += len(raw)
        text, _problem = decode(raw)
        if text is None:
            continue
        source = load_text(text, path)
        keep.append(source)
        for document in source.documents:
            data = document.data
            counts["documents"] += 1
            if not isinstance(data, dict):
                continue
            relative = store._relative(data.get("apiVersion"), data.get("kind"))
            if relative is None:
                continue
            counts["istio"] += 1
            try:
                valid = store._validator(relative).is_valid(data)
            except (ValueError, TypeError, OverflowError):
                valid = False
            counts["invalid"] += not valid
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
