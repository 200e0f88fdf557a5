"""Rules stay bounded on hostile inputs: many resources that all conflict with (or select, or shadow) one
another give one short finding each, never a list of every other resource (and never a report that
grows with the square of the input). Output bounds only -- never time.

The inputs come from ``tests/scaling_corpus.py`` (run it to write them at any size for profiling). The
indexes the rules use to stay linear (host, selector and match-entry indexes) are checked here against
the plain pairwise definitions they replace.
"""

from __future__ import annotations

import io
import json
import random
import re

import pytest

from istiolint.analysis.match_cover import http_match_covers
from istiolint.hosts import HostIndex, hosts_intersect
from istiolint.reporters import get_reporter
from istiolint.rules.conflicts.common import MAX_NAMED, MAX_RELATED
from istiolint.rules.routing.cover_index import CoverCandidates

from . import scaling_corpus as corpus
from .conftest import lint_text

N = 400  # resources per group: enough for the old pairwise output to blow every bound below


def run(tmp_path, docs, codes, **kwargs):
    report, _ = lint_text(corpus.to_yaml(docs), tmp_path, select=codes, **kwargs)
    stream = io.StringIO()
    get_reporter("json")(report, stream)
    return report, stream.getvalue()


def by_code(report) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in report.findings:
        out.setdefault(f.code, []).append(f)
    return out


def assert_bounded(report, text: str, max_message: int = 2500) -> None:
    """Every finding points at a few related locations and says the rest in a few words; the report
    is linear in the number of findings."""
    assert report.findings
    for f in report.findings:
        assert len(f.related) <= MAX_RELATED, (f.code, len(f.related))
        assert len(f.message) <= max_message, (f.code, len(f.message))
    assert len(text) <= 6000 * len(report.findings)  # a finding with five related locations: ~3.5 KB
    assert json.loads(text)["findings"]


def more(message: str) -> list[int]:
    return [int(n) for n in re.findall(r"and (\d+) more", message)]


# --------------------------------------------------------------------------- conflicts


def test_virtualservices_claiming_one_host(tmp_path):
    report, text = run(tmp_path, corpus.same_host_virtualservices(N), ["IL310"])
    assert_bounded(report, text)
    findings = by_code(report)["IL310"]
    assert len(findings) == N  # one per claimant
    for f in findings:
        assert len(f.related) == MAX_RELATED
        assert more(f.message) == [N - 1 - MAX_NAMED]  # every other claimant counted once
        assert f.resource.name not in f.message


def test_wildcard_and_concrete_hosts_overlapping(tmp_path):
    report, text = run(tmp_path, corpus.wildcard_overlap_virtualservices(N), ["IL310"])
    assert_bounded(report, text)
    findings = by_code(report)["IL310"]
    assert len(findings) == N
    half = N // 2
    for f in findings:  # the other claimants of its own host, then the other half overlapping it
        assert more(f.message) == [half - 1 - MAX_NAMED, half - MAX_NAMED]


def test_sidecars_and_telemetry_with_one_selector(tmp_path):
    report, text = run(tmp_path, corpus.same_selector_sidecars(N), ["IL520", "IL521"])
    assert_bounded(report, text)
    found = by_code(report)
    assert len(found["IL520"]) == len(found["IL521"]) == N
    assert all(more(f.message) == [N - 1 - MAX_NAMED] for f in found["IL520"] + found["IL521"])
    assert all("both select Deployment default/web" in f.message for f in found["IL520"])

    report, text = run(tmp_path, corpus.same_selector_telemetry(N), ["IL522", "IL523"])
    assert_bounded(report, text)
    found = by_code(report)
    assert len(found["IL522"]) == len(found["IL523"]) == N
    assert all("both select the workloads labelled app=web" in f.message for f in found["IL522"])


def test_gateways_on_one_selector_and_port(tmp_path):
    report, text = run(tmp_path, corpus.same_selector_gateways(N), ["IL230", "IL205", "IL206", "IL409"])
    assert_bounded(report, text)
    found = by_code(report)
    assert len(found["IL230"]) == N
    assert all(more(f.message) == [N - 1 - MAX_NAMED] for f in found["IL230"])
    assert len(found["IL205"]) <= 2 * N


def test_serviceentries_declaring_one_host(tmp_path):
    report, text = run(tmp_path, corpus.same_host_serviceentries(N), ["IL420"])
    assert_bounded(report, text)
    findings = by_code(report)["IL420"]
    assert len(findings) == N
    assert all(more(f.message) == [N // 2 - MAX_NAMED] for f in findings)  # those of the other protocol


def test_gateway_routes_bypassing_many_subset_routes(tmp_path):
    report, text = run(tmp_path, corpus.gateway_routes_bypassing_subsets(N), ["IL311", "IL310"])
    assert_bounded(report, text)
    found = by_code(report)
    assert len(found["IL311"]) == 2 * N  # every gateway route, every subset-routing VirtualService
    assert len(found["IL310"]) == N
    for f in found["IL311"]:
        assert more(f.message) in ([N - MAX_NAMED], [N - MAX_NAMED, N - MAX_NAMED])


def test_services_in_front_of_many_workloads(tmp_path):
    report, text = run(tmp_path, corpus.services_with_subsets(N), ["IL524", "IL525", "IL406"])
    assert_bounded(report, text)
    found = by_code(report)
    assert len(found["IL524"]) == 2 * N + 1  # each workload, its own Service, and the catch-all one
    (catch_all,) = [f for f in found["IL524"] if f.resource.name == "all"]
    assert more(catch_all.message) == [N - MAX_NAMED]
    assert len(found["IL406"]) == 1


def test_many_services_in_front_of_one_workload(tmp_path):
    report, text = run(tmp_path, corpus.same_port_services(N), ["IL524", "IL525"])
    assert_bounded(report, text)
    found = by_code(report)
    assert len(found["IL525"]) == N + 1  # every Service shares no number with some other, and the workload
    assert len(found["IL524"]) == N // 2 + 1  # the Services declaring port 80, and the workload


# --------------------------------------------------------------------------- references and gateways


def test_selectors_matching_nothing(tmp_path):
    report, text = run(tmp_path, corpus.selectors_matching_nothing(N), ["IL407", "IL408"])
    assert_bounded(report, text)
    found = by_code(report)
    assert len(found["IL407"]) == len(found["IL408"]) == N
    assert all("workloads there have app: app-00000, app-00001" in f.message for f in found["IL408"])


def test_virtualservices_merged_on_one_gateway_host(tmp_path):
    report, text = run(tmp_path, corpus.gateway_bound_same_host(N), ["IL304"])
    assert_bounded(report, text)
    findings = by_code(report)["IL304"]
    assert len(findings) >= N // 2 - 1  # every VirtualService routing /api but the first
    # The last of those overlaps each earlier one: the first named, four more, the rest counted.
    (last,) = [f for f in findings if f.resource.name == f"shop-{N - 2:05d}"]
    assert more(last.message) == [N // 2 - 1 - 1 - 4]
    assert len(last.related) == MAX_RELATED


def test_one_gateway_with_many_hosts(tmp_path):
    report, text = run(tmp_path, corpus.one_gateway_many_hosts(N), ["IL201", "IL203", "IL304"])
    assert_bounded(report, text)
    found = by_code(report)
    assert len(found["IL203"]) == N // 10  # the VirtualServices naming a host the Gateway lacks
    assert len(found["IL201"]) == N // 5  # hosts without a VirtualService, or only one of another host


def test_misspelt_destinations_in_a_large_namespace(tmp_path):
    n = 1500  # more names than a hint compares with all of
    report, text = run(tmp_path, corpus.misspelt_destinations(n), ["IL401"])
    assert_bounded(report, text)
    findings = by_code(report)["IL401"]
    assert len(findings) == n // 5
    for f in findings:
        written = re.search(r'"(svc-\d+)x"', f.message).group(1)
        assert f.message.endswith(f"did you mean {written}?")


def test_a_long_route_list_and_many_servers(tmp_path):
    n = 600
    report, text = run(tmp_path, corpus.long_route_list(n), ["IL301", "IL302", "IL205"])
    assert_bounded(report, text)
    found = by_code(report)
    assert len(found["IL301"]) == n // 10  # each repeated route, shadowed by the one it repeats
    assert len(found["IL205"]) == n // 10  # each repeated host


def test_many_destinationrules_for_one_host_and_gateways_on_one_selector(tmp_path):
    report, text = run(tmp_path, corpus.same_host_destinationrules(N), ["IL402", "IL206", "IL406"])
    assert_bounded(report, text)
    found = by_code(report)
    assert len(found["IL402"]) == N // 5  # the routes to a subset no rule defines
    for f in found["IL402"]:  # the subsets of the rules that apply there (those of its own namespace)
        listed = re.search(r"subsets defined: ([^)]*)\)", f.message).group(1).split(", ")
        assert 1 <= len(listed) <= 21 and all(re.fullmatch(r"s\d+", s) for s in listed)
    assert len(found["IL206"]) == N  # every Gateway: its port is not on the gateway's Services
    assert all("and others" in f.message for f in found["IL206"])


# --------------------------------------------------------------------------- the indexes


def test_host_index_is_hosts_intersect():
    rng = random.Random(7)
    labels = ["a", "b", "ab", "x", "com", "example", "foo"]

    def host():
        name = ".".join(rng.choice(labels) for _ in range(rng.randint(1, 3)))
        r = rng.random()
        if r < 0.15:
            return "*"
        if r < 0.45:
            return "*" + rng.choice([".", "", "x", ".a."]) + name
        if r < 0.5:
            return rng.choice([None, "", 3, "A.COM"])
        return name

    for _ in range(200):
        hosts = [host() for _ in range(rng.randint(0, 25))]
        index = HostIndex(hosts)
        for query in (host() for _ in range(15)):
            assert index.intersecting(query) == [i for i, h in enumerate(hosts) if hosts_intersect(query, h)]


def test_cover_candidates_include_every_covering_entry():
    rng = random.Random(11)
    paths = ["/", "/a", "/api", "/api/v1", "/API", "/ap", "/b", "", "/api?x", "/Api/V1", "a"]

    def string_match():
        r = rng.random()
        if r < 0.35:
            return {"prefix": rng.choice(paths)}
        if r < 0.6:
            return {"exact": rng.choice(paths)}
        if r < 0.75:
            return {"regex": rng.choice(["/api.*", "/a.*", ".*", "/b", "[/]a"])}
        return rng.choice([{}, "bad", {"prefix": "/a", "exact": "/a"}])

    def header():
        return rng.choice([{"exact": "1"}, {"exact": ""}, {"prefix": "x"}, {"regex": "*"}, {"regex": ".*"}, {}])

    def entry():
        e = {}
        if rng.random() < 0.7:
            e["uri"] = string_match()
        if rng.random() < 0.3:
            e["ignoreUriCase"] = rng.random() < 0.5
        for field, p in (("headers", 0.4), ("withoutHeaders", 0.15)):
            if rng.random() < p:
                names = ["x", "X", "y", ":authority", "@request.auth.claims.iss"]
                e[field] = {rng.choice(names): header() for _ in range(rng.randint(1, 2))}
        if rng.random() < 0.15:
            e["method"] = {"exact": rng.choice(["GET", "POST"])}
        return e

    covering = 0
    for _ in range(120):
        entries = [entry() for _ in range(rng.randint(2, 20))]
        candidates = CoverCandidates()
        for j, m in enumerate(entries):
            found = set(candidates.candidates(m))
            for i in range(j):
                if http_match_covers(entries[i], m, [], []) is True:
                    covering += 1
                    assert i in found, (entries[i], m)
            candidates.add(j, m)
    assert covering > 100  # the test exercises real coverage


@pytest.mark.parametrize("seed", range(3))
def test_exported_claimants_are_counted_as_pairs_would(tmp_path, seed):
    """VirtualServices for one host with assorted exportTo: each names exactly the others that some
    namespace sees together with it (what comparing every pair would find)."""
    rng = random.Random(seed)
    scopes = [None, ["*"], ["."], ["a"], ["b"], ["a", "b"], ["c", "."], ["~"]]
    docs, chosen = [], []
    for i in range(40):
        ns = rng.choice(["a", "b", "c"])
        export = rng.choice(scopes)
        spec = {"hosts": ["api.example.com"], "http": [{"route": [{"destination": {"host": "api.example.com"}}]}]}
        if export is not None:
            spec["exportTo"] = export
        docs.append({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
                     "metadata": {"name": f"vs-{i:02d}", "namespace": ns}, "spec": spec})
        chosen.append((ns, export))

    def visible(ns, export):
        if export is None or "*" in export:
            return None
        if "~" in export:
            return set()
        return {ns if e == "." else e for e in export}

    report, _ = run(tmp_path, docs, ["IL310"])
    got = {f.resource.name: f for f in report.findings}
    for i, (ns, export) in enumerate(chosen):
        mine = visible(ns, export)
        others = 0
        for j, (ns2, export2) in enumerate(chosen):
            theirs = visible(ns2, export2)
            if i == j or (theirs is not None and not theirs) or (mine is not None and not mine):
                continue
            if mine is None or theirs is None or mine & theirs:
                others += 1
        name = f"vs-{i:02d}"
        if not others:
            assert name not in got
            continue
        assert more(got[name].message) == ([others - MAX_NAMED] if others > MAX_NAMED else [])
        assert len(got[name].related) == min(others, MAX_RELATED)
