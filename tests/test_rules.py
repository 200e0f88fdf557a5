"""Catalog-driven rule tests: every rule's fixtures and documented examples behave as documented.

``fixtures/<code>/bad.yaml`` must yield exactly the findings listed in ``expected.txt`` (one per line:
``line:col code Kind namespace/name path``, ``-`` for an empty path or no resource), ``good.yaml`` none
of that rule, and the catalog's own ``bad``/``good`` snippets must fire / stay silent — so the docs
cannot go stale.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from istiolint.catalog import load_catalog

from .conftest import ROOT, lint_paths, lint_text

CATALOG = load_catalog()
# Rules whose fixtures cannot be a plain manifest (the engine itself raises them).
NO_FIXTURE = {"internal-error"}
RULES = [e for e in CATALOG.entries if e.name not in NO_FIXTURE]


def fixture_dir(entry) -> Path:
    return ROOT / "fixtures" / entry.code


def finding_line(f) -> str:
    resource = f"{f.resource.kind} {f.resource.namespace or ''}/{f.resource.name or '-'}" if f.resource else "- -"
    return f"{f.line}:{f.column} {f.code} {resource} {f.path or '-'}"


def read_expected(path: Path) -> list[str]:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return sorted(line for line in lines if line and not line.startswith("#"))


@pytest.mark.parametrize("entry", RULES, ids=lambda e: f"{e.code}-{e.name}")
def test_bad_fixture_yields_exactly_the_expected_findings(entry):
    directory = fixture_dir(entry)
    assert (directory / "bad.yaml").is_file(), f"{entry.name} has no fixtures/{entry.code}/bad.yaml"
    report, _ = lint_paths([directory / "bad.yaml"], select=[entry.code])
    got = sorted(finding_line(f) for f in report.findings if f.code == entry.code)
    assert got == read_expected(directory / "expected.txt")
    assert got, "a bad fixture must produce at least one finding"


@pytest.mark.parametrize("entry", RULES, ids=lambda e: f"{e.code}-{e.name}")
def test_good_fixture_is_clean(entry):
    report, _ = lint_paths([fixture_dir(entry) / "good.yaml"], select=[entry.code])
    assert [finding_line(f) for f in report.findings if f.code == entry.code] == []


@pytest.mark.parametrize("entry", RULES, ids=lambda e: f"{e.code}-{e.name}")
def test_documented_examples_behave_as_documented(entry, tmp_path):
    bad, _ = lint_text(entry.bad, tmp_path, "bad.yaml", select=[entry.code])
    good, _ = lint_text(entry.good, tmp_path, "good.yaml", select=[entry.code])
    assert any(f.code == entry.code for f in bad.findings), f"the documented bad example of {entry.name} is not caught"
    assert not any(f.code == entry.code for f in good.findings), f"the documented good example of {entry.name} fires"
