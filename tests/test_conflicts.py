"""Conflict rules: vs-mesh-host-conflict (IL310), gateway-route-bypasses-subsets (IL311),
serviceentry-protocol-conflict (IL420), gateway-duplicate-certificate (IL230), sidecar/telemetry selector
and default conflicts (IL520-IL523), Services in front of a workload (IL524, IL525).

Istio's own analyzer cases (``../shared/peer/istio-analyzers``) are pinned exactly; the rest are focused
cases for the semantics the rules rest on (exportTo, short names, "never with itself", --context, selector
overlap with and without workloads, in-mesh, targetPort names, TLS modes).
"""

from __future__ import annotations

import json

import pytest

from istiolint.catalog import load_catalog
from istiolint.finding import Severity

from .conftest import SHARED, lint_paths, lint_text

CODES = ["IL310", "IL311", "IL420", "IL230", "IL520", "IL521", "IL522", "IL523", "IL524", "IL525"]
PEER = SHARED / "peer" / "istio-analyzers"


def to_yaml(*docs) -> str:
    # JSON is YAML: keeps the test documents exact without a YAML writer.
    return "\n---\n".join(json.dumps(d) for d in docs) + "\n"


def found(report, codes=CODES) -> list[tuple]:
    return sorted((f.code, f"{f.resource.kind} {f.resource.namespace}/{f.resource.name}", f.path)
                  for f in report.findings if f.code in codes)


def lint(tmp_path, *docs, codes=CODES, **kwargs) -> list[tuple]:
    report, _ = lint_text(to_yaml(*docs), tmp_path, select=codes, **kwargs)
    return found(report, codes)


def meta(name, namespace="default", **extra):
    return {"name": name, "namespace": namespace, **extra}


def vs(name, namespace="default", hosts=("reviews",), gateways=None, export_to=None, http=None):
    spec = {"hosts": list(hosts), "http": http or [{"route": [{"destination": {"host": hosts[0]}}]}]}
    if gateways is not None:
        spec["gateways"] = list(gateways)
    if export_to is not None:
        spec["exportTo"] = list(export_to)
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": meta(name, namespace),
            "spec": spec}


def se(name, namespace="default", hosts=("api.example.com",), ports=(), export_to=None):
    spec = {"hosts": list(hosts), "ports": list(ports), "resolution": "DNS"}
    if export_to is not None:
        spec["exportTo"] = list(export_to)
    return {"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry", "metadata": meta(name, namespace),
            "spec": spec}


def gateway(name, namespace="istio-system", selector=None, servers=()):
    return {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": meta(name, namespace),
            "spec": {"selector": selector if selector is not None else {"istio": "ingressgateway"},
                     "servers": list(servers)}}


def https(host, number=443, **tls):
    return {"port": {"number": number, "name": f"https-{number}", "protocol": "HTTPS"}, "hosts": [host],
            "tls": tls or {"mode": "SIMPLE", "credentialName": "cert"}}


def sidecar(name, namespace="default", labels=None):
    spec = {"egress": [{"hosts": ["./*"]}]}
    if labels is not None:
        spec["workloadSelector"] = {"labels": labels}
    return {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "metadata": meta(name, namespace),
            "spec": spec}


def telemetry(name, namespace="default", labels=None, **spec):
    spec = dict(spec) or {"tracing": [{"randomSamplingPercentage": 10}]}
    if labels is not None:
        spec["selector"] = {"matchLabels": labels}
    return {"apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry", "metadata": meta(name, namespace),
            "spec": spec}


def pod(name, namespace="default", labels=None, annotations=None, ports=()):
    metadata = meta(name, namespace, labels=labels or {})
    if annotations:
        metadata["annotations"] = annotations
    containers = [{"name": "app", "image": "example/app", "ports": list(ports)}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": {"containers": containers}}


def deployment(name, namespace="default", labels=None, annotations=None, ports=()):
    template_meta = {"labels": labels or {"app": name}}
    if annotations:
        template_meta["annotations"] = annotations
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(name, namespace),
            "spec": {"selector": {"matchLabels": labels or {"app": name}},
                     "template": {"metadata": template_meta,
                                  "spec": {"containers": [{"name": "app", "image": "example/app",
                                                           "ports": list(ports)}]}}}}


def service(name, namespace="default", selector=None, ports=()):
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta(name, namespace),
            "spec": {"selector": selector or {"app": "web"}, "ports": list(ports)}}


def namespace_object(name, labels=None):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}


# ============================================================================ Istio's analyzer cases

# (file, IST code, resources istioctl analyze reports) — from pkg/config/analysis/analyzers/analyzers_test.go
ISTIO_CASES = [
    ("virtualservice_conflictingmeshgatewayhosts.yaml", "IST0109", [
        "VirtualService team3/ratings", "VirtualService team4/ratings", "VirtualService foo/ratings",
        "VirtualService bar/ratings", "VirtualService foo/productpage", "VirtualService foo/bogus-productpage",
        "VirtualService team2/ratings"]),
    ("virtualservice_conflictingmeshgatewayhosts_with_exportto.yaml", "IST0109", [
        "VirtualService foo/productpage", "VirtualService bar/productpage", "VirtualService foo/productpage-c",
        "VirtualService bar/productpage-c", "VirtualService foo/productpage-d", "VirtualService bar/productpage-d"]),
    ("virtualservice_route_rule_no_effects_ingress.yaml", "IST0140", [
        "VirtualService default/testing-service-01-test-01"]),
    ("sidecar-selector.yaml", "IST0110", [
        "Sidecar default/dupe-1", "Sidecar default/dupe-2", "Sidecar default/overlap-1", "Sidecar default/overlap-2"]),
    ("sidecar-default-selector.yaml", "IST0111", ["Sidecar ns2/has-conflict-1", "Sidecar ns2/has-conflict-2"]),
    ("telemetry-selector.yaml", "IST0159", [
        "Telemetry default/dupe-1", "Telemetry default/dupe-2", "Telemetry default/overlap-1",
        "Telemetry default/overlap-2"]),
    ("telemetry-default-selector.yaml", "IST0160", ["Telemetry ns2/has-conflict-1", "Telemetry ns2/has-conflict-2"]),
    ("deployment-multi-service.yaml", "IST0116", [
        "Deployment bookinfo/multiple-svc-multiple-prot", "Deployment bookinfo/multiple-without-port"]),
    ("deployment-multi-service.yaml", "IST0137", ["Deployment bookinfo/conflicting-ports"]),
    ("deployment-multi-service-different-ns.yaml", "IST0116", []),
    ("deployment-multi-service-different-ns.yaml", "IST0137", []),
    ("deployment-service-no-selector.yaml", "IST0116", []),
    ("deployment-service-no-selector.yaml", "IST0137", []),
    ("gateway-duplicate-certificate.yaml", "IST0138", [
        "Gateway istio-system/gateway-01-test-01", "Gateway istio-system/gateway-02-test-01",
        "Gateway istio-system/gateway-01-test-02", "Gateway default/gateway-01-test-03"]),
    ("serviceentry-conflicting-protocol.yaml", "IST0177", ["ServiceEntry default/se-http", "ServiceEntry default/se-https"]),
    ("serviceentry-no-conflict-protocol.yaml", "IST0177", []),
    ("serviceentry-conflicting-exportto.yaml", "IST0177", []),
]

# What we report on those files: (code, resource, path). One finding per conflict, on the later resource
# (on the Gateway with the wider selector for IL230); the other resource is in ``related``.
OUR_FINDINGS = {
    "virtualservice_conflictingmeshgatewayhosts.yaml": [
        ("IL310", "VirtualService foo/productpage", "spec.hosts[0]"),
        ("IL310", "VirtualService foo/ratings", "spec.hosts[0]"),
        ("IL310", "VirtualService team2/ratings", "spec.hosts[1]"),
        ("IL310", "VirtualService team4/ratings", "spec.hosts[0]"),
    ],
    "virtualservice_conflictingmeshgatewayhosts_with_exportto.yaml": [
        ("IL310", "VirtualService foo/productpage", "spec.hosts[0]"),
        ("IL310", "VirtualService foo/productpage-c", "spec.hosts[0]"),
        ("IL310", "VirtualService foo/productpage-d", "spec.hosts[0]"),
    ],
    "virtualservice_route_rule_no_effects_ingress.yaml": [
        ("IL311", "VirtualService default/testing-service-01-test-01", "spec.http[0].route[0].destination"),
    ],
    "sidecar-selector.yaml": [
        ("IL520", "Sidecar default/dupe-2", "spec.workloadSelector.labels"),
        ("IL520", "Sidecar default/overlap-2", "spec.workloadSelector.labels"),
    ],
    "sidecar-default-selector.yaml": [("IL521", "Sidecar ns2/has-conflict-2", "spec")],
    "telemetry-selector.yaml": [
        ("IL522", "Telemetry default/dupe-2", "spec.selector.matchLabels"),
        ("IL522", "Telemetry default/overlap-2", "spec.selector.matchLabels"),
    ],
    "telemetry-default-selector.yaml": [("IL523", "Telemetry ns2/has-conflict-2", "spec")],
    "deployment-multi-service.yaml": [
        ("IL524", "Deployment bookinfo/multiple-svc-multiple-prot", "spec.template.metadata.labels"),
        ("IL524", "Deployment bookinfo/multiple-without-port", "spec.template.metadata.labels"),
        ("IL525", "Deployment bookinfo/conflicting-ports", "spec.template.metadata.labels"),
    ],
    "deployment-multi-service-different-ns.yaml": [],
    "deployment-service-no-selector.yaml": [],
    "gateway-duplicate-certificate.yaml": [
        ("IL230", "Gateway default/gateway-01-test-03", "spec.servers[0].tls.credentialName"),
        ("IL230", "Gateway istio-system/gateway-01-test-02", "spec.servers[0].tls.credentialName"),
        ("IL230", "Gateway istio-system/gateway-02-test-01", "spec.servers[0].tls.credentialName"),
    ],
    "serviceentry-conflicting-protocol.yaml": [
        ("IL420", "ServiceEntry default/se-https", "spec.ports[0].protocol"),
    ],
    "serviceentry-no-conflict-protocol.yaml": [],
    "serviceentry-conflicting-exportto.yaml": [],
}


def our_codes(istio_code: str) -> list[str]:
    return [e.code for e in load_catalog().entries if istio_code in e.istio_codes and e.code in CODES]


def ref(resource) -> str:
    return f"{resource.kind} {resource.namespace}/{resource.name}"


@pytest.fixture
def peer(shared_dir):
    if not PEER.is_dir():
        pytest.skip("../shared/peer/istio-analyzers is not present")
    return PEER


def test_each_istio_code_maps_to_one_rule():
    for _, istio_code, _ in ISTIO_CASES:
        assert len(our_codes(istio_code)) == 1, istio_code


@pytest.mark.parametrize("name", sorted(OUR_FINDINGS))
def test_istio_cases_exact_findings(peer, name):
    report, _ = lint_paths([peer / name], select=CODES)
    assert found(report) == sorted(OUR_FINDINGS[name])


@pytest.mark.parametrize("name, istio_code, expected", ISTIO_CASES, ids=lambda v: str(v)[:40])
def test_istio_cases_every_message_is_covered(peer, name, istio_code, expected):
    """Every resource Istio reports is the finding's resource or its related one, and we report on no
    resource Istio leaves alone (a conflict is one finding naming both sides)."""
    codes = our_codes(istio_code)
    report, _ = lint_paths([peer / name], select=codes)
    ours = [f for f in report.findings if f.code in codes]
    covered = {ref(f.resource) for f in ours} | {ref(r.resource) for f in ours for r in f.related}
    assert set(expected) <= covered
    assert {ref(f.resource) for f in ours} <= set(expected)


@pytest.mark.parametrize("name, istio_code, expected", ISTIO_CASES, ids=lambda v: str(v)[:40])
def test_istio_cases_reported_every_side_match_istio_exactly(peer, monkeypatch, name, istio_code, expected):
    """With REPORT_EVERY_SIDE (istioctl's way) the findings land on exactly the resources Istio reports."""
    from istiolint.rules.conflicts import common

    monkeypatch.setattr(common, "REPORT_EVERY_SIDE", True)
    codes = our_codes(istio_code)
    report, _ = lint_paths([peer / name], select=codes)
    assert sorted({ref(f.resource) for f in report.findings if f.code in codes}) == sorted(expected)


# ============================================================================ IL310 vs-mesh-host-conflict


def test_short_names_expand_in_each_virtualservice_namespace(tmp_path):
    docs = [vs("a", "foo", hosts=["ratings"]), vs("b", "bar", hosts=["ratings.foo.svc.cluster.local"]),
            vs("c", "bar", hosts=["ratings"])]  # ratings.bar: another host
    assert lint(tmp_path, *docs, codes=["IL310"]) == [("IL310", "VirtualService foo/a", "spec.hosts[0]")]


def test_a_dotted_host_is_literal(tmp_path):
    docs = [vs("a", "foo", hosts=["ratings"]), vs("b", "bar", hosts=["ratings.foo"])]
    assert lint(tmp_path, *docs, codes=["IL310"]) == []


def test_cluster_domain_is_used_for_expansion(tmp_path):
    docs = [vs("a", "foo", hosts=["ratings"]), vs("b", "bar", hosts=["ratings.foo.svc.corp.internal"])]
    assert lint(tmp_path, *docs, codes=["IL310"]) == []
    assert lint(tmp_path, *docs, codes=["IL310"], cluster_domain="corp.internal") == [
        ("IL310", "VirtualService foo/a", "spec.hosts[0]")]


def test_hosts_compare_case_insensitively(tmp_path):
    docs = [vs("a", hosts=["API.example.com"]), vs("b", hosts=["api.example.com"])]
    assert lint(tmp_path, *docs, codes=["IL310"]) == [("IL310", "VirtualService default/b", "spec.hosts[0]")]


@pytest.mark.parametrize("a, b, conflict", [
    (None, None, True),
    (["."], None, True),            # a visible in foo, b everywhere
    (["."], ["."], False),          # foo vs bar
    (["bar"], ["."], True),         # a exported to bar, b lives there
    (["*"], ["baz"], True),
    (["baz"], ["qux"], False),
    (["~"], None, False),           # hidden everywhere
    (["foo", "."], ["foo"], True),
])
def test_export_to_decides_where_two_virtualservices_meet(tmp_path, a, b, conflict):
    docs = [vs("a", "foo", hosts=["api.example.com"], export_to=a),
            vs("b", "bar", hosts=["api.example.com"], export_to=b)]
    assert bool(lint(tmp_path, *docs, codes=["IL310"])) is conflict


def test_gateway_bound_virtualservices_do_not_conflict(tmp_path):
    docs = [vs("a", hosts=["api.example.com"], gateways=["istio-system/public"]),
            vs("b", hosts=["api.example.com"], gateways=["istio-system/public"]),
            vs("c", hosts=["api.example.com"], gateways=["istio-system/public", "mesh"])]
    assert lint(tmp_path, *docs, codes=["IL310"]) == []


def test_mesh_in_gateways_binds_to_sidecars(tmp_path):
    docs = [vs("a", hosts=["api.example.com"], gateways=["istio-system/public", "mesh"]),
            vs("b", hosts=["api.example.com"], gateways=[])]  # empty list: the mesh
    assert lint(tmp_path, *docs, codes=["IL310"]) == [("IL310", "VirtualService default/b", "spec.hosts[0]")]


def test_a_virtualservice_never_conflicts_with_itself(tmp_path):
    same = vs("a", hosts=["api.example.com", "API.example.com"])
    assert lint(tmp_path, same, same, codes=["IL310"]) == []


def test_one_finding_names_every_earlier_claimant(tmp_path):
    docs = [vs("a", hosts=["api.example.com"]), vs("b", hosts=["api.example.com"]),
            vs("c", hosts=["api.example.com"])]
    report, _ = lint_text(to_yaml(*docs), tmp_path, select=["IL310"])
    by_name = {f.resource.name: f for f in report.findings}
    assert sorted(by_name) == ["b", "c"]
    assert sorted(r.resource.name for r in by_name["c"].related) == ["a", "b"]
    assert "VirtualService default/a" in by_name["c"].message


def test_wildcard_overlap_is_a_warning(tmp_path):
    docs = [vs("a", hosts=["*.example.com"]), vs("b", hosts=["api.example.com"]),
            vs("c", hosts=["*.api.example.com"]), vs("d", hosts=["*.other.org"])]
    report, _ = lint_text(to_yaml(*docs), tmp_path, select=["IL310"])
    got = sorted((f.resource.name, f.severity, tuple(sorted(r.resource.name for r in f.related)))
                 for f in report.findings)
    assert got == [("b", Severity.WARNING, ("a",)), ("c", Severity.WARNING, ("a",))]


def test_star_alone_is_not_compared(tmp_path):
    assert lint(tmp_path, vs("a", hosts=["*"]), vs("b", hosts=["*"]), codes=["IL310"]) == []


def test_context_only_later_resource_reports_on_the_analysed_one(tmp_path):
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "z.yaml").write_text(to_yaml(vs("z", hosts=["api.example.com"])))
    changed = tmp_path / "a.yaml"
    changed.write_text(to_yaml(vs("a", hosts=["api.example.com"])))
    report, _ = lint_paths([changed], select=["IL310"], context=[str(tmp_path / "ctx")])
    assert [(f.resource.name, [r.resource.name for r in f.related]) for f in report.findings] == [("a", ["z"])]


def test_wrong_types_do_not_crash(tmp_path):
    docs = [{"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": meta("a"),
             "spec": {"hosts": "api", "gateways": 3, "exportTo": "x", "http": {"route": 1}}},
            {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": meta("b"),
             "spec": {"hosts": [None, 3, "api"], "http": [None, {"route": [None, {"destination": 3}]}]}},
            {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": meta("c"), "spec": None}]
    report, _ = lint_text(to_yaml(*docs), tmp_path, select=CODES + ["IL000"])
    assert [f for f in report.findings if f.code == "IL000"] == []


@pytest.mark.parametrize("kind, api", [
    ("Sidecar", "networking.istio.io/v1"), ("Telemetry", "telemetry.istio.io/v1"),
    ("ServiceEntry", "networking.istio.io/v1"), ("Gateway", "networking.istio.io/v1"),
    ("Service", "v1"), ("Deployment", "apps/v1"), ("Pod", "v1"), ("Namespace", "v1"),
])
def test_every_rule_survives_fields_of_the_wrong_type(tmp_path, kind, api):
    weird = [None, 3, "x", [], {}, [None, 1, "a", {"a": None}], {"labels": 3, "matchLabels": [1]}]
    docs = []
    for i, value in enumerate(weird):
        docs.append({"apiVersion": api, "kind": kind, "metadata": meta(f"w{i}", labels={"app": "x"}),
                     "spec": {"workloadSelector": value, "selector": value, "hosts": value, "ports": value,
                              "exportTo": value, "servers": value, "template": value, "targetRef": value,
                              "targetRefs": value}})
        docs.append({"apiVersion": api, "kind": kind, "metadata": meta(f"v{i}"), "spec": value})
    docs.append(service("s", ports=[{"port": 80, "targetPort": None, "name": 3, "protocol": 5}]))
    report, _ = lint_text(to_yaml(*docs), tmp_path, select=CODES + ["IL000"])
    assert [f.message for f in report.findings if f.code == "IL000"] == []


# ============================================================================ IL311 gateway-route-bypasses-subsets


def subset_vs(name="reviews", namespace="default", host="reviews", subset="v1", gateways=None):
    return vs(name, namespace, hosts=[host], gateways=gateways,
              http=[{"route": [{"destination": {"host": host, "subset": subset}}]}])


def ingress_vs(name="ingress", namespace="default", to="reviews", gateways=("istio-system/public",), subset=None):
    destination = {"host": to} | ({"subset": subset} if subset else {})
    return vs(name, namespace, hosts=["shop.example.com"], gateways=gateways,
              http=[{"route": [{"destination": destination}]}])


def test_gateway_route_without_subset_is_reported(tmp_path):
    assert lint(tmp_path, subset_vs(), ingress_vs(), codes=["IL311"]) == [
        ("IL311", "VirtualService default/ingress", "spec.http[0].route[0].destination")]


def test_gateway_route_with_subset_is_fine(tmp_path):
    assert lint(tmp_path, subset_vs(), ingress_vs(subset="v1"), codes=["IL311"]) == []


def test_mesh_only_routes_are_not_gateway_routes(tmp_path):
    assert lint(tmp_path, subset_vs(), ingress_vs(gateways=["mesh"]), codes=["IL311"]) == []


def test_hosts_are_expanded_per_namespace(tmp_path):
    # 'reviews' in web is reviews.web; the subset routing is for reviews.shop.
    assert lint(tmp_path, subset_vs(namespace="shop"), ingress_vs(namespace="web"), codes=["IL311"]) == []
    assert lint(tmp_path, subset_vs(namespace="shop"),
                ingress_vs(namespace="web", to="reviews.shop.svc.cluster.local"), codes=["IL311"]) == [
        ("IL311", "VirtualService web/ingress", "spec.http[0].route[0].destination")]


def test_subset_routing_must_be_on_the_mesh_and_for_its_own_host(tmp_path):
    gateway_only = subset_vs(gateways=["istio-system/internal"])
    assert lint(tmp_path, gateway_only, ingress_vs(), codes=["IL311"]) == []
    other_host = vs("split", hosts=["reviews"], http=[{"route": [{"destination": {"host": "ratings", "subset": "v1"}}]}])
    assert lint(tmp_path, other_host, ingress_vs(to="ratings"), codes=["IL311"]) == []


# ============================================================================ IL420 serviceentry-protocol-conflict


def port(number, protocol=None, name=None):
    p = {"number": number, "name": name or f"p{number}"}
    if protocol is not None:
        p["protocol"] = protocol
    return p


def test_serviceentry_protocols_compare_case_insensitively(tmp_path):
    docs = [se("a", ports=[port(443, "TLS")]), se("b", ports=[port(443, "tls")])]
    assert lint(tmp_path, *docs, codes=["IL420"]) == []


def test_serviceentry_unset_protocol_counts_as_a_value(tmp_path):
    docs = [se("a", ports=[port(443, "TLS")]), se("b", ports=[port(443)])]
    assert lint(tmp_path, *docs, codes=["IL420"]) == [("IL420", "ServiceEntry default/b", "spec.ports[0]")]


def test_serviceentry_hosts_are_literal(tmp_path):
    docs = [se("a", "foo", hosts=["db"], ports=[port(5432, "TCP")]),
            se("b", "bar", hosts=["db"], ports=[port(5432, "TLS")]),
            se("c", "bar", hosts=["db.foo.svc.cluster.local"], ports=[port(5432, "HTTP")])]
    # 'db' is the same literal host in foo and bar (ServiceEntry hosts are not expanded)
    assert lint(tmp_path, *docs, codes=["IL420"]) == [("IL420", "ServiceEntry foo/a", "spec.ports[0].protocol")]


def test_serviceentry_other_ports_and_hosts_are_independent(tmp_path):
    docs = [se("a", ports=[port(443, "TLS"), port(80, "HTTP")]),
            se("b", ports=[port(8443, "HTTP"), port(80, "HTTP")]),
            se("c", hosts=["other.example.com"], ports=[port(443, "HTTP")])]
    assert lint(tmp_path, *docs, codes=["IL420"]) == []


# ============================================================================ IL230 gateway-duplicate-certificate


def test_same_credential_same_port_same_workload(tmp_path):
    docs = [gateway("a", servers=[https("a.example.com")]), gateway("b", servers=[https("b.example.com")])]
    assert lint(tmp_path, *docs, codes=["IL230"]) == [
        ("IL230", "Gateway istio-system/b", "spec.servers[0].tls.credentialName")]


@pytest.mark.parametrize("tls", [
    {"credentialName": "cert"},                          # PASSTHROUGH by default
    {"mode": "PASSTHROUGH", "credentialName": "cert"},
    {"mode": "AUTO_PASSTHROUGH", "credentialName": "cert"},
    {"mode": "ISTIO_MUTUAL"},
    {"mode": "SIMPLE", "credentialName": "other"},
])
def test_certificates_not_served_or_different(tmp_path, tls):
    docs = [gateway("a", servers=[https("a.example.com")]), gateway("b", servers=[https("b.example.com", **tls)])]
    assert lint(tmp_path, *docs, codes=["IL230"]) == []


def test_different_ports_or_workloads_do_not_share_connections(tmp_path):
    docs = [gateway("a", servers=[https("a.example.com")]),
            gateway("b", servers=[https("b.example.com", number=8443)]),
            gateway("c", selector={"istio": "egressgateway"}, servers=[https("c.example.com")]),
            gateway("d", selector={}, servers=[https("d.example.com")])]
    assert lint(tmp_path, *docs, codes=["IL230"]) == []


def test_credential_names_and_certificate_files_count(tmp_path):
    docs = [gateway("a", servers=[https("a.example.com", mode="SIMPLE", credentialNames=["rsa", "cert"])]),
            gateway("b", servers=[https("b.example.com")]),
            gateway("c", servers=[https("c.example.com", mode="SIMPLE", serverCertificate="/c.pem", privateKey="/k")]),
            gateway("d", servers=[https("d.example.com", mode="MUTUAL", serverCertificate="/c.pem", privateKey="/k",
                                        caCertificates="/ca.pem")])]
    assert lint(tmp_path, *docs, codes=["IL230"]) == [
        ("IL230", "Gateway istio-system/b", "spec.servers[0].tls.credentialName"),
        ("IL230", "Gateway istio-system/d", "spec.servers[0].tls.serverCertificate")]


def test_selectors_sharing_a_workload_of_the_input(tmp_path):
    docs = [gateway("a", selector={"app": "gw"}, servers=[https("a.example.com")]),
            gateway("b", selector={"tier": "edge"}, servers=[https("b.example.com")])]
    assert lint(tmp_path, *docs, codes=["IL230"]) == []
    workload = pod("gw-1", "istio-system", labels={"app": "gw", "tier": "edge"})
    assert lint(tmp_path, *docs, workload, codes=["IL230"]) == [
        ("IL230", "Gateway istio-system/b", "spec.servers[0].tls.credentialName")]


def test_reported_on_the_wider_selector(tmp_path):
    docs = [gateway("a", selector={"istio": "ingressgateway", "tier": "internal"}, servers=[https("a.example.com")]),
            gateway("b", servers=[https("b.example.com")])]
    assert lint(tmp_path, *docs, codes=["IL230"]) == [
        ("IL230", "Gateway istio-system/b", "spec.servers[0].tls.credentialName")]
    docs[1]["metadata"]["name"] = "0-first"
    assert lint(tmp_path, *docs, codes=["IL230"]) == [
        ("IL230", "Gateway istio-system/0-first", "spec.servers[0].tls.credentialName")]


# ============================================================================ IL520-IL523 Sidecar, Telemetry


def test_sidecar_selectors_overlap_on_a_workload(tmp_path):
    docs = [pod("p", labels={"app": "a", "team": "t"}), sidecar("s1", labels={"app": "a"}),
            sidecar("s2", labels={"team": "t"})]
    assert lint(tmp_path, *docs, codes=["IL520"]) == [("IL520", "Sidecar default/s2", "spec.workloadSelector.labels")]


def test_with_workloads_in_the_namespace_the_workloads_decide(tmp_path):
    # {app: a} is a subset of {app: a, v: 2}, but no workload of the namespace has v=2.
    docs = [pod("p", labels={"app": "a", "v": "1"}), sidecar("s1", labels={"app": "a"}),
            sidecar("s2", labels={"app": "a", "v": "2"})]
    assert lint(tmp_path, *docs, codes=["IL520"]) == []


def test_without_workloads_subset_selectors_conflict(tmp_path):
    docs = [sidecar("s1", labels={"app": "a"}), sidecar("s2", labels={"app": "a", "v": "2"}),
            sidecar("s3", labels={"app": "b"}), pod("elsewhere", "other", labels={"app": "a"})]
    assert lint(tmp_path, *docs, codes=["IL520"]) == [("IL520", "Sidecar default/s2", "spec.workloadSelector.labels")]


def test_sidecar_selectors_apply_in_their_own_namespace(tmp_path):
    docs = [sidecar("s1", "foo", labels={"app": "a"}), sidecar("s2", "bar", labels={"app": "a"})]
    assert lint(tmp_path, *docs, codes=["IL520"]) == []


def test_pod_templates_are_workloads(tmp_path):
    docs = [deployment("web", labels={"app": "web", "version": "v1"}), sidecar("s1", labels={"app": "web"}),
            sidecar("s2", labels={"version": "v1"})]
    report, _ = lint_text(to_yaml(*docs), tmp_path, select=["IL520"])
    assert [f.resource.name for f in report.findings] == ["s2"]
    assert "both select Deployment default/web" in report.findings[0].message


def test_sidecar_defaults(tmp_path):
    docs = [sidecar("a"), sidecar("b"), sidecar("c", labels={"app": "x"}), sidecar("d", "other")]
    assert lint(tmp_path, *docs, codes=["IL521"]) == [("IL521", "Sidecar default/b", "spec")]


def test_sidecar_with_empty_selector_is_left_out(tmp_path):
    empty = sidecar("b")
    empty["spec"]["workloadSelector"] = {}
    assert lint(tmp_path, sidecar("a"), empty, codes=["IL520", "IL521"]) == []


def test_telemetry_overlap_and_defaults(tmp_path):
    docs = [telemetry("a", labels={"app": "x"}), telemetry("b", labels={"app": "x"}),
            telemetry("c"), telemetry("d", labels={}),  # empty matchLabels: namespace-wide
            telemetry("e", targetRefs=[{"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "w"}]),
            telemetry("f", targetRef={"kind": "Service", "group": "", "name": "w"})]
    assert lint(tmp_path, *docs, codes=["IL522", "IL523"]) == [
        ("IL522", "Telemetry default/b", "spec.selector.matchLabels"),
        ("IL523", "Telemetry default/d", "spec")]


# ============================================================================ IL524, IL525 Services and workloads


def svc_port(number, name, target=None, **extra):
    p = {"port": number, "name": name, **extra}
    if target is not None:
        p["targetPort"] = target
    return p


def test_protocols_come_from_app_protocol_then_name(tmp_path):
    docs = [deployment("web", labels={"app": "web"}),
            service("a", ports=[svc_port(80, "http")]),
            service("b", ports=[svc_port(80, "http-alt", appProtocol="tcp")])]
    assert lint(tmp_path, *docs, codes=["IL524"]) == [
        ("IL524", "Deployment default/web", "spec.template.metadata.labels")]


def test_sniffed_and_udp_ports_are_not_compared(tmp_path):
    docs = [deployment("web", labels={"app": "web"}),
            service("a", ports=[svc_port(8080, "http"), svc_port(53, "dns", protocol="UDP")]),
            service("b", ports=[svc_port(8080, "web"), svc_port(53, "tcp-dns")])]
    assert lint(tmp_path, *docs, codes=["IL524"]) == []


@pytest.mark.parametrize("labels, annotations, ns_labels, reported", [
    ({"app": "web"}, None, None, True),                                       # no Namespace in the input
    ({"app": "web"}, {"sidecar.istio.io/inject": "false"}, None, False),
    ({"app": "web", "sidecar.istio.io/inject": "false"}, None, None, False),
    ({"app": "web"}, None, {}, False),                                        # Namespace without injection
    ({"app": "web"}, None, {"istio-injection": "enabled"}, True),
    ({"app": "web"}, None, {"istio.io/rev": "canary"}, True),
    ({"app": "web"}, {"sidecar.istio.io/inject": "true"}, {}, True),
])
def test_only_workloads_in_the_mesh(tmp_path, labels, annotations, ns_labels, reported):
    docs = [deployment("web", "shop", labels=labels, annotations=annotations),
            service("a", "shop", ports=[svc_port(80, "http")]), service("b", "shop", ports=[svc_port(80, "tcp")])]
    if ns_labels is not None:
        docs.append(namespace_object("shop", ns_labels))
    assert bool(lint(tmp_path, *docs, codes=["IL524"])) is reported


def test_target_port_names_resolve_through_container_ports(tmp_path):
    docs = [deployment("web", ports=[{"name": "http", "containerPort": 8080}]),
            service("a", ports=[svc_port(80, "http", "http")]), service("b", ports=[svc_port(8080, "http")])]
    assert lint(tmp_path, *docs, codes=["IL525"]) == [
        ("IL525", "Deployment default/web", "spec.template.metadata.labels")]


def test_one_service_with_two_numbers_for_a_port_is_fine(tmp_path):
    docs = [deployment("web"),
            service("a", ports=[svc_port(80, "http", 8080), svc_port(8000, "http-alt", 8080)]),
            service("b", ports=[svc_port(80, "http", 8080)])]
    assert lint(tmp_path, *docs, codes=["IL525"]) == []


def test_services_of_other_namespaces_or_without_selector(tmp_path):
    no_selector = service("c", ports=[svc_port(9090, "tcp", 80)])
    no_selector["spec"].pop("selector")
    docs = [deployment("web"), service("a", ports=[svc_port(80, "http")]),
            service("b", "other", ports=[svc_port(9090, "tcp", 80)]), no_selector]
    assert lint(tmp_path, *docs, codes=["IL524", "IL525"]) == []


# ============================================================================ corpus


def test_corpus_files_alone_are_clean(shared_dir):
    """The acceptance check: every real sample, linted alone, gets no conflict finding."""
    corpus = shared_dir / "corpus"
    if not corpus.is_dir():
        pytest.skip("no corpus")
    noisy = []
    for path in sorted(p for p in corpus.rglob("*") if p.suffix in (".yaml", ".yml")):
        report, _ = lint_paths([path], select=CODES)
        noisy.extend(found(report))
    assert noisy == []
