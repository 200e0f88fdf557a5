"""Istio's own analyzer test suite, run through istiolint (the "peer harness").

``tests/peer/istio_analyzers_expected.json`` holds the facts of Istio's ``testGrid``: for each case the
input files (``../shared/peer/istio-analyzers/``), the one analyzer it runs, and the messages istioctl
expects as (IST code, Kind, namespace, name). Each case's files are linted together with every rule that
claims an Istio code, and our findings are mapped to IST codes through the catalog's ``istio_codes``.

Istio's tests assume the files are the whole cluster, which is what ``--strict-references`` declares;
the asserted numbers are in that mode. The default (open-world) mode must not add false positives either
and its recall is printed for information.

Per IST code that some catalog entry claims: recall = expected messages we report (same code, kind,
namespace, name; counted with multiplicity), false positives = findings of that code, on a case whose
analyzer can report the code, that Istio does not expect. A finding of a rule that claims several codes
counts once, under a code Istio expects for that resource when there is one. Each Istio case runs a single analyzer, so a
finding is compared only with cases running an analyzer its rule mirrors (``MIRRORS``; rules not listed
there are compared on every case whose analyzer reports their code).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest

from istiolint.catalog import load_catalog

from .conftest import ROOT, SHARED, lint_paths, wrap_mesh_config

EXPECTED_FILE = ROOT / "tests" / "peer" / "istio_analyzers_expected.json"
# Differences from istioctl that we made on purpose, each with the reason (a miss we judge to be an
# istioctl false alarm or a finding we phrase differently; an extra finding istioctl misses). They are
# excused from the assertions but still shown in the printed table.
JUDGED_FILE = ROOT / "tests" / "peer" / "judged_differences.json"
PEER_DIR = SHARED / "peer" / "istio-analyzers"
DEFAULT_NAMESPACE = "default"  # what the Istio harness gives resources that name none

# Codes whose rules are complete: every expected message must be found, with no false positive.
COMPLETE_CODES = frozenset(("IST0101", "IST0112", "IST0127", "IST0173", "IST0174"))
TARGET_RECALL = 0.95  # any other claimed code

# Our rule → the istioctl analyzers it mirrors.
MIRRORS = {
    "destination-host-not-found": {"virtualservice.DestinationHostAnalyzer"},
    "destination-port-not-found": {"virtualservice.DestinationHostAnalyzer"},
    "destination-port-required": {"virtualservice.DestinationHostAnalyzer"},
    "destination-subset-not-found": {"virtualservice.DestinationRuleAnalyzer"},
    "destination-rule-host-not-found": {"destinationrule.PodNotSelectedAnalyzer"},
    "subset-selects-no-pods": {"destinationrule.PodNotSelectedAnalyzer"},
    "workload-selector-matches-nothing": {"gateway.IngressGatewayPortAnalyzer", "gateway.SecretAnalyzer",
                                          "sidecar.SelectorAnalyzer", "telemetry.SelectorAnalyzer"},
    "policy-selector-matches-nothing": {"authz.AuthorizationPoliciesAnalyzer"},
    "gateway-credential-not-found": {"gateway.SecretAnalyzer"},
    "authz-namespace-not-found": {"authz.AuthorizationPoliciesAnalyzer"},
    "vs-gateway-not-found": {"virtualservice.GatewayAnalyzer"},
}

DATA = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
JUDGED = json.loads(JUDGED_FILE.read_text(encoding="utf-8")) if JUDGED_FILE.exists() else []
JUDGED_KEYS = {(j["case"], j["code"], j["resource"], j["difference"]) for j in JUDGED}
CATALOG = load_catalog()
CLAIMED: dict[str, set[str]] = {}  # IST code -> names of the rules claiming it
for _entry in CATALOG.entries:
    for _code in _entry.istio_codes:
        CLAIMED.setdefault(_code, set()).add(_entry.name)
ISTIO_CODES_OF = {e.name: set(e.istio_codes) for e in CATALOG.entries}
EXPECTED_CODES = {m["code"] for case in DATA["cases"] for m in case["expected"]}
MEASURED = sorted(set(CLAIMED) & EXPECTED_CODES)


def analyzer_codes() -> dict[str, set[str]]:
    """Codes each Istio analyzer reports somewhere in the grid."""
    out: dict[str, set[str]] = {}
    for case in DATA["cases"]:
        out.setdefault(case["analyzer"], set()).update(m["code"] for m in case["expected"])
    return out


def key(code: str, kind: str, namespace: str | None, name: str) -> tuple:
    return code, kind, namespace or DEFAULT_NAMESPACE, name


def comparable_codes(rule: str, analyzer: str, reported: set[str]) -> set[str]:
    """The IST codes under which a finding of ``rule`` counts in a case running ``analyzer``."""
    mirrors = MIRRORS.get(rule)
    if mirrors is not None and analyzer not in mirrors:
        return set()
    return ISTIO_CODES_OF.get(rule, set()) & reported


@lru_cache(maxsize=None)
def run(strict: bool) -> dict:
    """Per code: expected/found counts, misses and false positives over the whole grid."""
    select = sorted({e.code for e in CATALOG.entries if e.istio_codes})
    reported_by = analyzer_codes()
    stats: dict[str, dict] = {}

    def stat(code: str) -> dict:
        return stats.setdefault(code, {"expected": 0, "found": 0, "misses": [], "false_positives": [],
                                       "excused": 0, "judged": []})

    def judged(case: str, k: tuple, difference: str) -> bool:
        return (case, k[0], f"{k[1]} {k[2]}/{k[3]}", difference) in JUDGED_KEYS

    scratch = Path(tempfile.mkdtemp(prefix="istiolint-peer-"))
    for n, case in enumerate(DATA["cases"]):
        paths = [PEER_DIR / f for f in case["files"]]
        if case.get("mesh_config"):
            # Istio's harness passes mesh config as a file; a cluster (and istiolint) reads it from the
            # ``istio`` ConfigMap.
            mesh = scratch / f"mesh-{n}.yaml"
            mesh.write_text(wrap_mesh_config((PEER_DIR / case["mesh_config"]).read_text(encoding="utf-8")))
            paths.append(mesh)
        report, _ = lint_paths(paths, select=select, strict_references=strict)
        reported = reported_by.get(case["analyzer"], set())
        expected = Counter(key(m["code"], m["kind"], m["namespace"], m["name"]) for m in case["expected"])
        ours: Counter = Counter()
        messages: dict[tuple, str] = {}
        # A finding of a rule claiming several codes counts once, under a code still expected for its
        # resource when there is one (single-code findings are placed first).
        candidates = []
        for f in report.findings:
            codes = sorted(comparable_codes(f.name, case["analyzer"], reported)) if f.resource else []
            if codes:
                candidates.append((len(codes), codes, f))
        for _, codes, f in sorted(candidates, key=lambda c: c[0]):
            keys = [key(code, f.resource.kind, f.resource.namespace, f.resource.name) for code in codes]
            k = next((k for k in keys if ours[k] < expected[k]), keys[0])
            ours[k] += 1
            messages.setdefault(k, f"{f.code} {Path(f.file).name}:{f.line}: {f.message}")
        for k, n in expected.items():
            s = stat(k[0])
            s["expected"] += n
            s["found"] += min(n, ours[k])
            if ours[k] < n:
                if judged(case["name"], k, "miss"):
                    s["excused"] += n - ours[k]
                    s["judged"].append(f"miss {case['name']}: {k[1]} {k[2]}/{k[3]}")
                else:
                    s["misses"].append(f"{case['name']}: {k[1]} {k[2]}/{k[3]} ({n - ours[k]} of {n})")
        for k, n in ours.items():
            if n > expected[k]:
                if judged(case["name"], k, "extra"):
                    stat(k[0])["judged"].append(f"extra {case['name']}: {k[1]} {k[2]}/{k[3]}")
                else:
                    stat(k[0])["false_positives"].append(f"{case['name']}: {k[1]} {k[2]}/{k[3]}: {messages[k]}")
    return stats


def table() -> str:
    strict, default = run(True), run(False)
    lines = [f"{'code':8} {'expected':>8} {'found':>6} {'recall':>7} {'FP':>3} {'judged':>6} {'open-world found':>17}  rules"]
    for code in sorted(set(CLAIMED) & (EXPECTED_CODES | set(strict))):
        s = strict.get(code, {"expected": 0, "found": 0, "false_positives": [], "judged": []})
        d = default.get(code, {"found": 0})
        recall = f"{s['found'] / s['expected']:.0%}" if s["expected"] else "-"
        lines.append(f"{code:8} {s['expected']:8} {s['found']:6} {recall:>7} {len(s['false_positives']):3} "
                     f"{len(s['judged']):6} "
                     f"{d['found']:17}  {', '.join(sorted(CLAIMED[code]))}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def peer():
    if not PEER_DIR.is_dir():
        pytest.skip("../shared/peer/istio-analyzers is not present (a user's clone has none)")
    print("\nIstio analyzer test grid through istiolint (--strict-references; open world for comparison):")
    print(table())
    return run(True)


def test_judged_differences_are_explained():
    for j in JUDGED:
        assert set(j) == {"case", "code", "resource", "difference", "why"}, j
        assert j["difference"] in ("miss", "extra") and len(j["why"]) > 20, j
        assert any(case["name"] == j["case"] for case in DATA["cases"]), j


def test_expected_file_is_consistent():
    codes = DATA["message_codes"]
    for case in DATA["cases"]:
        assert case["files"] and case["analyzer"], case["name"]
        for m in case["expected"]:
            assert codes[m["message"]] == m["code"], m


@pytest.mark.parametrize("code", MEASURED)
def test_recall(peer, code):
    s = peer.get(code, {"expected": 0, "found": 0, "misses": []})
    target = 1.0 if code in COMPLETE_CODES else TARGET_RECALL
    # Misses judged on purpose (tests/peer/judged_differences.json) leave the denominator.
    assert s["found"] >= target * (s["expected"] - s.get("excused", 0)), (
        f"{code}: {s['found']}/{s['expected']} expected messages found; missed:\n" + "\n".join(s["misses"]))


@pytest.mark.parametrize("code", sorted(CLAIMED))
def test_no_false_positives(peer, code):
    for strict in (True, False):
        fps = run(strict).get(code, {}).get("false_positives", [])
        mode = "strict" if strict else "open-world"
        assert not fps, f"{code} ({mode}): findings Istio does not expect:\n" + "\n".join(fps)
