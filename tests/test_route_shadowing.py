"""Route shadowing: route-shadowed (IL301), match-redundant (IL302), tls-match-duplicate (IL303) and
vs-route-merge-overlap (IL304), through the real pipeline."""

from __future__ import annotations

import json

import pytest

from .conftest import ROOT, lint_paths, lint_text

CODES = ["IL301", "IL302", "IL303", "IL304"]


def vs(name="vs", namespace="default", hosts=("svc",), gateways=None, http=None, tcp=None, tls=None):
    spec: dict = {"hosts": list(hosts)}
    if gateways is not None:
        spec["gateways"] = list(gateways)
    for kind, routes in (("http", http), ("tcp", tcp), ("tls", tls)):
        if routes is not None:
            spec[kind] = routes
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def rule(*entries, dest="backend", **extra):
    """An http/tcp/tls rule with these match entries (none: no `match` at all)."""
    out: dict = dict(extra)
    if entries:
        out["match"] = list(entries)
    out["route"] = [{"destination": {"host": dest}}]
    return out


def gateway(name="gw", namespace="istio-system", servers=None):
    servers = servers or [{"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}]
    return {"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": {"istio": "ingressgateway"}, "servers": servers}}


def lint(tmp_path, *docs, select=CODES):
    # JSON is YAML: one document per resource keeps the test data readable as Python.
    text = "\n---\n".join(json.dumps(d) for d in docs)
    report, _ = lint_text(text, tmp_path, select=select)
    assert not [f for f in report.findings if f.code == "IL000"], "a rule crashed"
    return report


def found(report):
    return sorted((f.name, f.resource.name, f.path) for f in report.findings)


# --------------------------------------------------------------------------- route-shadowed / match-redundant


def test_final_catch_all_prefix_is_not_reported(tmp_path):
    # istioctl used to flag a final `prefix: /` (istio/istio#36245); it is the correct order.
    report = lint(tmp_path, vs(http=[
        rule({"uri": {"prefix": "/blocked"}}),
        rule({"uri": {"prefix": "/api/"}}, {"uri": {"exact": "/api"}}),
        rule({"uri": {"prefix": "/"}}),
    ]))
    assert found(report) == []


def test_catch_all_first_shadows_everything_after_it(tmp_path):
    report = lint(tmp_path, vs(http=[
        rule({"uri": {"prefix": "/"}}, name="main"),
        rule({"headers": {"end-user": {"exact": "mike"}}}, name="mike"),
        rule(),
    ]))
    assert found(report) == [("route-shadowed", "vs", "spec.http[1]"), ("route-shadowed", "vs", "spec.http[2]")]
    first = next(f for f in report.findings if f.path == "spec.http[1]")
    assert 'http[0].match[0] (rule "main")' in first.message
    assert "`uri.prefix: /` matches every path" in first.message
    assert [r.path for r in first.related] == ["spec.http[0].match[0]"]


def test_rule_without_match_and_empty_entry_match_everything(tmp_path):
    report = lint(tmp_path, vs(http=[rule({"uri": {"prefix": "/a"}}), rule({}), rule({"uri": {"exact": "/b"}})]),
                  vs(name="second", http=[rule(), rule()]))
    assert found(report) == [("route-shadowed", "second", "spec.http[1]"), ("route-shadowed", "vs", "spec.http[2]")]


def test_exact_after_prefix_is_reported(tmp_path):
    report = lint(tmp_path, vs(http=[rule({"uri": {"prefix": "/a"}}), rule({"uri": {"exact": "/a"}})]))
    assert found(report) == [("route-shadowed", "vs", "spec.http[1]")]


def test_prefix_is_a_string_prefix_not_a_path_segment(tmp_path):
    report = lint(tmp_path, vs(http=[rule({"uri": {"prefix": "/api"}}), rule({"uri": {"prefix": "/apiv2"}})]))
    (finding,) = report.findings
    assert finding.path == "spec.http[1]"
    assert "plain string prefix, not a path segment" in finding.message
    # ... and the segment-style prefix does not cover its sibling
    report = lint(tmp_path, vs(http=[rule({"uri": {"prefix": "/api/"}}), rule({"uri": {"prefix": "/apiv2"}})]))
    assert found(report) == []


def test_regex_coverage_is_decided_by_automata(tmp_path):
    report = lint(tmp_path, vs(http=[
        rule({"uri": {"regex": "/v[0-9]+/.*"}}),
        rule({"uri": {"regex": "/v1/(items|orders)"}}),  # inside
        rule({"uri": {"regex": "/v[0-9]*/x"}}),  # "/v/x" is not inside
        rule({"uri": {"regex": "/(a"}}),  # invalid RE2: undecidable, silent
    ]))
    assert found(report) == [("route-shadowed", "vs", "spec.http[1]")]


@pytest.mark.parametrize("first, second, shadowed", [
    ({"uri": {"prefix": "/admin"}, "ignoreUriCase": True}, {"uri": {"prefix": "/ADMIN/x"}}, True),
    ({"uri": {"prefix": "/admin"}}, {"uri": {"prefix": "/admin/x"}, "ignoreUriCase": True}, False),
    ({"headers": {"x-a": {}}}, {"headers": {"X-A": {"exact": "1"}}}, True),
    ({"headers": {"x-a": {"exact": "1"}}}, {"headers": {"x-a": {}}}, False),
    ({"headers": {"x-a": {"exact": "1"}}}, {"headers": {"x-a": {"prefix": "1"}}}, False),
    ({"withoutHeaders": {"x-debug": {}}}, {"withoutHeaders": {"x-debug": {}}, "uri": {"prefix": "/z"}}, True),
    ({"withoutHeaders": {"x-debug": {}}}, {"headers": {"x-debug": {"exact": "1"}}}, False),
    ({"sourceLabels": {"app": "web"}}, {"sourceLabels": {"app": "web", "v": "1"}}, True),
    ({"sourceLabels": {"app": "web", "v": "1"}}, {"sourceLabels": {"app": "web"}}, False),
    ({"port": 8080}, {"port": 8080, "uri": {"prefix": "/x"}}, True),
    ({"port": 8080}, {"port": 9090}, False),
    ({"queryParams": {"q": {"regex": "[0-9]+"}}}, {"queryParams": {"q": {"exact": "42"}}}, True),
    ({"method": {"exact": "GET"}, "uri": {"prefix": "/p"}}, {"uri": {"prefix": "/products"}}, False),
    ({"uri": {"prefix": "/p"}}, {"uri": {"prefix": "/products"}, "method": {"exact": "GET"}}, True),
])
def test_conditions(tmp_path, first, second, shadowed):
    report = lint(tmp_path, vs(http=[rule(first), rule(second)]))
    assert found(report) == ([("route-shadowed", "vs", "spec.http[1]")] if shadowed else [])


def test_match_gateways_default_to_the_virtual_service_gateways(tmp_path):
    gws = ["shop-gateway", "mesh"]
    # Earlier entry only on the gateway: the later one still serves sidecars.
    report = lint(tmp_path, vs(gateways=gws, http=[
        rule({"uri": {"prefix": "/a"}, "gateways": ["shop-gateway"]}), rule({"uri": {"prefix": "/a/b"}})]))
    assert found(report) == []
    # Later entry narrowed to the gateway (spelled namespace/name): covered by the unscoped earlier one.
    report = lint(tmp_path, vs(namespace="shop", gateways=gws, http=[
        rule({"uri": {"prefix": "/a"}}), rule({"uri": {"prefix": "/a/b"}, "gateways": ["shop/shop-gateway"]})]))
    assert found(report) == [("route-shadowed", "vs", "spec.http[1]")]


def test_match_redundant_only_for_rules_that_stay_reachable(tmp_path):
    report = lint(tmp_path, vs(http=[
        rule({"uri": {"prefix": "/a"}}),
        rule({"uri": {"prefix": "/b"}}),
        rule({"uri": {"prefix": "/a/x"}}, {"uri": {"prefix": "/c"}}, {"uri": {"exact": "/b"}}),  # 2 of 3 covered
        rule({"uri": {"prefix": "/a/y"}}, {"uri": {"prefix": "/b/y"}}),  # all covered, by different rules
    ]))
    assert found(report) == [
        ("match-redundant", "vs", "spec.http[2].match[0]"),
        ("match-redundant", "vs", "spec.http[2].match[2]"),
        ("route-shadowed", "vs", "spec.http[3]"),
    ]
    shadowed = next(f for f in report.findings if f.name == "route-shadowed")
    assert "match[0] by http[0].match[0]; match[1] by http[1].match[0]" in shadowed.message
    assert [r.path for r in shadowed.related] == ["spec.http[0].match[0]", "spec.http[1].match[0]"]


def test_entry_covered_within_its_own_rule(tmp_path):
    report = lint(tmp_path, vs(http=[rule({"uri": {"prefix": "/"}}, {"uri": {"exact": "/"}, "method": {"exact": "GET"}})]))
    assert found(report) == [("match-redundant", "vs", "spec.http[0].match[1]")]
    assert "of the same route" in report.findings[0].message


# --------------------------------------------------------------------------- tcp


def test_tcp_first_match_wins_and_subnets_are_filter_chains_on_sidecars(tmp_path):
    report = lint(tmp_path, vs(name="mesh", tcp=[
        rule({"port": 5432, "destinationSubnets": ["10.0.0.0/8"]}),
        rule({"port": 5432, "destinationSubnets": ["10.1.0.0/16"]}),  # more specific chain: used
        rule({"port": 5432}),  # other destinations: used
        rule({"port": 5432, "destinationSubnets": ["10.2.0.0/16"]}),  # after a subnet-less match: dead
        rule(),
        rule(),
    ]), vs(name="gateway", gateways=["tcp-gw"], tcp=[
        rule({"port": 31400, "destinationSubnets": ["10.0.0.0/8"]}),  # gateways ignore subnets
        rule({"port": 31400}),
    ]))
    assert found(report) == [
        ("route-shadowed", "gateway", "spec.tcp[1]"),
        ("route-shadowed", "mesh", "spec.tcp[3]"),
        ("route-shadowed", "mesh", "spec.tcp[5]"),
    ]


def test_tcp_and_http_rules_do_not_cover_each_other(tmp_path):
    report = lint(tmp_path, vs(http=[rule()], tcp=[rule({"port": 1})]))
    assert found(report) == []


# --------------------------------------------------------------------------- tls


def test_tls_more_specific_sni_after_wildcard_is_not_hidden(tmp_path):
    report = lint(tmp_path, vs(hosts=["*.example.com"], tls=[
        rule({"sniHosts": ["*.example.com"]}), rule({"sniHosts": ["orders.example.com"]})]))
    assert found(report) == []


def test_tls_duplicates_are_reported_at_the_later_match(tmp_path):
    report = lint(tmp_path, vs(hosts=["a.example.com", "b.example.com"], tls=[
        rule({"sniHosts": ["a.example.com", "b.example.com"], "port": 443}),
        rule({"sniHosts": ["b.example.com", "a.example.com"], "port": 443},  # reordered: same set
             {"sniHosts": ["a.example.com"], "port": 443},  # a subset is another filter chain
             {"sniHosts": ["a.example.com", "b.example.com"], "port": 8443}),  # another port
    ]))
    assert found(report) == [("tls-match-duplicate", "vs", "spec.tls[1].match[0]")]
    assert report.findings[0].related[0].path == "spec.tls[0].match[0]"


# --------------------------------------------------------------------------- vs-route-merge-overlap


def _merge_docs(first_name="a", second_name="b", second_entry=None, second_dest="other"):
    entry = second_entry if second_entry is not None else {"uri": {"prefix": "/api/v1"}}
    return [
        gateway(),
        vs(name=first_name, hosts=["shop.example.com"], gateways=["istio-system/gw"],
           http=[rule({"uri": {"prefix": "/api"}}, dest="api"), rule(dest="web")]),
        vs(name=second_name, hosts=["shop.example.com"], gateways=["istio-system/gw"],
           http=[rule(entry, dest=second_dest)]),
    ]


def test_merge_overlap_is_reported_at_the_later_virtual_service_in_both_directions(tmp_path):
    report = lint(tmp_path, *_merge_docs())
    assert found(report) == [("vs-route-merge-overlap", "b", "spec.http[0].match[0]")]
    assert report.findings[0].related[0].path == "spec.http[0].match[0]"
    assert report.findings[0].related[0].resource.name == "a"
    # The later one by name holds the *general* route now: still reported there, deterministically.
    report = lint(tmp_path, *reversed(_merge_docs(first_name="z")))
    assert found(report) == [("vs-route-merge-overlap", "z", "spec.http[0].match[0]")]


@pytest.mark.parametrize("second_entry, second_dest", [
    ({"uri": {"prefix": "/"}}, "other"),  # catch-all: moved to the end by istiod
    ({"uri": {"prefix": "/static"}}, "other"),  # disjoint
    ({"uri": {"prefix": "/api/v1"}}, "api"),  # same destination: order does not matter
    ({"uri": {"prefix": "/api/v1"}, "gateways": ["mesh"]}, "other"),  # not on this gateway
])
def test_merge_overlap_silent_cases(tmp_path, second_entry, second_dest):
    report = lint(tmp_path, *_merge_docs(second_entry=second_entry, second_dest=second_dest))
    assert found(report) == []


def test_merge_overlap_needs_a_shared_virtual_host(tmp_path):
    docs = _merge_docs()
    docs[2]["spec"]["hosts"] = ["*.example.com"]
    # Server host `*`: *.example.com and shop.example.com are two virtual hosts.
    assert found(lint(tmp_path, *docs)) == []
    # Server host shop.example.com: both VirtualServices land in its virtual host.
    docs[0]["spec"]["servers"][0]["hosts"] = ["shop.example.com"]
    assert found(lint(tmp_path, *docs)) == [("vs-route-merge-overlap", "b", "spec.http[0].match[0]")]
    # ... unless the server host does not admit the namespace.
    docs[0]["spec"]["servers"][0]["hosts"] = ["other/shop.example.com"]
    assert found(lint(tmp_path, *docs)) == []


def test_merge_overlap_not_on_mesh(tmp_path):
    docs = _merge_docs()
    for d in docs[1:]:
        del d["spec"]["gateways"]
    assert found(lint(tmp_path, *docs[1:])) == []


# --------------------------------------------------------------------------- robustness


@pytest.mark.parametrize("spec", [
    {"hosts": ["x"], "http": "nope", "tcp": {"a": 1}, "tls": 3},
    {"hosts": ["x"], "gateways": "gw", "http": [rule({"uri": {"prefix": "/"}}), rule({"uri": {"prefix": "/a"}})]},
    {"hosts": ["x"], "http": [None, 1, "x", {"match": "all"}, {"match": [None, [], "x"]}, rule()]},
    {"hosts": ["x"], "http": [rule({"uri": {"prefix": 1}}), rule({"uri": {"exact": "/a"}, "port": "80"}),
                              rule({"headers": ["a"]}), rule({"unknownKey": 1}), rule({"uri": "/"})]},
    {"hosts": ["x"], "tcp": [rule({"destinationSubnets": "10.0.0.0/8"}), rule({"port": True}),
                             rule({"destinationSubnets": ["not-a-cidr"]})]},
    {"hosts": ["x"], "tls": [rule({"sniHosts": "x"}), rule({"sniHosts": [1]}), rule({"sniHosts": ["x"]}),
                             rule({"sniHosts": ["x"], "gateways": [None]})]},
])
def test_wrong_types_are_silent(tmp_path, spec):
    doc = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "bad"},
           "spec": spec}
    assert found(lint(tmp_path, doc, gateway(), dict(doc, metadata={"name": "bad2"}))) == []


# --------------------------------------------------------------------------- Istio's own inputs


def _findings(path):
    report, _ = lint_paths([path], select=CODES)
    return sorted((f.name, f.resource.namespace, f.resource.name, f.path) for f in report.findings)


def test_istio_dupmatches_analyzer_input(shared_dir):
    # Istio's expectations (analyzers_test.go "dupmatches"): IST0130 for duplicate-match,
    # sample-foo-cluster01, duplicate-tcp-match, duplicate-empty-tcp, tls-routing; IST0131 for
    # almost-duplicate-match, duplicate-match, almost-duplicate-tcp-match, duplicate-tcp-match,
    # tls-routing, tls-routing-almostmatch. A wholly dead rule is one route-shadowed here (never also
    # match-redundant), and TLS duplicates are tls-match-duplicate.
    assert _findings(shared_dir / "peer/istio-analyzers/virtualservice_dupmatches.yaml") == [
        ("match-redundant", "default", "almost-duplicate-match", "spec.http[1].match[0]"),
        ("match-redundant", "default", "almost-duplicate-tcp-match", "spec.tcp[1].match[0]"),
        ("route-shadowed", "default", "duplicate-empty-tcp", "spec.tcp[1]"),
        ("route-shadowed", "default", "duplicate-match", "spec.http[1]"),
        ("route-shadowed", "default", "duplicate-tcp-match", "spec.tcp[1]"),
        ("route-shadowed", "foo", "sample-foo-cluster01", "spec.http[1]"),
        ("tls-match-duplicate", "none", "tls-routing", "spec.tls[1].match[0]"),
        ("tls-match-duplicate", "none", "tls-routing-almostmatch", "spec.tls[1].match[0]"),
    ]


def test_istio_overlappingmatches_analyzer_input(shared_dir):
    # Istio: IST0131 for non-method-get, overlapping-in-single-match, overlapping-in-two-matches,
    # overlapping-mathes-with-different-methods. Differences, both true: overlapping-in-two-matches'
    # second rule has a single, covered entry, so the rule is dead (route-shadowed); and in
    # uri-with-prefix-exact the `exact: /` entry sits after `prefix: /` in the same rule (Istio only
    # compares prefix URIs, and istiod itself stops emitting routes after that catch-all).
    assert _findings(shared_dir / "peer/istio-analyzers/virtualservice_overlappingmatches.yaml") == [
        ("match-redundant", "default", "non-method-get", "spec.http[0].match[1]"),
        ("match-redundant", "default", "overlapping-in-single-match", "spec.http[0].match[1]"),
        ("match-redundant", "default", "overlapping-mathes-with-different-methods", "spec.http[1].match[0]"),
        ("match-redundant", "default", "uri-with-prefix-exact", "spec.http[0].match[1]"),
        ("route-shadowed", "default", "overlapping-in-two-matches", "spec.http[1]"),
    ]


def test_bookinfo_broken_reviews_rule_is_shadowed():
    report, _ = lint_paths([ROOT / "fixtures/bookinfo-broken/virtual-services.yaml"], select=CODES)
    assert [(f.line, f.column, f.name, f.resource.name, f.path) for f in report.findings] == [
        (28, 5, "route-shadowed", "reviews", "spec.http[2]")]
    report, _ = lint_paths([ROOT / "fixtures/bookinfo"], select=CODES)
    assert report.findings == []
