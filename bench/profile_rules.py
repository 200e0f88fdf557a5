#!/usr/bin/env python3
"""CPU time per pipeline stage and per rule on a corpus: where a lint of many resources spends its time.

    python bench/profile_rules.py /tmp/corpus-10k            # a table, slowest rules first
    python bench/profile_rules.py /tmp/corpus-10k --top 15

Each rule runs alone over the shared index, in catalog order; a derived index (``Index.memo``) is
charged to the first rule that builds it. CPU time (``time.process_time``), so that other work on a
shared machine does not inflate the figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--top", type=int, default=25, help="rules to show (default 25)")
    args = ap.parse_args(argv)

    from istiolint.app import discover, read_input
    from istiolint.catalog import load_catalog
    from istiolint.engine import Settings, run_rules
    from istiolint.loader import decode, load_text
    from istiolint.model import Index, resources_of

    clock = time.process_time
    stages: dict[str, float] = {}
    start = clock()
    catalog = load_catalog()
    stages["catalog"] = clock() - start

    import gc

    gc.disable()  # as istiolint lint does: no collections while loading, then the loaded data frozen
    start = clock()
    sources, resources = [], []
    for path in discover(args.paths, []):
        item = read_input(path, None, 50 * 1024 * 1024)
        text, _ = decode(item.raw or b"")
        if text is None:
            continue
        source = load_text(text, path)
        sources.append(source)
        resources.extend(r for r, _, _ in resources_of(source, "default") if r is not None)
    stages["read + parse"] = clock() - start

    gc.freeze()
    gc.enable()
    start = clock()
    index = Index(resources)
    stages["index"] = clock() - start

    settings = Settings()
    per_rule: list[tuple[float, str, int]] = []
    for entry in catalog.entries:
        start = clock()
        result = run_rules(catalog, [entry], lambda e: e.severity, index, sources, settings)
        per_rule.append((clock() - start, f"{entry.code} {entry.name}", len(result.findings)))
    stages["rules"] = sum(t for t, _, _ in per_rule)

    print(f"{len(resources):,} resources in {len(sources):,} files\n")
    print(f"{'stage':<28} {'CPU s':>8}")
    for name, seconds in stages.items():
        print(f"{name:<28} {seconds:8.3f}")
    print(f"\n{'rule':<44} {'CPU s':>8} {'findings':>9}")
    for seconds, name, count in sorted(per_rule, reverse=True)[: args.top]:
        print(f"{name:<44} {seconds:8.3f} {count:9,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
