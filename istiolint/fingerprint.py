"""Stable identities for findings: what SARIF, GitLab and the baseline use to recognise "the same problem".

A fingerprint must survive what does not change the problem — lines inserted above it, the run's
order, the machine — and change when the problem does. So it hashes the rule, the repository-relative
file, the resource (kind, namespace, name), the field path and the message, never the line or column.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from typing import Iterable

from .finding import Finding

# Positions quoted inside messages ("first defined at line 7", "opened at 17:9") move with the text.
_POSITION_IN_MESSAGE = re.compile(r"\b(?:line|lines|column|col)\s+\d+\b|\b\d+:\d+\b", re.IGNORECASE)


def relative_path(path: str, root: str) -> tuple[str, bool]:
    """``(path, relative)``: ``path`` as a POSIX path relative to ``root`` when it lies inside it
    (``relative`` True), else absolute. Standard input stays ``-``."""
    if path == "-":
        return "-", True
    absolute = os.path.abspath(os.path.join(root, path))
    root = os.path.abspath(root)
    try:
        inside = os.path.commonpath([absolute, root]) == root
    except ValueError:  # another drive on Windows
        inside = False
    if inside:
        return os.path.relpath(absolute, root).replace(os.sep, "/"), True
    return absolute.replace(os.sep, "/"), False


def fingerprint(finding: Finding, root: str) -> str:
    """The finding's identity: a hex digest independent of line and column."""
    resource = finding.resource
    parts = (
        "v1", finding.code, relative_path(finding.file, root)[0],
        resource.kind or "" if resource else "", resource.namespace or "" if resource else "",
        resource.name or "" if resource else "", finding.path,
        _POSITION_IN_MESSAGE.sub("#", finding.message),
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def unique_fingerprints(findings: Iterable[Finding], root: str) -> list[str]:
    """One id per finding, unique within the run: the fingerprint, then ``<fingerprint>:2``, ``:3`` …
    for later findings with the same identity (code scanning and GitLab merge equal ids into one)."""
    seen: Counter[str] = Counter()
    out = []
    for finding in findings:
        value = fingerprint(finding, root)
        seen[value] += 1
        out.append(value if seen[value] == 1 else f"{value}:{seen[value]}")
    return out
