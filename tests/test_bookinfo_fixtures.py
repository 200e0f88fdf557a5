"""The Bookinfo fixtures stay parseable, and EXPECTED.md stays in step with the planted mistakes."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
GOOD = FIXTURES / "bookinfo"
BROKEN = FIXTURES / "bookinfo-broken"
RULES = {
    "yaml-syntax", "duplicate-key", "unknown-resource", "schema-violation", "route-shadowed",
    "gateway-host-orphan", "gateway-port-protocol", "vs-gateway-not-found",
}
ROW = re.compile(r"^\| ([a-h]) \| (\S+\.yaml) \| (\d+) \| (\d+) \| ([a-z-]+) \| ([A-Za-z]+) ([a-z0-9-]+) \|")


def _load(path: Path) -> list:
    return [d for d in YAML(typ="safe").load_all(path.read_text(encoding="utf-8")) if d is not None]


def _expected() -> list[tuple[str, str, int, int, str, str, str]]:
    rows = []
    for line in (BROKEN / "EXPECTED.md").read_text(encoding="utf-8").splitlines():
        m = ROW.match(line)
        if m:
            letter, file, ln, col, rule, kind, name = m.groups()
            rows.append((letter, file, int(ln), int(col), rule, kind, name))
    return rows


@pytest.mark.parametrize("name", ["bookinfo.yaml", "gateway.yaml", "destination-rules.yaml", "virtual-services.yaml"])
def test_good_files_parse(name):
    assert _load(GOOD / name)


def test_good_bookinfo_is_consistent():
    docs = [d for f in sorted(GOOD.glob("*.yaml")) for d in _load(f)]
    versions = {}
    for d in docs:
        if d["kind"] == "Deployment":
            labels = d["spec"]["template"]["metadata"]["labels"]
            versions.setdefault(labels["app"], set()).add(labels["version"])
        if d["kind"] == "Service":
            assert d["spec"]["ports"] == [{"name": "http", "port": 9080, "targetPort": 9080}]
    assert versions == {"details": {"v1"}, "ratings": {"v1"}, "reviews": {"v1", "v2", "v3"}, "productpage": {"v1"}}
    subsets = {d["spec"]["host"]: {s["name"] for s in d["spec"]["subsets"]} for d in docs if d["kind"] == "DestinationRule"}
    assert subsets == versions
    for d in docs:
        if d["kind"] in ("VirtualService", "DestinationRule", "Gateway"):
            assert d["apiVersion"] == "networking.istio.io/v1"
        if d["kind"] == "VirtualService":
            for rule in d["spec"]["http"]:
                for route in rule["route"]:
                    dest = route["destination"]
                    assert dest["host"] in versions
                    assert dest.get("subset", "v1") in subsets[dest["host"]]


def test_broken_files_parse_except_the_duplicate_key():
    for name in ("bookinfo.yaml", "gateway.yaml", "virtual-services.yaml"):
        assert _load(BROKEN / name)
    with pytest.raises(DuplicateKeyError):
        _load(BROKEN / "destination-rules.yaml")


def test_expected_lists_every_planted_mistake_at_its_line():
    rows = _expected()
    assert [r[0] for r in rows] == list("abcdefgh")
    comments = sum(f.read_text(encoding="utf-8").count("# MISTAKE (") for f in BROKEN.glob("*.yaml"))
    assert comments == len(rows)
    for letter, file, line, col, rule, kind, name in rows:
        assert rule in RULES
        lines = (BROKEN / file).read_text(encoding="utf-8").splitlines()
        target = lines[line - 1]
        # the position is on a token, not on indentation or a comment
        assert col > 1 and target[col - 1] not in " #" and target[col - 2] in " -", (letter, target)
        # the `# MISTAKE (<rule>)` comment block sits right above that line
        above = line - 2
        while lines[above].lstrip().startswith("#") and "# MISTAKE (" not in lines[above]:
            above -= 1
        assert f"# MISTAKE ({rule})" in lines[above], (letter, lines[above])


def test_expected_resources_exist():
    rows = _expected()
    seen = set()
    for f in BROKEN.glob("*.yaml"):
        r = YAML()
        r.allow_duplicate_keys = True
        for d in r.load_all(f.read_text(encoding="utf-8")):
            if d:
                seen.add((f.name, d["kind"], d["metadata"]["name"]))
    for letter, file, _, _, _, kind, name in rows:
        assert (file, kind, name) in seen, letter


def test_clean_bookinfo_lints_clean():
    """The example a user starts from has nothing to report (productpage has one version, so the
    gateway route needs no subset and there is no mesh VirtualService for it to bypass)."""
    from .conftest import lint_paths

    report, code = lint_paths([GOOD])
    assert [(f.file, f.line, f.code) for f in report.findings] == [] and code == 0
    assert report.resources == 23
