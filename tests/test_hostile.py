"""Hostile input: nothing crashes, nothing is lost, nothing runs.

``tests/hostile/`` holds small files, each with its expectation in ``EXPECTED`` below: the findings of
the input rules (IL0xx) exactly, as (rule, line, column), plus findings other rules must still make and a
word the message must contain. Large inputs are generated in ``tmp_path``.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
from istiolint.record import replace
from pathlib import Path

import pytest

import istiolint.catalog
from istiolint import loader
from istiolint.app import Options, analyze, run

from .conftest import ROOT, lint_paths

HOSTILE = Path(__file__).resolve().parent / "hostile"
INPUT_RULES = ("IL0",)


def _checked(findings) -> list:
    """The findings these tests pin down: the input rules' and schema-violation's (other rules may have
    more to say about the same files, and they change as rules are added)."""
    return [f for f in findings if f.code.startswith(INPUT_RULES) or f.name == "schema-violation"]

# file → (input-rule findings exactly, findings of other rules that must be there, a word of the message)
EXPECTED: dict[str, tuple[list[tuple], list[tuple], str]] = {
    "alias-bomb-mappings.yaml": ([("yaml-syntax", 6, 12)], [], "YAML bomb"),
    "alias-bomb.yaml": ([("yaml-syntax", 6, 8)], [], "200,000 nodes"),
    "alias-deep.yaml": ([("yaml-syntax", 2, 69)], [], "deeper than 100"),
    "anchor-on-document.yaml": ([("yaml-syntax", 5, 5)], [], "unknown alias *doc"),
    "apiversion-wrong-type.yaml": ([("not-a-resource", 1, 13)], [], "apiVersion must be a string, got the integer 1"),
    "bad-directive.yaml": ([("yaml-syntax", 1, 1)], [], "incompatible YAML"),
    "binary-controls.yaml": ([("yaml-syntax", 1, 1)], [], "control characters"),
    "binary-elf.json": ([("yaml-syntax", 1, 1)], [], "ELF"),
    "binary-gzip.yml": ([("yaml-syntax", 1, 1)], [], "gzip"),
    "binary-nul.yaml": ([("yaml-syntax", 1, 1)], [], "NUL"),
    "binary-png.yaml": ([("yaml-syntax", 1, 1)], [], "PNG"),
    "bom-twice.yaml": ([], [], ""),
    "complex-key.yaml": ([("yaml-syntax", 1, 3)], [], "key must be a scalar"),
    "control-character.yaml": ([("yaml-syntax", 6, 14)], [], "U+0007"),
    "crlf-bom.yaml": ([], [("schema-violation", 7, 3)], ""),
    "custom-tag.yaml": ([("yaml-syntax", 4, 9)], [], "!Ref"),
    "directive-only.yaml": ([], [], ""),
    "document-end-marker-garbage.yaml": ([("yaml-syntax", 9, 5)], [], "document start"),
    "duplicate-key.yaml": ([("duplicate-key", 7, 3)], [], "first at line 6"),
    "empty.yaml": ([], [], ""),
    "helm-template-if.yaml": ([("yaml-syntax", 1, 2), ("yaml-syntax", 1, 3)], [], "unrendered Helm template"),
    "helm-template-quoted.yaml": ([("unrendered-template", 7, 5)], [], "unrendered Helm template"),
    "helm-template.yaml": ([("yaml-syntax", 4, 10), ("yaml-syntax", 6, 6), ("yaml-syntax", 6, 7)], [],
                           "unrendered Helm template"),
    "invalid-utf8-after-multibyte.yaml": ([("yaml-syntax", 6, 10)], [], "byte offset 69"),
    "invalid-utf8.yaml": ([("yaml-syntax", 4, 12)], [], "invalid UTF-8 byte 0xe9 at byte offset 50"),
    "ipv6-flow-leading-colon.yaml": ([("yaml-syntax", 7, 15)], [], 'cannot start with ":"'),
    "ipv6-flow.yaml": ([], [], ""),
    "json-truncated.json": ([("yaml-syntax", 5, 1)], [], "flow mapping"),
    "kind-mapping.yaml": ([("not-a-resource", 1, 13), ("not-a-resource", 2, 7)], [], "must be a string, got a mapping"),
    "kind-wrong-type.yaml": ([("not-a-resource", 2, 7)], [], "kind must be a string, got a list"),
    "list-items-not-a-list.yaml": ([("not-a-resource", 4, 3)], [], "items of a List must be a list"),
    "list-items-null-value.yaml": ([("not-a-resource", 3, 8)], [], "got the integer 7"),
    "list-items-null.yaml": ([("not-a-resource", 4, 2), ("not-a-resource", 5, 3)], [], "empty (null)"),
    "list-items-scalars.yaml": ([("not-a-resource", 4, 3)], [], "item 0 of the List is the integer 42"),
    "lone-cr.yaml": ([], [("schema-violation", 7, 3)], ""),
    "merge-conflict-parses.yaml": ([("yaml-syntax", 7, 1)], [], "merge conflict"),
    "merge-conflict.yaml": ([("yaml-syntax", 7, 1)], [], "git conflict markers at lines 7 to 11"),
    "metadata-null.yaml": ([], [("schema-violation", 3, 10)], ""),
    "metadata-wrong-type.yaml": ([], [("schema-violation", 3, 11)], ""),
    "nel-line-breaks.yaml": ([], [("schema-violation", 7, 3)], ""),
    "only-separators.yaml": ([], [], ""),
    "python-tag-mapping.yaml": ([("yaml-syntax", 3, 11)], [], "!!python/object:__main__.Evil"),
    "python-tag.yaml": ([("yaml-syntax", 6, 6)], [], "nothing is constructed"),
    "recursive-alias-merge.yaml": ([("yaml-syntax", 3, 9)], [], "recursive alias"),
    "recursive-alias.yaml": ([("yaml-syntax", 7, 9)], [], "recursive alias"),
    "scalar-document.yaml": ([("not-a-resource", 10, 1)], [], 'document 2 is the string "just some text"'),
    "sequence-document.yaml": ([("not-a-resource", 10, 1)], [], "document 2 is a list"),
    "spec-list.yaml": ([], [("schema-violation", 6, 1)], ""),
    "spec-null.yaml": ([], [], ""),
    "spec-wrong-type.yaml": ([], [("schema-violation", 5, 7)], ""),
    "tabs.yaml": ([("yaml-syntax", 6, 1)], [], "tabs"),
    "unknown-alias.yaml": ([("yaml-syntax", 6, 10)], [], "unknown alias *hosts"),
    "unterminated-quote.yaml": ([("yaml-syntax", 7, 5)], [], "unterminated quoted string"),
    "unterminated-single-quote.yaml": ([("yaml-syntax", 6, 11)], [], "unterminated quoted string"),
    "utf16.yaml": ([], [("schema-violation", 7, 3)], ""),
    "whitespace-only.yaml": ([("yaml-syntax", 4, 1)], [], "cannot start any token"),
}


def test_every_hostile_file_has_an_expectation():
    assert sorted(p.name for p in HOSTILE.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file(name):
    expected_input, expected_other, word = EXPECTED[name]
    report, code = lint_paths([HOSTILE / name])
    got = sorted((f.name, f.line, f.column) for f in report.findings if f.code.startswith(INPUT_RULES))
    assert got == sorted(expected_input)
    others = {(f.name, f.line, f.column) for f in report.findings}
    assert set(expected_other) <= others
    assert not any(f.name == "internal-error" or "bug in istiolint" in f.message for f in report.findings)
    if word:
        assert any(word in f.message for f in report.findings), [f.message for f in report.findings]
    # A file with something wrong in it fails the run.
    if expected_input or expected_other:
        assert code == 1
    else:
        assert not [f for f in _checked(report.findings) if f.severity.label == "error"]
    lines = report.sources[str(HOSTILE / name)]
    for f in report.findings:
        assert 1 <= f.line <= len(lines) + 1 and f.column >= 1


def test_flow_scalars_with_colons_read_as_kubectl_reads_them():
    source = loader.load_text((HOSTILE / "ipv6-flow.yaml").read_text())
    spec = source.documents[0].data["spec"]
    assert spec["addresses"] == ["192.0.2.1", "2001:db8::1", "fe80::1"]
    assert spec["endpoints"] == [{"address": "2001:db8::10"}]
    assert spec["ports"] == [{"number": 443, "name": "tls", "protocol": "TLS"}]
    # Positions are those of the original text, although it was parsed again with the colons masked.
    assert source.documents[0].position(("spec", "addresses", 2)) == (7, 39)
    assert source.documents[0].position(("spec", "endpoints", 0, "address")) == (10, 25)
    assert source.documents[0].position(("spec", "endpoints", 0, "address"), key=True) == (10, 16)


@pytest.mark.parametrize("text, value", [
    ("a: [x:y, {k: a:b}]\n", ["x:y", {"k": "a:b"}]),
    ("a: [x:]\n", ["x:"]),  # go-yaml: a colon before "]" belongs to the scalar
    ('a: {"k":1, "j": [u:v]}\n', {"k": 1, "j": ["u:v"]}),  # JSON-style "k":1 keeps its indicator
    ("a: [http://x:80/p, 12:30]\n", ["http://x:80/p", "12:30"]),
    ("a: [x:y]\nb: !!python/name:os.system z\n", ["x:y"]),
])
def test_masked_colons_come_back(text, value):
    source = loader.load_text(text)
    assert source.documents[0].data["a"] == value
    assert all("\ue000" not in p.message for p in source.problems)


def test_python_tag_after_masking_is_still_named_right():
    source = loader.load_text("a: [x:y]\nb: !!python/name:os.system z\n")
    assert [p.message.split(" is ")[0] for p in source.problems] == ["YAML tag !!python/name:os.system"]


def test_hostile_directory_in_one_run():
    report, code = lint_paths([HOSTILE])
    assert code == 1 and not report.errors
    assert not any(f.name == "internal-error" for f in report.findings)
    by_file: dict[str, list[tuple]] = {}
    for f in report.findings:
        if f.code.startswith(INPUT_RULES):
            by_file.setdefault(Path(f.file).name, []).append((f.name, f.line, f.column))
    assert {name: sorted(found) for name, found in by_file.items()} == {
        name: sorted(exp[0]) for name, exp in EXPECTED.items() if exp[0]}


# -- generated inputs ------------------------------------------------------------------------------

VS = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\nspec:\n  hosts: [reviews]\n"


def test_very_long_line(tmp_path):
    path = tmp_path / "long.yaml"
    path.write_text(VS + "  htp: \"" + "x" * 2_000_000 + "\"\n")
    report, code = lint_paths([path])
    assert [(f.name, f.line, f.column) for f in _checked(report.findings)] == [("schema-violation", 7, 3)]


def test_file_over_the_size_limit_is_reported_not_read(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text(VS * 200)
    small = tmp_path / "small.yaml"
    small.write_text(VS + "  htp: []\n")
    report, code = lint_paths([tmp_path], max_file_size=10_000)
    assert code == 1
    [limit] = [f for f in report.findings if f.file == str(big)]
    assert (limit.name, limit.line, limit.column) == ("yaml-syntax", 1, 1)
    assert "over the 10,000-byte limit (--max-file-size)" in limit.message
    assert [(f.name, f.line) for f in _checked(report.findings) if f.file == str(small)] == [("schema-violation", 7)]


def test_standard_input_over_the_size_limit():
    options = Options(paths=["-"], max_file_size=100)
    report, code, _ = analyze(options, io.BytesIO(VS.encode() * 10))
    assert code == 1 and "over the 100-byte limit" in report.findings[0].message


@pytest.mark.parametrize("text", [
    "a: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "a: " + "{b: " * 50_000 + "c" + "}" * 50_000 + "\n",
    "".join("  " * i + "- \n" for i in range(2_000)),
    "".join("  " * i + f"k{i}:\n" for i in range(2_000)),
])
def test_very_deep_nesting(tmp_path, text):
    path = tmp_path / "deep.yaml"
    path.write_text(VS + "---\n" + text)
    report, code = lint_paths([path])
    [finding] = [f for f in report.findings if f.code.startswith(INPUT_RULES)]
    assert finding.name == "yaml-syntax" and "deeper than 100" in finding.message
    assert code == 1


def test_nesting_at_the_limit_is_linted_by_every_rule(tmp_path):
    # 100 levels is allowed: every rule must cope with it (no RecursionError in schema explanations).
    inner = "[" * (loader.MAX_DEPTH - 3) + "]" * (loader.MAX_DEPTH - 3)
    path = tmp_path / "deep.yaml"
    path.write_text(VS + f"  http: {inner}\n")
    report, code = lint_paths([path])
    assert not any(f.name in ("internal-error", "yaml-syntax") for f in report.findings)
    assert any(f.name == "schema-violation" for f in report.findings)


def test_wide_alias_expansion_is_reported_not_expanded(tmp_path):
    path = tmp_path / "wide.yaml"
    path.write_text("a: &a [" + ", ".join(["x"] * 50_000) + "]\nb: [" + ", ".join(["*a"] * 100_000) + "]\n")
    source = loader.load_text(path.read_text())
    assert source.documents[0].dropped and source.documents[0].data is None
    assert [p.kind for p in source.problems] == ["limit"]


def test_aliases_within_the_budget_are_expanded():
    source = loader.load_text("a: &a {x: [1, 2]}\nb: *a\nc: [*a, *a]\n")
    data = source.documents[0].data
    assert data["b"] == data["c"][1] == {"x": [1, 2]} and source.problems == []


def test_node_limit_per_file(monkeypatch):
    monkeypatch.setattr(loader, "MAX_NODES", 1_000)
    source = loader.load_text("a: 1\n---\nb: [" + ", ".join(["1"] * 2_000) + "]\n")
    assert [d.data for d in source.documents] == [{"a": 1}]
    [problem] = source.problems
    assert problem.kind == "limit" and problem.line == 3 and "more than 1,000 YAML nodes" in problem.message


def test_problems_per_file_are_capped():
    source = loader.load_text("".join(f"k: {i}\n" for i in range(3_000)))
    assert len(source.problems) == loader.MAX_PROBLEMS + 1
    assert "more than 1,000 problems" in source.problems[-1].message


def test_many_duplicate_keys_in_a_big_list_stay_fast(tmp_path):
    # duplicate-key names the object of each problem: a lookup, not a scan of every object.
    items = "".join(f"- apiVersion: v1\n  kind: ConfigMap\n  metadata: {{name: c{i}}}\n  data: {{a: 1, a: 2}}\n"
                    for i in range(500))
    path = tmp_path / "list.yaml"
    path.write_text("apiVersion: v1\nkind: List\nitems:\n" + items)
    report, _ = lint_paths([path], select=["duplicate-key"])
    assert len(report.findings) == 500
    assert report.findings[-1].resource.name == "c499" and report.findings[-1].path == "data.a"


def test_not_a_resource_is_capped_per_file(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("apiVersion: v1\nkind: List\nitems:\n" + "- 1\n" * 1_000)
    report, _ = lint_paths([path], select=["not-a-resource"])
    assert len(report.findings) == 101 and "the rest are not reported" in report.findings[-1].message


# -- decoding ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, kind, position", [
    (b"\xef\xbb\xbfa: \xff\n", "syntax", (1, 4)),
    (b"a: 1\r\nb: \xe2\x82\n", "syntax", (2, 4)),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "binary", (1, 1)),
    (b"PK\x03\x04\x14\x00", "binary", (1, 1)),
])
def test_decode_problems(raw, kind, position):
    text, problem = loader.decode(raw)
    assert text is None and problem.kind == kind and (problem.line, problem.column) == position


def test_decode_reports_the_byte_offset_in_the_file_with_a_bom():
    _, problem = loader.decode(b"\xef\xbb\xbfa: \xff\n")
    assert "byte offset 6" in problem.message


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_decode_utf16_and_utf32_with_bom(encoding):
    text, problem = loader.decode(("\ufeff" + VS).encode(encoding))
    assert problem is None and text == VS


def test_text_with_escape_sequences_is_not_binary():
    text, problem = loader.decode(b"a: \"\x1b[31mred\x1b[0m\"\n")
    assert problem is None and text.startswith("a:")


# -- directories ----------------------------------------------------------------------------------------

def _tree(tmp_path):
    root = tmp_path / "tree"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "good.yaml").write_text(VS + "  htp: []\n")
    (root / "sub" / "up").symlink_to("..")  # a loop back to the root
    (root / "sub" / "self").symlink_to("self")  # a directory link to itself
    (root / "self.yaml").symlink_to("self.yaml")  # a file link to itself
    (root / "broken.yaml").symlink_to("missing.yaml")
    (root / "notes.txt").write_text("not yaml: [")
    return root


def test_walk_survives_symlink_loops_and_broken_links(tmp_path):
    root = _tree(tmp_path)
    report, code = lint_paths([root])
    assert code == 1 and not report.errors
    assert [(Path(f.file).name, f.name, f.line) for f in _checked(report.findings)] == [
        ("broken.yaml", "yaml-syntax", 1), ("self.yaml", "yaml-syntax", 1), ("good.yaml", "schema-violation", 7)]
    messages = {Path(f.file).name: f.message for f in report.findings}
    assert messages["broken.yaml"] == "cannot read file: broken symbolic link to missing.yaml"
    assert messages["self.yaml"].startswith("cannot read file: symbolic link loop")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_walk_skips_fifos_instead_of_hanging(tmp_path):
    root = tmp_path / "tree"
    root.mkdir()
    os.mkfifo(root / "pipe.yaml")
    (root / "link.yaml").symlink_to("pipe.yaml")
    (root / "ok.yaml").write_text(VS)
    report, code = lint_paths([root])  # would block forever on open() if a FIFO were read
    assert report.files == 1 and _checked(report.findings) == []


def test_unreadable_file_is_a_finding_and_the_rest_is_linted(tmp_path, monkeypatch):
    root = tmp_path / "tree"
    root.mkdir()
    secret = root / "secret.yaml"
    secret.write_text(VS)
    (root / "ok.yaml").write_text(VS + "  htp: []\n")
    if os.geteuid() == 0:  # root reads through chmod 000: simulate the permission error
        real_open = open

        def guarded_open(file, *args, **kwargs):
            if str(file) == str(secret):
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr("builtins.open", guarded_open)
    else:
        secret.chmod(0)
    try:
        report, code = lint_paths([root])
    finally:
        secret.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert code == 1 and not report.errors
    assert [(Path(f.file).name, f.name, f.message) for f in report.findings if f.name == "yaml-syntax"] == [
        ("secret.yaml", "yaml-syntax", "cannot read file: Permission denied")]
    assert any(Path(f.file).name == "ok.yaml" and f.name == "schema-violation" for f in report.findings)


def test_unreadable_directory_is_a_finding(tmp_path, monkeypatch):
    root = tmp_path / "tree"
    (root / "locked").mkdir(parents=True)
    (root / "ok.yaml").write_text(VS)
    locked = str(root / "locked")
    real_scandir = os.scandir

    def guarded_scandir(path="."):
        if str(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", guarded_scandir)
    report, code = lint_paths([root])
    assert code == 1 and not report.errors
    assert [(f.file, f.message) for f in _checked(report.findings)] == [
        (locked, "cannot read directory: Permission denied")]


def test_missing_path_on_the_command_line_exits_2_and_the_rest_is_linted(tmp_path):
    ok = tmp_path / "ok.yaml"
    ok.write_text(VS + "  htp: []\n")
    report, code = lint_paths([tmp_path / "nope.yaml", ok, tmp_path / "nope-dir"])
    assert code == 2
    assert report.errors == [f"{tmp_path / 'nope.yaml'}: no such file or directory",
                             f"{tmp_path / 'nope-dir'}: no such file or directory"]
    assert [(f.name, f.line) for f in _checked(report.findings)] == [("schema-violation", 7)]


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS refuses file names that are not UTF-8")
def test_file_names_that_are_not_utf8_are_shown_escaped(tmp_path):
    directory = tmp_path / "names"
    directory.mkdir()
    name = os.fsdecode(b"bad\xff.yaml")
    (directory / name).write_text(VS + "  htp: []\n")
    out = tmp_path / "report.json"
    options = Options(paths=[str(directory)], format="json", output=str(out))
    code = run(options, stdout=io.StringIO(), stderr=io.StringIO())
    assert code == 1
    [finding] = [f for f in json.loads(out.read_text(encoding="utf-8"))["findings"] if f["name"] == "schema-violation"]
    assert finding["file"] == str(directory / "bad\\xff.yaml") and finding["line"] == 7


# -- safety -------------------------------------------------------------------------------------------

def test_nothing_is_fetched_over_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("istiolint opened a network connection")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    report, code = lint_paths([HOSTILE, ROOT / "fixtures"])
    assert code == 1 and not any(f.name == "internal-error" for f in report.findings)


def _snapshot(directory: Path) -> dict[str, tuple]:
    return {str(p.relative_to(directory)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in directory.rglob("*") if not p.is_symlink()}


def test_nothing_is_written_but_the_requested_output(tmp_path):
    work = tmp_path / "work"
    shutil.copytree(HOSTILE, work / "manifests")
    private_tmp, home = tmp_path / "tmp", tmp_path / "home"
    private_tmp.mkdir()
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "ISTIOLINT_CACHE_DIR")}
    env.update(TMPDIR=str(private_tmp), HOME=str(home), PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(ROOT))
    before = _snapshot(work)
    pwned = Path("/tmp/istiolint-pwned")
    existed = pwned.exists()
    result = subprocess.run([sys.executable, "-m", "istiolint", "lint", "--format", "json", "manifests"],
                            cwd=work, env=env, capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    json.loads(result.stdout)
    assert _snapshot(work) == before and list(private_tmp.iterdir()) == []
    result = subprocess.run([sys.executable, "-m", "istiolint", "lint", "--format", "json", "-o", "out.json",
                             "manifests"], cwd=work, env=env, capture_output=True, text=True)
    assert result.returncode == 1 and result.stdout == ""
    assert set(_snapshot(work)) - set(before) == {"out.json"} and list(private_tmp.iterdir()) == []
    # The home directory holds at most istiolint's own cache (of the rule catalog, not of any input).
    assert all(p.relative_to(home).parts[:2] == (".cache", "istiolint") for p in home.rglob("*") if p.is_file())
    assert pwned.exists() == existed  # the !!python/object/apply payload did not run


# -- internal errors ------------------------------------------------------------------------------------

def _catalog_with_failing_rule(monkeypatch, rule: str = "not-a-resource"):
    real = istiolint.catalog.load_catalog

    def patched(*args, **kwargs):
        catalog = real(*args, **kwargs)
        entries = tuple(replace(e, module="tests.failing_rule") if e.name == rule else e for e in catalog.entries)
        return istiolint.catalog.Catalog(entries)

    monkeypatch.setattr(istiolint.catalog, "load_catalog", patched)


def test_a_failing_rule_is_an_internal_error_and_the_rest_is_reported(tmp_path, monkeypatch):
    _catalog_with_failing_rule(monkeypatch)
    path = tmp_path / "two.yaml"
    path.write_text(VS + "  htp: []\n---\n" + VS.replace("reviews", "boom", 1))
    report, code = lint_paths([path])
    assert code == 2
    [internal] = [f for f in report.findings if f.name == "internal-error"]
    assert internal.file == str(path) and (internal.line, internal.column) == (9, 1)
    assert internal.resource.kind == "VirtualService" and internal.resource.name == "boom"
    assert "rule not-a-resource (IL003) failed on" in internal.message and "RuntimeError: boom" in internal.message
    # The same rule on the other resource, and the other rules, still ran.
    assert ("schema-violation", 7) in [(f.name, f.line) for f in report.findings]
    assert ("not-a-resource", 7) in [(f.name, f.line) for f in report.findings]


def test_debug_shows_the_traceback(tmp_path, monkeypatch):
    _catalog_with_failing_rule(monkeypatch)
    path = tmp_path / "boom.yaml"
    path.write_text(VS.replace("reviews", "boom", 1))
    for debug in (False, True):
        stderr, stdout = io.StringIO(), io.StringIO()
        code = run(Options(paths=[str(path)], format="json", debug=debug), stdout=stdout, stderr=stderr)
        assert code == 2
        assert json.loads(stdout.getvalue())["findings"][0]["name"] == "internal-error"
        assert ("Traceback (most recent call last)" in stderr.getvalue()) is debug
        if debug:
            assert 'raise RuntimeError("boom")' in stderr.getvalue()


# -- acceptance: one run over a hostile directory ------------------------------------------------------

# Runs istiolint as `python -m istiolint` and reports its own peak memory on exit.
_MEASURED = (
    "import atexit, resource, runpy, sys\n"
    "atexit.register(lambda: sys.stderr.write("
    "f'\\nMAXRSS_KB={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n'))\n"
    "sys.argv = ['istiolint'] + sys.argv[1:]\n"
    "runpy.run_module('istiolint', run_name='__main__')\n"
)

GOOD_VS = (
    "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\n  namespace: bookinfo\n"
    "spec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination:\n        host: reviews\n        subsett: v1\n"
)
GOOD_DR = (
    "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: reviews\n  namespace: bookinfo\n"
    "spec:\n  host: reviews\n  trafficPolicy:\n    loadBalancer:\n      simple: ROUND_ROBINN\n"
)


def _hostile_directory(root: Path) -> tuple[set[str], dict[str, list[tuple]]]:
    """Build the directory: (names of bad files, expected findings of the good files)."""
    shutil.copytree(HOSTILE, root)
    bad = {name for name, (inputs, others, _) in EXPECTED.items() if inputs or others}
    bad -= {"crlf-bom.yaml", "lone-cr.yaml", "nel-line-breaks.yaml", "utf16.yaml"}  # good files, checked below
    generated = {
        "huge.yaml": None,  # over the default 50 MiB limit: sparse, never read
        "deep-flow.yaml": "a: " + "[" * 300_000 + "]" * 300_000 + "\n",
        "deep-block.yaml": "".join(" " * i + f"k{i}:\n" for i in range(3_000)),
        "long-line.yaml": VS + '  htp: "' + "y" * 3_000_000 + '"\n',
        "wide-alias.yaml": "a: &a [" + ", ".join(["x"] * 50_000) + "]\nb: [" + ", ".join(["*a"] * 50_000) + "]\n",
        "nested-bomb.yaml": "a: &a [[[[[[x, x, x, x, x, x, x, x]]]]]]\n" + "".join(
            f"b{i}: &b{i} [" + ", ".join(["*a" if i == 0 else f"*b{i - 1}"] * 8) + "]\n" for i in range(12)),
        "garbage.yaml": "".join(chr(c) for c in range(0x20, 0x3000) if chr(c).isprintable()) * 20,
    }
    for name, text in generated.items():
        if text is None:
            with open(root / name, "wb") as handle:
                handle.truncate(60 * 1024 * 1024)
        else:
            (root / name).write_text(text, encoding="utf-8")
        bad.add(name)
    (root / "loops").mkdir()
    (root / "loops" / "back").symlink_to("..")
    (root / "loops" / "self.yaml").symlink_to("self.yaml")
    (root / "loops" / "broken.yaml").symlink_to("nowhere.yaml")
    bad |= {"self.yaml", "broken.yaml"}
    good = root / "good"
    good.mkdir()
    (good / "vs-crlf-bom.yaml").write_bytes(("\ufeff" + GOOD_VS).replace("\n", "\r\n").encode())
    (good / "dr-utf16.yaml").write_bytes(GOOD_DR.encode("utf-16"))
    (good / "both.yaml").write_text(GOOD_VS + "---\n" + GOOD_DR)
    expected_good = {
        "vs-crlf-bom.yaml": [("schema-violation", 12, 9)],
        "dr-utf16.yaml": [("schema-violation", 10, 15)],
        "both.yaml": [("schema-violation", 12, 9), ("schema-violation", 23, 15)],
        "crlf-bom.yaml": [("schema-violation", 7, 3)], "lone-cr.yaml": [("schema-violation", 7, 3)],
        "nel-line-breaks.yaml": [("schema-violation", 7, 3)], "utf16.yaml": [("schema-violation", 7, 3)],
    }
    return bad, expected_good


def test_acceptance_one_run_over_a_hostile_directory(tmp_path):
    root = tmp_path / "hostile"
    bad, expected_good = _hostile_directory(root)
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1", NO_COLOR="1")
    result = subprocess.run([sys.executable, "-c", _MEASURED, "lint", "--format", "json", str(root)],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 1, result.stderr[-3000:]
    maxrss_kb = int(result.stderr.rsplit("MAXRSS_KB=", 1)[1].split()[0])
    assert maxrss_kb < 1024 * 1024, f"peak memory {maxrss_kb // 1024} MiB"
    findings = json.loads(result.stdout)["findings"]
    assert not [f for f in findings if f["name"] == "internal-error"]
    errors_by_file: dict[str, list[dict]] = {}
    for f in findings:
        if f["severity"] == "error" and (f["code"].startswith(INPUT_RULES) or f["name"] == "schema-violation"):
            errors_by_file.setdefault(Path(f["file"]).name, []).append(f)
    assert sorted(name for name in bad if name not in errors_by_file) == []
    clean = {name for name, (inputs, others, _) in EXPECTED.items() if not inputs and not others}
    assert sorted(clean & set(errors_by_file)) == []
    for name, expected in expected_good.items():
        # Other rules may have things to say about these files too (references, say): schema-violation
        # findings show that the lines are right.
        got = sorted((f["name"], f["line"], f["column"]) for f in findings
                     if Path(f["file"]).name == name and f["name"] == "schema-violation")
        assert got == sorted(expected), name
    by_name = {Path(f["file"]).name: f["message"] for f in findings}
    assert "over the 52,428,800-byte limit" in by_name["huge.yaml"]
    assert "aliases expand this document" in by_name["wide-alias.yaml"]
