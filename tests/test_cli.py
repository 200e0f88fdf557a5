"""The command line: formats, shell completion, the pre-commit hooks file and the README's copy-paste
integration snippets (parsed, and their istiolint commands run)."""

from __future__ import annotations

import json
import re
import shlex
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from istiolint.catalog import load_catalog
from istiolint.cli import FORMATS, main
from istiolint.config import load_config
from istiolint.loader import load_text
from istiolint.reporters import REPORTER_BY_NAME

from .conftest import ROOT
from .test_formats import BROKEN, CLEAN, STABLE

README = (ROOT / "README.md").read_text(encoding="utf-8")


def yaml_blocks() -> dict[str, object]:
    """README's YAML snippets by the file name in their first comment line."""
    blocks = {}
    for body in re.findall(r"```yaml\n(.*?)```", README, re.DOTALL):
        first = body.splitlines()[0]
        assert first.startswith("# "), f"a YAML snippet should say which file it is: {first!r}"
        source = load_text(body, first)
        assert not source.problems, source.problems
        blocks[first[2:].strip()] = source.documents[0].data
    return blocks


def hooks() -> list[dict]:
    source = load_text((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"), ".pre-commit-hooks.yaml")
    assert not source.problems
    return source.documents[0].data


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "k8s" / "clean.yaml").write_text(CLEAN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return tmp_path


def test_every_reporter_is_a_cli_format():
    assert set(FORMATS) == set(REPORTER_BY_NAME)
    result = CliRunner().invoke(main, ["lint", "--help"])
    for name in FORMATS:
        assert name in result.output


def test_usage_errors_exit_2(project):
    runner = CliRunner()
    for args in (["lint"], ["lint", "--format", "xml", "k8s"], ["lint", "--statistics", "--format", "sarif", "k8s"],
                 ["lint", "--config", "a.yaml", "--isolated", "k8s"], ["lint", "--select", "IL9999", "k8s"]):
        assert runner.invoke(main, args).exit_code == 2, args


def test_exit_zero_and_fail_on(project):
    runner = CliRunner()
    base = ["lint", "--isolated", "--select", ",".join(STABLE)]
    assert runner.invoke(main, [*base, "k8s"]).exit_code == 1
    assert runner.invoke(main, [*base, "--exit-zero", "k8s"]).exit_code == 0
    errors = "IL002,IL003,IL102"  # what is left is IL301, a warning
    assert runner.invoke(main, [*base, "--ignore", errors, "k8s"]).exit_code == 0
    assert runner.invoke(main, [*base, "--ignore", errors, "--fail-on", "warning", "k8s"]).exit_code == 1


# --- shell completion ------------------------------------------------------------------------------

def test_bash_completion_script():
    result = CliRunner().invoke(main, [], prog_name="istiolint", env={"_ISTIOLINT_COMPLETE": "bash_source"})
    assert result.exit_code == 0
    assert "_istiolint_completion" in result.output and "complete " in result.output


def complete(words: str) -> list[str]:
    env = {"_ISTIOLINT_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
    result = CliRunner().invoke(main, [], prog_name="istiolint", env=env)
    return [line.split(",", 1)[1] for line in result.output.splitlines()]


def test_completion_of_options_formats_and_rules():
    assert "--format" in complete("istiolint lint --for")
    assert complete("istiolint lint --format s") == ["sarif"]
    codes = [e.code for e in load_catalog().entries if e.code.startswith("IL00")]
    assert complete("istiolint explain IL00") == codes
    assert complete("istiolint lint --ignore IL001,duplicate-k") == ["IL001,duplicate-key"]


# --- pre-commit hooks file -------------------------------------------------------------------------

def test_pre_commit_hooks_file():
    by_id = {hook["id"]: hook for hook in hooks()}
    assert set(by_id) == {"istiolint", "istiolint-all"}
    changed, everything = by_id["istiolint"], by_id["istiolint-all"]
    assert changed["entry"] == "istiolint lint --context ." and changed["pass_filenames"] is True
    assert changed["language"] == everything["language"] == "python"
    pattern = re.compile(changed["files"])
    assert [bool(pattern.search(f)) for f in ("a.yaml", "b/c.yml", "d.json", "e.py", "yaml.txt")] == [
        True, True, True, False, False]
    assert everything["entry"] == "istiolint lint ." and everything["pass_filenames"] is False


# --- README snippets -------------------------------------------------------------------------------

def test_readme_pre_commit_snippet_names_existing_hooks():
    config = yaml_blocks()[".pre-commit-config.yaml"]
    ids = {hook["id"] for hook in hooks()}
    [repo] = config["repos"]
    assert repo["rev"] and repo["repo"].startswith("https://")
    assert {hook["id"] for hook in repo["hooks"]} <= ids


def test_readme_configuration_example_is_valid():
    blocks = re.findall(r"```yaml\n(# \.istiolint\.yaml\n.*?)```", README, re.DOTALL)
    assert blocks
    path = ROOT / "tests" / "_readme_config.tmp.yaml"
    try:
        path.write_text(blocks[0], encoding="utf-8")
        config = load_config(path, load_catalog())
    finally:
        path.unlink(missing_ok=True)
    assert config.fail_on is not None and config.per_file_ignores and config.exclude


def run_snippet_command(line: str) -> tuple[list[str], int]:
    args = shlex.split(line)
    assert args[0] == "istiolint"
    result = CliRunner().invoke(main, args[1:])
    return args, result.exit_code


def test_readme_github_actions_snippet(project, shared_dir):
    import jsonschema

    workflow = yaml_blocks()[".github/workflows/istiolint.yml"]
    assert workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["istiolint"]["steps"]
    upload = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert len(upload) == 1
    commands = [s["run"] for s in steps if s.get("run", "").startswith("istiolint ")]
    assert len(commands) == 2
    codes = [run_snippet_command(c)[1] for c in commands]
    assert codes == [1, 0]  # the annotation step fails the job on errors; the SARIF step does not
    sarif = json.loads((project / upload[0]["with"]["sarif_file"]).read_text(encoding="utf-8"))
    schema = json.loads((shared_dir / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(sarif)


def test_readme_gitlab_snippet(project):
    job = yaml_blocks()[".gitlab-ci.yml"]["istiolint"]
    commands = [c for c in job["script"] if c.startswith("istiolint ")]
    for command in commands:
        run_snippet_command(command)
    reports = job["artifacts"]["reports"]
    assert job["artifacts"]["when"] == "always"  # reports are wanted most when the job fails
    quality = json.loads((project / reports["codequality"]).read_text(encoding="utf-8"))
    assert quality and all({"description", "check_name", "fingerprint", "severity", "location"} <= set(i) for i in quality)
    ET.parse(project / reports["junit"])


def test_readme_documents_every_lint_option():
    result = CliRunner().invoke(main, ["lint", "--help"])
    options = set(re.findall(r"(--[a-z][a-z-]+)", result.output)) - {"--help"}
    documented = set(re.findall(r"`[^`]*?(--[a-z][a-z-]+)", README))
    documented |= {f"--{w}" for o in list(documented) if o.startswith("--no-") for w in [o[5:]]}
    missing = sorted(o for o in options if o not in documented and o.replace("--no-", "--") not in documented)
    assert missing == []
