"""Configuration files: discovery, every key with an exact finding set, CLI precedence, usage errors."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from istiolint.app import Options, analyze
from istiolint.catalog import load_catalog
from istiolint.cli import main
from istiolint.config import ConfigError, find_config, glob_match, load_config
from istiolint.finding import Severity

from .test_formats import BROKEN, CLEAN, STABLE

CATALOG = load_catalog()


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / "k8s" / "legacy").mkdir(parents=True)
    (tmp_path / "k8s" / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "k8s" / "legacy" / "old.yaml").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "k8s" / "clean.yaml").write_text(CLEAN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def found(config_text: str | None, repo, paths=("k8s",), **kwargs) -> tuple[list[tuple], int]:
    """(file, line, code, severity) of every finding, and the exit code, with this .istiolint.yaml."""
    if config_text is not None:
        (repo / ".istiolint.yaml").write_text(config_text, encoding="utf-8")
    report, code, messages = analyze(Options(paths=list(paths), find_config=True, **kwargs))
    assert report is not None, messages
    # Only the rules these tests are about: rules added later may fire on the same manifests.
    return [(f.file, f.line, f.code, f.severity.label) for f in report.findings if f.code in STABLE], code


BROKEN_AT = [(10, "IL102", "error"), (12, "IL102", "error"), (13, "IL301", "warning"), (17, "IL003", "error"),
             (25, "IL002", "error")]


def at(file: str, rows=BROKEN_AT) -> list[tuple]:
    return [(file, line, code, level) for line, code, level in rows]


ALL = at("k8s/broken.yaml") + at("k8s/legacy/old.yaml")


def test_without_a_file_every_rule_runs(repo):
    assert found(None, repo) == (ALL, 1)


def test_select_and_ignore_by_code_name_and_prefix(repo):
    assert found("select: [IL1]\n", repo)[0] == [r for r in ALL if r[2] == "IL102"]
    assert found("select: [duplicate-key, not-a-resource]\n", repo)[0] == [r for r in ALL if r[2] in ("IL002", "IL003")]
    assert found("ignore: IL0\n", repo)[0] == [r for r in ALL if r[2] in ("IL102", "IL301")]
    assert found("select: [IL0]\nignore: [not-a-resource]\n", repo)[0] == [r for r in ALL if r[2] == "IL002"]


def test_severity_per_rule_and_fail_on(repo):
    # no error is left: only fail-on makes the run fail
    rows, code = found("severity:\n  schema-violation: warning\n  IL002: info\n  not-a-resource: info\n"
                       "fail-on: warning\n", repo, paths=["k8s/broken.yaml"])
    assert rows == at("k8s/broken.yaml", [(10, "IL102", "warning"), (12, "IL102", "warning"),
                                          (13, "IL301", "warning"), (17, "IL003", "info"), (25, "IL002", "info")])
    assert code == 1
    rows, code = found("select: [IL0, IL1]\nseverity:\n  IL0: info\n  IL1: info\n", repo, paths=["k8s/broken.yaml"])
    assert {r[3] for r in rows} == {"info"} and code == 0


def test_per_file_ignores_and_exclude(repo):
    rows, _ = found('per-file-ignores:\n  "k8s/legacy/**": [IL1, duplicate-key]\n  "*.yml": [IL0]\n', repo)
    assert rows == at("k8s/broken.yaml") + at("k8s/legacy/old.yaml", [(13, "IL301", "warning"), (17, "IL003", "error")])
    rows, _ = found("exclude: [k8s/legacy/]\n", repo)
    assert rows == at("k8s/broken.yaml")
    rows, _ = found("exclude: ['broken.*']\n", repo)  # no slash: a name at any depth
    assert rows == at("k8s/legacy/old.yaml")
    report, _, _ = analyze(Options(paths=["k8s"], find_config=True))
    assert report.linted == ["k8s/clean.yaml", "k8s/legacy/old.yaml"]


def test_exclude_on_the_command_line_is_relative_to_the_working_directory(repo):
    rows, _ = found(None, repo, exclude=["k8s/legacy/**"])
    assert rows == at("k8s/broken.yaml")


def test_namespace_and_cluster_domain_and_strict_references(repo):
    (repo / ".istiolint.yaml").write_text(
        "namespace: prod\ncluster-domain: example.internal\nstrict-references: true\n", encoding="utf-8")
    options, _config = resolve(Options(paths=["k8s"], find_config=True))
    assert (options.namespace, options.cluster_domain, options.strict_references) == ("prod", "example.internal", True)
    report, _, _ = analyze(Options(paths=["k8s/broken.yaml"], find_config=True))
    # the DestinationRule names no namespace: it lands in the configured one
    assert str(report.findings[-1].resource) == "DestinationRule prod/reviews"


def resolve(options):
    from istiolint.app import resolve_options

    return resolve_options(options, CATALOG)


def test_command_line_flags_override_the_file(repo):
    (repo / ".istiolint.yaml").write_text(
        "select: [IL0]\nignore: [IL003]\nfail-on: info\nnamespace: prod\nstrict-references: true\n", encoding="utf-8")
    options, _ = resolve(Options(paths=["k8s"], find_config=True, fail_on=Severity.ERROR, namespace="dev",
                                 strict_references=False))
    assert (options.fail_on, options.namespace, options.strict_references) == (Severity.ERROR, "dev", False)
    rows, _ = found(None, repo, select=["IL102"])  # --select starts afresh: the file's select/ignore go
    assert rows == [r for r in ALL if r[2] == "IL102"]
    rows, _ = found(None, repo, ignore=["IL002"])  # --ignore removes more from the file's selection
    assert rows == []


def test_the_nearest_file_wins_walking_up(repo, monkeypatch):
    (repo / ".istiolint.yaml").write_text("select: [IL1]\n", encoding="utf-8")
    deeper = repo / "k8s" / "legacy"
    (deeper / "pyproject.toml").write_text('[tool.istiolint]\nselect = ["IL002"]\n', encoding="utf-8")
    assert find_config(deeper) == deeper / "pyproject.toml"
    assert find_config(repo / "k8s") == repo / ".istiolint.yaml"
    (deeper / "pyproject.toml").write_text('[tool.black]\nline-length = 100\n', encoding="utf-8")
    assert find_config(deeper) == repo / ".istiolint.yaml"  # a pyproject without our table is skipped
    (deeper / "pyproject.toml").write_text('[tool.black\nline-length = 100\n', encoding="utf-8")
    assert find_config(deeper) == repo / ".istiolint.yaml"  # not ours to judge: never parsed
    (deeper / "pyproject.toml").write_text('[tool.istiolint\nselect = ["IL002"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="pyproject.toml: cannot read"):
        find_config(deeper)  # it names our table: a broken one is reported, not passed over
    (deeper / "pyproject.toml").write_text('[tool]\nistiolint = { select = ["IL002"] }\n', encoding="utf-8")
    assert find_config(deeper) == deeper / "pyproject.toml"
    (deeper / "pyproject.toml").write_text('[tool.istiolint]\nselect = ["IL002"]\n', encoding="utf-8")
    monkeypatch.chdir(deeper)
    report, _, _ = analyze(Options(paths=["old.yaml"], find_config=True))
    assert [(f.line, f.code) for f in report.findings] == [(25, "IL002")]  # the nearest file's select


def test_pyproject_table_is_read_like_the_yaml_file(repo):
    (repo / "pyproject.toml").write_text(
        '[tool.istiolint]\nignore = ["IL1"]\nfail-on = "warning"\n[tool.istiolint.per-file-ignores]\n'
        '"**/legacy/*" = ["IL0"]\n', encoding="utf-8")
    rows, code = found(None, repo)
    # the legacy file ignores IL0 only: its IL301 stays
    legacy = at("k8s/legacy/old.yaml", [(13, "IL301", "warning")])
    assert rows == [r for r in at("k8s/broken.yaml") if r[2] != "IL102"] + legacy and code == 1


def test_explicit_config_file_and_isolated(repo):
    (repo / ".istiolint.yaml").write_text("select: [IL1]\n", encoding="utf-8")
    (repo / "other.yaml").write_text("select: [IL002]\n", encoding="utf-8")
    report, _, _ = analyze(Options(paths=["k8s/broken.yaml"], config="other.yaml"))
    assert [f.code for f in report.findings] == ["IL002"]
    report, _, _ = analyze(Options(paths=["k8s/broken.yaml"]))  # find_config=False: the API default
    assert len([f for f in report.findings if f.code in STABLE]) == 5


@pytest.mark.parametrize("text, message", [
    ("fial-on: warning\n", ".istiolint.yaml:1:1: unknown key 'fial-on'; did you mean 'fail-on'?"),
    ("select:\n- IL102\n- IL9999\n", ".istiolint.yaml:3:3: unknown rule 'IL9999' in select"),
    ("ignore: [schema-violaton]\n", "unknown rule 'schema-violaton' in ignore; did you mean 'schema-violation'?"),
    ("severity:\n  IL102: fatal\n", ".istiolint.yaml:2:3: IL102: unknown severity 'fatal'; use error, warning or info"),
    ("severity:\n  IL777: info\n", "unknown rule 'IL777' in severity"),
    ("per-file-ignores:\n  'a/*': [nope]\n", "unknown rule 'nope' in per-file-ignores"),
    ("strict-references: yes please\n", "strict-references: expected true or false"),
    ("exclude: 3\n", "exclude: expected a list of glob patterns"),
    ("fail-on: [error]\n", "fail-on: unknown severity"),
    ("- select\n", "a configuration file is one YAML mapping"),
    ("select: [IL1\n", ".istiolint.yaml:2:1:"),
])
def test_bad_configuration_is_a_usage_error_with_a_clear_message(repo, text, message):
    (repo / ".istiolint.yaml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["lint", "k8s"])
    assert result.exit_code == 2
    assert message in result.output
    with pytest.raises(ConfigError):
        load_config(repo / ".istiolint.yaml", CATALOG)


def test_cli_reads_the_configuration_and_isolated_skips_it(repo):
    (repo / ".istiolint.yaml").write_text("select: [IL301]\n", encoding="utf-8")  # a warning
    result = CliRunner().invoke(main, ["lint", "--format", "json", "k8s/broken.yaml"])
    assert result.exit_code == 0 and '"IL301"' in result.output and '"IL102"' not in result.output
    result = CliRunner().invoke(main, ["lint", "--isolated", "--format", "json", "k8s/broken.yaml"])
    assert result.exit_code == 1 and '"IL102"' in result.output  # every rule
    result = CliRunner().invoke(main, ["lint", "--config", "missing.yaml", "k8s"])
    assert result.exit_code == 2 and "missing.yaml: configuration file not found" in result.output


@pytest.mark.parametrize("path, pattern, expected", [
    ("k8s/legacy/old.yaml", "legacy/**", False),  # anchored: relative to the configuration's directory
    ("k8s/legacy/old.yaml", "k8s/legacy/**", True),
    ("k8s/legacy/old.yaml", "**/legacy/*.yaml", True),
    ("k8s/legacy/old.yaml", "legacy/", True),  # a directory name at any depth
    ("k8s/legacy/old.yaml", "*.yaml", True),
    ("k8s/legacy/old.yaml", "k8s/*.yaml", False),  # * stays inside a segment
    ("k8s/legacy/old.yaml", "k8s/", True),
    ("k8s/old.yml", "*.y?ml", False),
    ("k8s/old.yml", "*.[jy]ml", True),
])
def test_glob_semantics(path, pattern, expected):
    assert glob_match(path, pattern) is expected


def test_exclude_applies_to_files_named_explicitly(repo):
    # pre-commit passes file names: a chart template must stay excluded even then.
    (repo / "k8s" / "legacy" / "tpl.yaml").write_text("spec: {{ .Values.x }}\n", encoding="utf-8")
    (repo / ".istiolint.yaml").write_text("exclude: ['k8s/legacy/']\n", encoding="utf-8")
    report, code, _ = analyze(Options(paths=["k8s/legacy/tpl.yaml", "k8s/clean.yaml"], find_config=True,
                                      select=STABLE))
    assert report.linted == ["k8s/clean.yaml"] and code == 0
