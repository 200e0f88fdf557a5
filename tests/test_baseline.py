"""Baselines: record today's findings, then see only new ones — also after lines move."""

from __future__ import annotations

import io
import json

from click.testing import CliRunner

from istiolint.app import Options, analyze, run
from istiolint.cli import main

from .test_formats import BROKEN, CLEAN, STABLE

NEW_PROBLEM = """\
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ratings
spec:
  host: ratings
  trafficPolicy: 3
"""


def lint(paths, **kwargs):
    report, code, messages = analyze(Options(paths=paths, select=STABLE, **kwargs))
    assert report is not None, messages
    return [(f.file, f.line, f.code) for f in report.findings], report, code


def write(paths, baseline) -> tuple[int, str]:
    err = io.StringIO()
    code = run(Options(paths=paths, write_baseline=baseline, progress=False, select=STABLE), stdout=io.StringIO(),
               stderr=err)
    return code, err.getvalue()


def test_round_trip_with_a_line_shift_and_a_new_finding(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "k8s").mkdir()
    manifest = tmp_path / "k8s" / "a.yaml"
    manifest.write_text(BROKEN, encoding="utf-8")
    (tmp_path / "k8s" / "b.yaml").write_text(CLEAN, encoding="utf-8")

    code, message = write(["k8s"], "baseline.json")
    assert code == 0  # recording succeeds although there are errors
    assert message == "istiolint: recorded 5 findings in baseline.json\n"
    document = json.loads((tmp_path / "baseline.json").read_text(encoding="utf-8"))
    assert document["version"] == 1
    assert sorted((e["code"], e["count"]) for e in document["findings"]) == [
        ("IL002", 1), ("IL003", 1), ("IL102", 1), ("IL102", 1), ("IL301", 1)]
    assert "line" not in json.dumps(document["findings"][0]).replace("first at line", "")  # no positions stored

    got, report, code = lint(["k8s"], baseline="baseline.json")
    assert (got, code, report.baselined) == ([], 0, 5)

    # Insert lines at the top: every known finding moves, none is new.
    manifest.write_text("# owned by team reviews\n# see the runbook\n\n\n" + BROKEN, encoding="utf-8")
    got, _, code = lint(["k8s"], baseline="baseline.json")
    assert (got, code) == ([], 0)

    # A new problem is reported, the old ones stay silent.
    manifest.write_text("# owned by team reviews\n" + BROKEN + NEW_PROBLEM, encoding="utf-8")
    got, _, code = lint(["k8s"], baseline="baseline.json")
    assert (got, code) == ([("k8s/a.yaml", 34, "IL102")], 1)


def test_counts_a_second_copy_of_a_known_problem_as_new(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    twice = CLEAN.replace("host: ratings", "host: ratings\n  hots: x")
    (tmp_path / "a.yaml").write_text(twice, encoding="utf-8")
    assert write(["a.yaml"], "b.json")[0] == 0
    (tmp_path / "a.yaml").write_text(twice + "---\n" + twice, encoding="utf-8")
    got, _, _ = lint(["a.yaml"], baseline="b.json")
    assert got == [("a.yaml", 15, "IL102")]  # the copy; the original (line 7) is in the baseline


def test_fixed_findings_do_not_matter(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(BROKEN, encoding="utf-8")
    write(["a.yaml"], "b.json")
    (tmp_path / "a.yaml").write_text(CLEAN, encoding="utf-8")
    assert lint(["a.yaml"], baseline="b.json")[0] == []


def test_cli_write_then_use_and_bad_baselines(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(BROKEN, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["lint", "--isolated", "--select", ",".join(STABLE), "--write-baseline", "base.json", "a.yaml"])
    assert result.exit_code == 0 and result.stdout == ""
    result = runner.invoke(main, ["lint", "--isolated", "--select", ",".join(STABLE), "--baseline", "base.json", "a.yaml"])
    assert result.exit_code == 0 and "All clean: 1 file, 2 resources checked (5 in the baseline)." in result.output
    (tmp_path / "bad.json").write_text("{nope", encoding="utf-8")
    result = runner.invoke(main, ["lint", "--isolated", "--baseline", "bad.json", "a.yaml"])
    assert result.exit_code == 2 and "bad.json: not a baseline file" in result.output
    result = runner.invoke(main, ["lint", "--isolated", "--baseline", "missing.json", "a.yaml"])
    assert result.exit_code == 2 and "missing.json: cannot read baseline" in result.output
    result = runner.invoke(main, ["lint", "--baseline", "a.json", "--write-baseline", "b.json", "a.yaml"])
    assert result.exit_code == 2


def test_baseline_and_sarif_share_the_fingerprint(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(BROKEN, encoding="utf-8")
    write(["a.yaml"], "b.json")
    out = io.StringIO()
    run(Options(paths=["a.yaml"], format="sarif", progress=False, select=STABLE), stdout=out, stderr=io.StringIO())
    sarif = {r["partialFingerprints"]["istiolint/v1"] for r in json.loads(out.getvalue())["runs"][0]["results"]}
    baseline = {e["fingerprint"] for e in json.loads((tmp_path / "b.json").read_text())["findings"]}
    assert sarif == baseline
