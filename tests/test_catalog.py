"""Meta-tests: the catalog is the registry; codes and names are unique and well-formed; docs complete."""

from __future__ import annotations

import ast
import importlib
import re

from istiolint.catalog import CODE_RE, NAME_RE, load_catalog
from istiolint.cli import markdown_rule_table

from .conftest import ROOT

CATALOG = load_catalog()


def test_codes_and_names_are_unique_and_well_formed():
    codes = [e.code for e in CATALOG.entries]
    names = [e.name for e in CATALOG.entries]
    assert len(codes) == len(set(codes)) and len(names) == len(set(names))
    for entry in CATALOG.entries:
        assert CODE_RE.match(entry.code), entry.code
        assert NAME_RE.match(entry.name), entry.name
        assert entry.file == f"{entry.name}.yaml", "a catalog file is named after its rule"
        for istio_code in entry.istio_codes:
            assert re.fullmatch(r"IST\d{4}", istio_code), istio_code


def test_every_rule_module_exists_and_declares_its_code():
    for entry in CATALOG.entries:
        module = importlib.import_module(entry.module)
        assert module.CODE == entry.code, entry.module
        assert hasattr(module, "KINDS")
        # internal-error is raised by the engine; unused-suppression by the suppression step (REPORTED_BY).
        assert hasattr(module, "check") or hasattr(module, "check_file") or entry.name == "internal-error" \
            or getattr(module, "REPORTED_BY", None)


def test_every_rule_module_is_in_the_catalog():
    modules = {e.module for e in CATALOG.entries}
    for path in (ROOT / "istiolint" / "rules").rglob("*.py"):
        if path.name == "__init__.py":
            continue
        source = path.read_text(encoding="utf-8")
        if "\nCODE = " not in source:
            continue  # a helper module shared by rules
        dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        assert dotted in modules, f"{dotted} declares a CODE but has no catalog entry"


def test_rules_do_no_io():
    """Rules never print or open files: findings go through the context, output through reporters."""
    for path in (ROOT / "istiolint" / "rules").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("print", "open", "input"), f"{path}: {node.func.id}()"


def test_readme_rule_table_is_in_sync():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- rules-table:start -->\n", "<!-- rules-table:end -->"
    table = readme[readme.index(start) + len(start): readme.index(end)]
    assert table == markdown_rule_table(CATALOG), "run: python scripts/update_readme.py"


def test_explain_has_every_section():
    for entry in CATALOG.entries:
        text = entry.explain_markdown()
        for heading in ("## Why", "## Bad", "## Good", "## Fix"):
            assert heading in text
