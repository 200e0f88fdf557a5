"""Output formats: SARIF against the official schema, GitHub workflow commands parsed back, JUnit XML
parsed with ElementTree, GitLab Code Quality shape, and equal exit codes whatever the format."""

from __future__ import annotations

import io
import json
import re
from xml.etree import ElementTree as ET

import pytest

from istiolint.app import Options, run
from istiolint.finding import Finding, ResourceRef, Severity
from istiolint.reporters import REPORTER_BY_NAME, get_reporter

BROKEN = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: bookinfo
spec:
  hosts: [reviews]
  http:
  - route:
    - destinaton:
        host: reviews
    timeout: 5
  - route:
    - destination:
        host: reviews
---
just a string
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  host: ratings
"""
# (line, column, code) of every finding in BROKEN; IL301 (http[1] after a rule without match) is its warning
BROKEN_FINDINGS = [(10, 7, "IL102"), (12, 14, "IL102"), (13, 5, "IL301"), (17, 1, "IL003"), (25, 3, "IL002")]
# Only a warning: the second http rule can never be used (IL301 route-shadowed)
WARNING_ONLY = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts: [ratings]
  http:
  - route:
    - destination:
        host: ratings
  - route:
    - destination:
        host: ratings
"""
CLEAN = """\
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ratings
spec:
  host: ratings
"""
FORMATS = tuple(REPORTER_BY_NAME)
# Rules these tests rely on; others (added later) may fire on the same manifests too.
STABLE = ["IL002", "IL003", "IL102", "IL301"]


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A small repository: a broken file in a subdirectory and a clean one; cwd is its root."""
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "k8s" / "clean.yaml").write_text(CLEAN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return tmp_path


def lint_output(paths, **kwargs) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    kwargs.setdefault("select", STABLE)
    code = run(Options(paths=list(paths), progress=False, **kwargs), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), code


# --- SARIF -----------------------------------------------------------------------------------------

def test_sarif_is_valid_against_the_official_schema(tree, shared_dir):
    import jsonschema

    out, _, code = lint_output(["k8s"], format="sarif")
    document = json.loads(out)
    schema = json.loads((shared_dir / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(document)
    assert code == 1


def test_sarif_has_what_code_scanning_needs(tree):
    out, _, _ = lint_output(["k8s"], format="sarif")
    run_ = json.loads(out)["runs"][0]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "istiolint" and driver["version"] and driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    for rule in rules:
        assert re.fullmatch(r"IL\d{3}", rule["id"])
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert "## Why" in rule["help"]["markdown"] and rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert rule["helpUri"].startswith("https://")
    results = run_["results"]
    got = []
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": "k8s/broken.yaml", "uriBaseId": "%SRCROOT%"}
        got.append((location["region"]["startLine"], location["region"]["startColumn"], result["ruleId"]))
        assert result["message"]["text"]
        assert result["partialFingerprints"]["istiolint/v1"]
    assert got == BROKEN_FINDINGS
    assert [r["level"] for r in results] == ["error", "error", "warning", "error", "error"]
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tree.resolve().as_uri() + "/"
    assert run_["invocations"][0]["executionSuccessful"] is True


def test_sarif_fingerprints_survive_line_shifts_and_differ_between_findings(tree):
    first = json.loads(lint_output(["k8s"], format="sarif")[0])["runs"][0]["results"]
    path = tree / "k8s" / "broken.yaml"
    path.write_text("# a comment\n# and another\n\n" + BROKEN, encoding="utf-8")
    second = json.loads(lint_output(["k8s"], format="sarif")[0])["runs"][0]["results"]
    prints = [r["partialFingerprints"]["istiolint/v1"] for r in first]
    assert prints == [r["partialFingerprints"]["istiolint/v1"] for r in second]
    assert len(set(prints)) == len(prints)
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in second] == [13, 15, 16, 20, 28]


def test_sarif_reports_files_outside_the_root_as_absolute_uris(tree, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "x.yaml"
    outside.write_text(BROKEN, encoding="utf-8")
    out, _, _ = lint_output([str(outside)], format="sarif")
    location = json.loads(out)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": outside.resolve().as_uri()}


def test_sarif_records_run_errors_as_notifications(tree, shared_dir):
    import jsonschema

    out, _, code = lint_output(["k8s", "missing.yaml"], format="sarif")
    document = json.loads(out)
    schema = json.loads((shared_dir / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(document)
    invocation = document["runs"][0]["invocations"][0]
    assert code == 2 and invocation["executionSuccessful"] is False
    assert "missing.yaml" in invocation["toolExecutionNotifications"][0]["message"]["text"]


# --- GitHub ----------------------------------------------------------------------------------------

COMMAND_RE = re.compile(r"::(?P<command>error|warning|notice)(?: (?P<props>[^:]*))?::(?P<message>.*)")


def unescape(text: str) -> str:
    return (text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",")
            .replace("%25", "%"))


def parse_github(output: str) -> list[dict]:
    parsed = []
    for line in output.splitlines():
        match = COMMAND_RE.fullmatch(line)
        assert match, f"not a workflow command: {line!r}"
        props = dict(p.split("=", 1) for p in match["props"].split(",")) if match["props"] else {}
        parsed.append({"command": match["command"], **{k: unescape(v) for k, v in props.items()},
                       "message": unescape(match["message"])})
    return parsed


def test_github_commands_parse_back(tree):
    out, _, code = lint_output(["k8s"], format="github")
    parsed = parse_github(out)
    assert [(int(p["line"]), int(p["col"]), p["title"].split()[0]) for p in parsed] == BROKEN_FINDINGS
    assert {p["file"] for p in parsed} == {"k8s/broken.yaml"}
    assert [p["command"] for p in parsed] == ["error", "error", "warning", "error", "error"]
    assert parsed[0]["title"] == "IL102 schema-violation"
    assert parsed[0]["message"].endswith("[VirtualService bookinfo/reviews]")
    assert code == 1


def test_github_escapes_data_and_properties(tree):
    from istiolint.app import Report
    from istiolint.catalog import load_catalog

    finding = Finding("IL102", "schema-violation", Severity.INFO, "100% wrong:\r\nsecond, line", "a,b:c%.yaml", 3, 4,
                      ResourceRef("v1", "Service", "ns", "name"))
    report = Report([finding], 1, 1, {}, load_catalog(), root=str(tree))
    stream = io.StringIO()
    get_reporter("github")(report, stream)
    line = stream.getvalue().rstrip("\n")
    assert "\n" not in line and "\r" not in line
    assert line.startswith("::notice file=a%2Cb%3Ac%25.yaml,line=3,col=4,title=IL102 schema-violation::")
    [parsed] = parse_github(line)
    assert parsed["file"] == "a,b:c%.yaml"
    # one-line messages: whitespace runs (including the CR LF) collapse before escaping
    assert parsed["message"] == "100% wrong: second, line [Service ns/name]"


def test_github_is_chosen_under_github_actions_when_no_format_is_given(tree, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    out, _, _ = lint_output(["k8s"], format=None)
    assert out.startswith("::error file=k8s/broken.yaml,line=10,col=7,")
    out, _, _ = lint_output(["k8s"], format="json")  # an explicit format wins
    assert json.loads(out)["findings"]
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    out, _, _ = lint_output(["k8s"], format=None)
    assert out.startswith("k8s/broken.yaml\n")


# --- GitLab ----------------------------------------------------------------------------------------

def test_gitlab_code_quality_shape(tree):
    out, _, _ = lint_output(["k8s"], format="gitlab")
    issues = json.loads(out)
    assert [(i["location"]["lines"]["begin"], i["check_name"]) for i in issues] == [(l, c) for l, _, c in BROKEN_FINDINGS]
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert issue["location"]["path"] == "k8s/broken.yaml"
        assert isinstance(issue["description"], str) and issue["description"]
    assert [i["severity"] for i in issues] == ["major", "major", "minor", "major", "major"]
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_gitlab_fingerprints_are_unique_for_identical_problems(tree):
    # The same resource twice: identical findings except for their line.
    twice = CLEAN.replace("host: ratings", "host: ratings\n  hots: x") + "---\n" + CLEAN.replace("host: ratings", "host: ratings\n  hots: x")
    (tree / "k8s" / "clean.yaml").write_text(twice, encoding="utf-8")
    issues = json.loads(lint_output(["k8s/clean.yaml"], format="gitlab")[0])
    assert len(issues) == 2 and issues[0]["fingerprint"] != issues[1]["fingerprint"]
    assert issues[1]["fingerprint"] == issues[0]["fingerprint"] + ":2"


# --- JUnit -----------------------------------------------------------------------------------------

def test_junit_parses_with_unique_cases_and_a_passing_case_per_clean_file(tree):
    out, _, _ = lint_output(["k8s"], format="junit")
    root = ET.fromstring(out.encode("utf-8"))
    assert root.tag == "testsuites"
    cases = root.findall("./testsuite/testcase")
    keys = [(c.get("classname"), c.get("name")) for c in cases]
    assert len(keys) == len(set(keys))
    failing = [c for c in cases if c.find("failure") is not None]
    assert [f.find("failure").text.split(" ", 2)[:2] for f in failing] == [
        [f"k8s/broken.yaml:{line}:{col}", f"[{code}]"] for line, col, code in BROKEN_FINDINGS]
    assert failing[0].find("failure").text == (
        'k8s/broken.yaml:10:7 [IL102] unknown field "destinaton" in spec.http[0].route[0]; '
        'did you mean "destination"?')
    passing = [c for c in cases if c.find("failure") is None]
    assert [(c.get("classname"), c.get("name")) for c in passing] == [("k8s/clean.yaml", "no findings")]
    assert root.get("tests") == "6" and root.get("failures") == "5"
    for suite in root.findall("testsuite"):
        assert int(suite.get("tests")) == len(suite.findall("testcase"))


def test_junit_survives_control_characters_and_duplicate_positions(tree):
    from istiolint.app import Report
    from istiolint.catalog import load_catalog

    findings = [Finding("IL001", "yaml-syntax", Severity.ERROR, f"bad \x00\x1b byte {i}", "k8s/x.yaml", 1, 1)
                for i in range(2)]
    report = Report(findings, 1, 0, {}, load_catalog(), linted=["k8s/x.yaml"], root=str(tree),
                    errors=["nope.yaml: no such file or directory"])
    stream = io.StringIO()
    get_reporter("junit")(report, stream)
    root = ET.fromstring(stream.getvalue().encode("utf-8"))
    names = [c.get("name") for c in root.iter("testcase")]
    assert names == ["IL001 yaml-syntax at 1:1", "IL001 yaml-syntax at 1:1 (2)", "run error 1"]
    assert root.find(".//error").get("message") == "nope.yaml: no such file or directory"


# --- every format ----------------------------------------------------------------------------------

@pytest.mark.parametrize("case, expected", [("clean", 0), ("warnings", 0), ("errors", 1), ("missing", 2)])
def test_exit_codes_are_equal_across_formats(tree, case, expected):
    (tree / "warn.yaml").write_text(WARNING_ONLY, encoding="utf-8")
    paths = {"clean": ["k8s/clean.yaml"], "warnings": ["warn.yaml"], "errors": ["k8s"],
             "missing": ["k8s", "nothing-here.yaml"]}[case]
    codes = {fmt: lint_output(paths, format=fmt)[2] for fmt in FORMATS}
    assert set(codes.values()) == {expected}, codes
    codes = {fmt: lint_output(paths, format=fmt, fail_on=Severity.WARNING)[2] for fmt in FORMATS}
    assert set(codes.values()) == {1 if case == "warnings" else expected}, codes  # now the warning fails the run


@pytest.mark.parametrize("fmt", ["json", "sarif", "gitlab"])
def test_machine_formats_keep_stdout_pure(tree, fmt):
    out, err, _ = lint_output(["k8s", "nothing-here.yaml"], format=fmt)
    json.loads(out)  # the whole of stdout is one document
    assert "nothing-here.yaml" in err


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_file_gets_the_report_and_stdout_stays_empty(tree, fmt):
    out, _, code = lint_output(["k8s"], format=fmt, output="report.out")
    assert out == "" and code == 1
    assert (tree / "report.out").read_text(encoding="utf-8").strip()


def test_statistics_count_per_rule(tree):
    out, _, code = lint_output(["k8s"], statistics=True)
    assert out.splitlines() == [
        "2  IL102  schema-violation             error",
        "1  IL002  duplicate-key                error",
        "1  IL003  not-a-resource               error",
        "1  IL301  route-shadowed               warning",
    ]
    assert code == 1
    rows = json.loads(lint_output(["k8s"], statistics=True, format="json")[0])
    assert rows[0] == {"code": "IL102", "name": "schema-violation", "count": 2, "severity": "error"}


def test_no_progress_bar_and_no_rich_without_a_terminal(tree):
    import subprocess
    import sys

    code = ("import sys, istiolint.cli as c\n"
            "sys.argv=['istiolint','lint','--format','sarif','--isolated','k8s']\n"
            "try:\n c.main()\nexcept SystemExit: pass\n"
            "print('RICH' if any(m.startswith('rich') for m in sys.modules) else 'NORICH', file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tree)
    assert done.stderr.strip().endswith("NORICH")
    json.loads(done.stdout)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_appears_on_long_runs_on_a_terminal_only(tree, monkeypatch):
    from istiolint import app

    monkeypatch.delenv("CI", raising=False)
    assert app._progress_for(Options(paths=[]), io.StringIO()) is None  # not a terminal
    assert app._progress_for(Options(paths=[], quiet=True), Terminal()) is None
    monkeypatch.setattr(app, "PROGRESS_MIN_FILES", 2)
    out, err = io.StringIO(), Terminal()
    run(Options(paths=["k8s"], format="json", select=STABLE), stdout=out, stderr=err)
    json.loads(out.getvalue())  # stdout untouched
    assert "2/2" in err.getvalue()
    monkeypatch.setattr(app, "PROGRESS_MIN_FILES", 3)  # a short run: no bar at all
    err = Terminal()
    run(Options(paths=["k8s"], format="json", select=STABLE), stdout=io.StringIO(), stderr=err)
    assert err.getvalue() == ""
