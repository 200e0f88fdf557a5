"""Suppression: comments, file comments, annotations (ours and istioctl's), --suppress, per-file-ignores,
unused-suppression reporting. Every scenario states its exact finding set."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from istiolint.app import Options, analyze
from istiolint.catalog import Catalog, load_catalog
from istiolint.cli import main
from istiolint.finding import Finding, ResourceRef, Severity
from istiolint.record import replace
from istiolint.suppress import apply, comment_directives, parse_cli_suppressions, SuppressionError

CATALOG = load_catalog()

MANIFEST = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: bookinfo
spec:
  hosts: [reviews]
  http:
  - route:
    # istiolint: disable=schema-violation
    - destinaton:
        host: reviews
    timeout: 5  # istiolint: disable=IL102 -- the platform team owns this
    retries: {attempts: "3"}  # istiolint: disable=IL002
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
  annotations:
    istiolint.io/ignore: "duplicate-key"
spec:
  host: reviews
  host: ratings
  trafficPolicy: 3
"""
# Without any suppression (--isolated view of the same file):
UNSUPPRESSED = [(11, 7, "IL102"), (13, 14, "IL102"), (14, 25, "IL102"), (24, 3, "IL002"), (25, 18, "IL102")]


def lint(tmp_path, text=MANIFEST, name="s.yaml", **kwargs):
    kwargs.setdefault("select", ["IL001", "IL002", "IL102"])  # rules added later may fire here too
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    report, code, messages = analyze(Options(paths=[str(path)], **kwargs))
    assert report is not None, messages
    return [(f.line, f.column, f.code) for f in report.findings], report, code


def strip_suppressions(text: str) -> str:
    lines = [line for line in text.splitlines() if not line.strip().startswith("# istiolint:")]
    lines = [line.split("  # istiolint:")[0] for line in lines]
    return "\n".join(lines).replace('    istiolint.io/ignore: "duplicate-key"\n', "").replace("  annotations:\n", "") + "\n"


def test_the_manifest_without_suppressions(tmp_path):
    text = strip_suppressions(MANIFEST)
    got, _, _ = lint(tmp_path, text)
    # one comment line and two annotation lines fewer
    assert got == [(10, 7, "IL102"), (12, 14, "IL102"), (13, 25, "IL102"), (21, 3, "IL002"), (22, 18, "IL102")]


def test_comments_and_annotations(tmp_path):
    got, report, code = lint(tmp_path)
    # 11: comment alone on line 10 → next line; 13: trailing comment; 24: the resource's annotation.
    # 14 names the wrong rule, 25 is not covered.
    assert got == [(14, 25, "IL102"), (25, 18, "IL102")]
    assert report.suppressed == 3 and code == 1


def test_unused_suppressions_are_reported_when_asked(tmp_path):
    got, _, _ = lint(tmp_path, report_unused_suppressions=True)
    assert got == [(14, 25, "IL102"), (14, 52, "IL004"), (25, 18, "IL102")]
    _, report, _ = lint(tmp_path, report_unused_suppressions=True)
    unused = [f for f in report.findings if f.code == "IL004"][0]
    assert unused.severity == Severity.INFO and unused.name == "unused-suppression"
    assert unused.message == "suppression of 'IL002' silences no finding on line 14; remove it"


def test_unused_is_not_reported_for_rules_that_did_not_run(tmp_path):
    got, _, _ = lint(tmp_path, report_unused_suppressions=True, select=["IL102"])
    assert got == [(14, 25, "IL102"), (25, 18, "IL102")]  # IL002 did not run: its comment is not "unused"
    got, _, _ = lint(tmp_path, report_unused_suppressions=True, ignore=["IL004"])
    assert got == [(14, 25, "IL102"), (25, 18, "IL102")]


def test_unused_annotation_and_typo(tmp_path):
    text = MANIFEST.replace('"duplicate-key"', '"duplicate-key, IL101, route-shadowd"')
    got, report, _ = lint(tmp_path, text, report_unused_suppressions=True, select=["IL002", "IL101", "IL102"])
    assert got == [(14, 25, "IL102"), (14, 52, "IL004"), (21, 26, "IL004"), (21, 26, "IL004"), (25, 18, "IL102")]
    messages = sorted(f.message for f in report.findings if f.code == "IL004" and f.line == 21)
    assert messages == ["suppression names no rule: 'route-shadowd'; did you mean 'route-shadowed'?; "
                        "it silences nothing",
                        "suppression of 'IL101' silences no finding on this resource; remove it"]
    assert {str(f.resource) for f in report.findings if f.line == 21} == {"DestinationRule default/reviews"}


def test_disable_file_with_and_without_rules(tmp_path):
    got, _, _ = lint(tmp_path, "# istiolint: disable-file=IL1\n" + MANIFEST)
    assert got == []  # IL102 by the file comment, IL002 by the annotation
    got, _, _ = lint(tmp_path, "# istiolint: disable-file=duplicate-key\n" + strip_suppressions(MANIFEST))
    assert got == [(11, 7, "IL102"), (13, 14, "IL102"), (14, 25, "IL102"), (23, 18, "IL102")]
    got, _, _ = lint(tmp_path, strip_suppressions(MANIFEST) + "# istiolint: disable-file\n")
    assert got == []


def test_a_malformed_comment_silences_nothing(tmp_path):
    text = strip_suppressions(MANIFEST).replace("    timeout: 5", "    timeout: 5  # istiolint: disable IL102")
    got, report, _ = lint(tmp_path, text, report_unused_suppressions=True)
    assert (12, 14, "IL102") in got and (12, 17, "IL004") in got
    assert "malformed istiolint directive" in [f for f in report.findings if f.code == "IL004"][0].message


def test_hash_inside_a_scalar_is_not_a_comment():
    lines = ["  value: a#istiolint: disable=IL102", "  # istiolint: disable=IL102"]
    assert [(d.line, d.target_line) for d in comment_directives("f", lines, CATALOG)] == [(2, None)]


def test_comment_alone_applies_to_the_next_code_line():
    lines = ["# istiolint: disable=IL102", "", "# a note", "  # istiolint: disable=IL002,IL003", "key: v"]
    directives = comment_directives("f", lines, CATALOG)
    assert [(d.selector, d.line, d.column, d.target_line) for d in directives] == [
        ("IL102", 1, 22, 5), ("IL002", 4, 24, 5), ("IL003", 4, 30, 5)]


def test_yaml_syntax_findings_can_be_silenced_for_a_file(tmp_path):
    broken = "# istiolint: disable-file=yaml-syntax\nkey: [unclosed\n"
    got, _, _ = lint(tmp_path, broken)
    assert got == []


# --- --suppress ------------------------------------------------------------------------------------

@pytest.mark.parametrize("suppress, expected", [
    (["IL102=VirtualService bookinfo/reviews"], [(24, 3, "IL002"), (25, 18, "IL102")]),
    (["IL102=VirtualService reviews.bookinfo"], [(24, 3, "IL002"), (25, 18, "IL102")]),  # istioctl's form
    (["schema-violation=Virtual* */rev*"], [(24, 3, "IL002"), (25, 18, "IL102")]),
    (["IL102=DestinationRule"], [(11, 7, "IL102"), (13, 14, "IL102"), (14, 25, "IL102"), (24, 3, "IL002")]),
    (["IL1"], [(24, 3, "IL002")]),
    (["IL102=VirtualService other/reviews"], UNSUPPRESSED),
    (["IL102=* *", "IL002=DestinationRule reviews"], []),
])
def test_suppress_option(tmp_path, suppress, expected):
    got, _, _ = lint(tmp_path, strip_suppressions(MANIFEST), suppress=suppress)
    shifted = {11: 10, 13: 12, 14: 13, 24: 21, 25: 22}  # the same findings without the suppressions
    assert got == [(shifted[line], col, code) for line, col, code in expected]


def test_suppress_with_unknown_rule_is_a_usage_error(tmp_path):
    (tmp_path / "a.yaml").write_text(MANIFEST, encoding="utf-8")
    result = CliRunner().invoke(main, ["lint", "--isolated", "--select", "IL102", "--suppress", "schema-violaton=VirtualService x",
                                       str(tmp_path / "a.yaml")])
    assert result.exit_code == 2
    assert "unknown rule 'schema-violaton'; did you mean 'schema-violation'?" in result.output
    with pytest.raises(SuppressionError):
        parse_cli_suppressions(["IL102=Kind a b"], CATALOG)


# --- istioctl codes --------------------------------------------------------------------------------

def catalog_with_istio_codes() -> Catalog:
    entries = [replace(e, istio_codes=("IST0101",)) if e.code == "IL102" else e for e in CATALOG.entries]
    return Catalog(tuple(entries))


class FakeResource:
    analyze = True

    def __init__(self, annotations):
        self.annotations = annotations
        self.file = "f.yaml"
        self.ref = ResourceRef("networking.istio.io/v1", "VirtualService", "ns", "vs")

    def position(self, path=(), key=False):
        return (4, 5)


def finding(code: str, ref: ResourceRef | None = FakeResource({}).ref) -> Finding:
    return Finding(code, "x", Severity.ERROR, "m", "f.yaml", 9, 1, ref)


@pytest.mark.parametrize("annotation, kept", [
    ("IST0101", ["IL002"]),  # IST0101 maps to IL102 through the catalog
    (" IST0101 , IST0102 ", ["IL002"]),  # whitespace trimmed; unmapped codes are istioctl's business
    ("IST0102", ["IL102", "IL002"]),
    ("*", []),
])
def test_galley_annotation_maps_through_istio_codes(annotation, kept):
    catalog = catalog_with_istio_codes()
    resource = FakeResource({"galley.istio.io/analyze-suppress": annotation})
    result = apply([finding("IL102"), finding("IL002")], {}, [resource], catalog)
    assert [f.code for f in result.kept] == kept


def test_suppress_accepts_istio_codes():
    catalog = catalog_with_istio_codes()
    suppressions = parse_cli_suppressions(["IST0101=VirtualService vs.ns"], catalog)
    result = apply([finding("IL102"), finding("IL002"), finding("IL102", None)], {}, [], catalog, cli=suppressions)
    assert [(f.code, f.resource is None) for f in result.kept] == [("IL002", False), ("IL102", True)]


def test_annotation_on_another_resource_does_not_apply():
    resource = FakeResource({"istiolint.io/ignore": "IL102"})
    other = ResourceRef("networking.istio.io/v1", "VirtualService", "ns", "other")
    result = apply([finding("IL102", other), finding("IL102")], {}, [resource], CATALOG)
    assert [f.resource.name for f in result.kept] == ["other"]
