"""Baselines: record today's findings, then report only new ones — how a team adopts a linter on an old
repository without fixing everything first.

The file holds fingerprints (see ``fingerprint.py``: rule, file, resource, field path and message, never
the line), each with a count, so editing above a known finding does not resurrect it, and a second copy
of a known problem is still reported as new.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Iterable

from . import __version__
from .finding import Finding
from .fingerprint import fingerprint, relative_path

FORMAT_VERSION = 1


class BaselineError(ValueError):
    """An unreadable or malformed baseline file (a usage error)."""


def baseline_document(findings: Iterable[Finding], root: str) -> dict:
    counts: Counter[str] = Counter()
    described: dict[str, dict] = {}
    for finding in findings:
        key = fingerprint(finding, root)
        counts[key] += 1
        # Human-readable context, so a reviewer can see what the baseline accepts; not used for matching.
        described.setdefault(key, {
            "code": finding.code, "name": finding.name, "file": relative_path(finding.file, root)[0],
            "resource": str(finding.resource) if finding.resource else None, "path": finding.path,
            "message": finding.message,
        })
    entries = [
        {"fingerprint": key, "count": counts[key], **described[key]}
        for key in sorted(counts, key=lambda k: (described[k]["file"], described[k]["code"], k))
    ]
    return {"version": FORMAT_VERSION, "tool": {"name": "istiolint", "version": __version__}, "findings": entries}


def write_baseline(path: str, findings: Iterable[Finding], root: str) -> int:
    """Write the baseline file; returns the number of findings recorded."""
    document = baseline_document(findings, root)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        json.dump(document, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    return sum(entry["count"] for entry in document["findings"])


def read_baseline(path: str) -> Counter[str]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as err:
        raise BaselineError(f"{path}: cannot read baseline: {err.strerror or err}") from None
    except ValueError as err:
        raise BaselineError(f"{path}: not a baseline file (invalid JSON: {err})") from None
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{path}: not an istiolint baseline (version {FORMAT_VERSION}); "
                            "write one with --write-baseline")
    counts: Counter[str] = Counter()
    for entry in data["findings"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise BaselineError(f"{path}: a baseline entry has no fingerprint: {entry!r}"[:300])
        count = entry.get("count", 1)
        counts[entry["fingerprint"]] += count if isinstance(count, int) and count > 0 else 1
    return counts


def filter_new(findings: list[Finding], known: Counter[str], root: str) -> tuple[list[Finding], int]:
    """``(new findings, number matched by the baseline)``. Each baseline entry absorbs at most its count."""
    remaining = Counter(known)
    new: list[Finding] = []
    matched = 0
    for finding in findings:
        key = fingerprint(finding, root)
        if remaining[key] > 0:
            remaining[key] -= 1
            matched += 1
        else:
            new.append(finding)
    return new, matched
