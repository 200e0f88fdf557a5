"""Validation parity with the API server and Istio: Istio's own CRD validation cases, run through istiolint.

``../shared/peer/istio-validation/<kind>-valid.yaml`` and ``<kind>-invalid.yaml`` (from Istio's
pkg/config/validation/testdata/crds) hold documents the API server accepts and rejects. Each document
carries the expected rejection message under a top-level ``_err`` key, which belongs to Istio's test
harness: it is turned into a comment (line numbers stay as they are) before linting.

Every document is linted alone, with every rule. A valid document must produce no error; an invalid
one at least one error, from any rule (schema-violation, cel-validation or a validation rule).
``test_parity_coverage`` prints the numbers and which rules catch the invalid documents.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import pytest

from istiolint.finding import Severity

from .conftest import SHARED, lint_stdin

CASES_DIR = SHARED / "peer" / "istio-validation"
_SEPARATOR = re.compile(r"^---\s*$")
_ERR_KEY = re.compile(r"^_err:", re.M)


def split_documents(text: str) -> list[tuple[int, str]]:
    """(first line, text) of each document that is not only comments; ``_err`` becomes a comment and the
    lines of earlier documents become blank, so positions are those of the file."""
    out: list[tuple[int, str]] = []
    lines = text.splitlines(keepends=True)
    start = 0
    for i in range(len(lines) + 1):
        if i == len(lines) or _SEPARATOR.match(lines[i]):
            body = lines[start:i]
            if any(line.strip() and not line.lstrip().startswith("#") for line in body):
                document = "\n" * start + _ERR_KEY.sub("#_err:", "".join(body))
                out.append((start + 1, document))
            start = i + 1
    return out


def cases() -> list[tuple[str, int, bool, str]]:
    if not CASES_DIR.is_dir():
        return []
    found = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        if not path.name.endswith(("-valid.yaml", "-invalid.yaml")):
            continue
        invalid = path.name.endswith("-invalid.yaml")
        for line, document in split_documents(path.read_text(encoding="utf-8")):
            found.append((path.name, line, invalid, document))
    return found


CASES = cases()


@lru_cache(maxsize=None)
def errors_of(document: str) -> tuple:
    report, _ = lint_stdin(document.encode("utf-8"))
    assert report is not None
    return tuple(f for f in report.findings if f.severity == Severity.ERROR)


def describe(findings) -> str:
    return "; ".join(f"{f.line}:{f.column} {f.code} {f.name} {f.path}: {f.message}" for f in findings) or "none"


@pytest.mark.parametrize("name,line,invalid,document", CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_istio_validation_case(name, line, invalid, document, shared_dir):
    errors = errors_of(document)
    if invalid:
        assert errors, f"{name}:{line} is rejected by the API server, but istiolint reports no error"
    else:
        assert not errors, f"{name}:{line} is accepted by the API server, but istiolint reports: {describe(errors)}"


def test_parity_coverage(shared_dir, capsys):
    if not CASES:
        pytest.skip("no Istio validation cases")
    valid = [c for c in CASES if not c[2]]
    invalid = [c for c in CASES if c[2]]
    clean = [c for c in valid if not errors_of(c[3])]
    caught = [c for c in invalid if errors_of(c[3])]
    by_rule = Counter(name for c in invalid for name in {f.name for f in errors_of(c[3])})
    with capsys.disabled():
        print(f"\nIstio validation parity: valid {len(clean)}/{len(valid)} accepted, "
              f"invalid {len(caught)}/{len(invalid)} rejected; invalid documents caught by: "
              + ", ".join(f"{rule} {n}" for rule, n in by_rule.most_common()))
    assert len(clean) == len(valid)
    assert len(caught) == len(invalid)


def test_split_keeps_positions():
    text = "_err: x\na: 1\n---\n# only a comment\n---\n_err: y\nb: 2\n"
    docs = split_documents(text)
    assert [line for line, _ in docs] == [1, 6]
    assert docs[1][1] == "\n" * 5 + "#_err: y\nb: 2\n"
    assert docs[0][1].startswith("#_err: x\n")
