"""Gateway ↔ VirtualService binding: gateway-host-orphan (IL201), vs-gateway-not-found (IL202),
vs-host-not-in-gateway (IL203), and the shared helpers in istiolint.rules.gateway.binding."""

from __future__ import annotations

import pytest

from istiolint.rules.gateway.binding import (
    ANY,
    HTTP,
    TCP,
    TLS,
    route_applies_at,
    server_route_kind,
)

from .conftest import lint_text

CODES = ["IL201", "IL202", "IL203"]


def gateway(name="gw", namespace="istio-system", servers=None, api="networking.istio.io/v1"):
    servers = servers or [{"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}]
    return {"apiVersion": api, "kind": "Gateway", "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": {"istio": "ingressgateway"}, "servers": servers}}


def http_server(*hosts, number=80, protocol="HTTP", tls=None):
    server = {"port": {"number": number, "name": f"p{number}", "protocol": protocol}, "hosts": list(hosts)}
    if tls is not None:
        server["tls"] = tls
    return server


def vs(name="vs", namespace="default", hosts=("a.example.com",), gateways=None, kinds=("http",), **extra):
    spec = {"hosts": list(hosts)}
    if gateways is not None:
        spec["gateways"] = list(gateways)
    for kind in kinds:
        route = {"route": [{"destination": {"host": "backend"}}]}
        if kind == "tls":
            route["match"] = [{"sniHosts": [hosts[0]]}]
        spec[kind] = [route]
    spec.update(extra)
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def to_yaml(*docs) -> str:
    import json

    # JSON is YAML: keeps the test documents exact without a YAML writer.
    return "\n---\n".join(json.dumps(d) for d in docs) + "\n"


def lint(tmp_path, *docs, strict=False, select=CODES):
    report, _ = lint_text(to_yaml(*docs), tmp_path, select=select, strict_references=strict)
    return sorted((f.code, f.resource.name, f.path) for f in report.findings if f.code in select)


# ------------------------------------------------------------------ server_route_kind


@pytest.mark.parametrize("server, kind", [
    (http_server("a", protocol="HTTP"), HTTP),
    (http_server("a", protocol="http2"), HTTP),
    (http_server("a", protocol="GRPC-WEB"), HTTP),
    (http_server("a", protocol="Http_Proxy"), HTTP),
    (http_server("a", protocol="HTTPS", tls={"mode": "SIMPLE", "credentialName": "c"}), HTTP),
    (http_server("a", protocol="https", tls={"mode": "ISTIO_MUTUAL"}), HTTP),
    (http_server("a", protocol="HTTPS", tls={"credentialName": "c"}), TLS),  # mode defaults to PASSTHROUGH
    (http_server("a", protocol="HTTPS", tls={"mode": "PASSTHROUGH"}), TLS),
    (http_server("a", protocol="TLS", tls={"mode": "PASSTHROUGH"}), TLS),
    (http_server("a", protocol="tls", tls={}), TLS),
    (http_server("a", protocol="TLS", tls={"mode": "MUTUAL", "credentialName": "c"}), TCP),
    (http_server("a", protocol="TCP"), TCP),
    (http_server("a", protocol="mongo"), TCP),
    (http_server("a", protocol="REDIS"), TCP),
    (http_server("a", protocol="MYSQL"), TCP),
    (http_server("a", protocol="HTTP", tls={"httpsRedirect": True}), None),
    (http_server("a", protocol="TLS", tls={"mode": "AUTO_PASSTHROUGH"}), None),
    (http_server("a", protocol="bogus"), ANY),
    ({"hosts": ["a"]}, ANY),
    ("not a server", None),
])
def test_server_route_kind(server, kind):
    assert server_route_kind(server) == kind


def test_route_applies_at_respects_match_level_gateways():
    key = ("istio-system", "gw")
    assert route_applies_at({"route": []}, "default", key)
    assert route_applies_at({"match": [{"uri": {"prefix": "/"}}]}, "default", key)
    assert route_applies_at({"match": [{"gateways": ["istio-system/gw"]}]}, "default", key)
    assert route_applies_at({"match": [{"gateways": ["gw.istio-system"]}]}, "default", key)
    assert not route_applies_at({"match": [{"gateways": ["mesh"]}]}, "default", key)
    assert not route_applies_at({"match": [{"gateways": ["gw"]}]}, "default", key)  # default/gw
    assert route_applies_at({"match": [{"gateways": ["gw"]}]}, "istio-system", key)
    assert route_applies_at({"match": [{"gateways": ["mesh"]}, {"uri": {"exact": "/x"}}]}, "default", key)
    assert not route_applies_at(None, "default", key)


# ------------------------------------------------------------------ binding forms


@pytest.mark.parametrize("ref, vs_namespace", [
    ("gw", "istio-system"),                                 # same namespace, bare name
    ("./gw", "istio-system"),                               # ./name
    ("istio-system/gw", "default"),                         # ns/name
    ("gw.istio-system", "default"),                         # legacy name.namespace
    ("gw.istio-system.svc.cluster.local", "default"),       # legacy FQDN form
])
def test_binding_forms_all_bind(tmp_path, ref, vs_namespace):
    docs = [gateway(servers=[http_server("a.example.com")]),
            vs(namespace=vs_namespace, hosts=["a.example.com"], gateways=[ref])]
    assert lint(tmp_path, *docs, strict=True) == []


@pytest.mark.parametrize("ref, vs_namespace", [
    ("gw", "default"),          # a bare name is the VirtualService's own namespace
    ("./gw", "default"),
    ("default/gw", "default"),
])
def test_binding_to_the_wrong_namespace(tmp_path, ref, vs_namespace):
    docs = [gateway(servers=[http_server("a.example.com")]), gateway(name="other", namespace="default"),
            vs(namespace=vs_namespace, hosts=["a.example.com"], gateways=[ref])]
    assert lint(tmp_path, *docs) == [("IL202", "vs", "spec.gateways[0]")]


# ------------------------------------------------------------------ IL201 gateway-host-orphan


def test_server_host_dot_namespace_excludes_other_namespaces(tmp_path):
    gw = gateway(servers=[http_server("./a.example.com")])
    assert lint(tmp_path, gw, vs(namespace="istio-system", gateways=["gw"])) == []
    found = lint(tmp_path, gw, vs(namespace="shop", gateways=["istio-system/gw"]))
    # the host is orphaned for the gateway, and the VirtualService's host is not served
    assert found == [("IL201", "gw", "spec.servers[0].hosts[0]"), ("IL203", "vs", "spec.hosts[0]")]


def test_server_host_named_namespace(tmp_path):
    gw = gateway(servers=[http_server("shop/a.example.com")])
    assert lint(tmp_path, gw, vs(namespace="shop", gateways=["istio-system/gw"])) == []
    assert lint(tmp_path, gw, vs(namespace="web", gateways=["istio-system/gw"])) == [
        ("IL201", "gw", "spec.servers[0].hosts[0]"), ("IL203", "vs", "spec.hosts[0]")]


@pytest.mark.parametrize("server_host", ["*/a.example.com", "a.example.com", "*/*", "*"])
def test_star_and_no_namespace_part_admit_every_namespace(tmp_path, server_host):
    gw = gateway(servers=[http_server(server_host)])
    assert lint(tmp_path, gw, vs(namespace="shop", gateways=["istio-system/gw"])) == []


@pytest.mark.parametrize("server_host, vs_host", [
    ("*.example.com", "a.example.com"),     # wildcard on the server
    ("a.example.com", "*.example.com"),     # wildcard on the VirtualService
    ("*.example.com", "*.a.example.com"),   # both
    ("*", "a.example.com"),
    ("a.example.com", "*"),
    ("A.Example.COM", "a.example.com"),     # case-insensitive
])
def test_wildcards_intersect_in_both_directions(tmp_path, server_host, vs_host):
    docs = [gateway(servers=[http_server(server_host)]), vs(hosts=[vs_host], gateways=["istio-system/gw"])]
    assert lint(tmp_path, *docs) == []


def test_wildcard_does_not_match_the_bare_domain(tmp_path):
    docs = [gateway(servers=[http_server("*.example.com")]), vs(hosts=["example.com"], gateways=["istio-system/gw"])]
    assert lint(tmp_path, *docs) == [("IL201", "gw", "spec.servers[0].hosts[0]"), ("IL203", "vs", "spec.hosts[0]")]


def test_https_redirect_server_needs_no_virtualservice(tmp_path):
    gw = gateway(servers=[http_server("a.example.com"),
                          http_server("b.example.com", number=8080, tls={"httpsRedirect": True})])
    assert lint(tmp_path, gw, vs(gateways=["istio-system/gw"])) == []


def test_auto_passthrough_server_needs_no_virtualservice(tmp_path):
    gw = gateway(servers=[http_server("a.example.com"),
                          http_server("*.local", number=15443, protocol="TLS", tls={"mode": "AUTO_PASSTHROUGH"})])
    assert lint(tmp_path, gw, vs(gateways=["istio-system/gw"])) == []


def test_passthrough_by_default_needs_tls_routes(tmp_path):
    server = http_server("a.example.com", number=443, protocol="https", tls={"credentialName": "cert"})
    gw = gateway(servers=[server])
    report, _ = lint_text(to_yaml(gw, vs(gateways=["istio-system/gw"], kinds=("http",))), tmp_path, select=["IL201"])
    [finding] = report.findings
    assert finding.path == "spec.servers[0].hosts[0]"
    assert "`tls` routes" in finding.message and "only `http` routes" in finding.message
    assert "the default" in finding.message
    assert lint(tmp_path, gw, vs(gateways=["istio-system/gw"], kinds=("tls",))) == []
    terminated = http_server("a.example.com", number=443, protocol="HTTPS", tls={"mode": "SIMPLE", "credentialName": "c"})
    assert lint(tmp_path, gateway(servers=[terminated]), vs(gateways=["istio-system/gw"], kinds=("http",))) == []


def test_http_server_with_only_tls_routes(tmp_path):
    report, _ = lint_text(to_yaml(gateway(servers=[http_server("a.example.com")]),
                                  vs(gateways=["istio-system/gw"], kinds=("tls",))), tmp_path, select=["IL201"])
    [finding] = report.findings
    assert "`http` routes" in finding.message and "only `tls` routes" in finding.message


def test_terminated_tls_and_tcp_need_tcp_routes(tmp_path):
    for server in (http_server("a.example.com", number=9000, protocol="TCP"),
                   http_server("a.example.com", number=9443, protocol="TLS",
                               tls={"mode": "SIMPLE", "credentialName": "c"})):
        gw = gateway(servers=[server])
        assert lint(tmp_path, gw, vs(gateways=["istio-system/gw"], kinds=("tcp",))) == []
        assert lint(tmp_path, gw, vs(gateways=["istio-system/gw"], kinds=("http",))) == [
            ("IL201", "gw", "spec.servers[0].hosts[0]")]


def test_route_kind_respects_match_level_gateways(tmp_path):
    gw = gateway(servers=[http_server("a.example.com")])
    only_mesh = vs(gateways=["mesh", "istio-system/gw"], kinds=(),
                   http=[{"match": [{"gateways": ["mesh"]}], "route": [{"destination": {"host": "b"}}]}])
    assert lint(tmp_path, gw, only_mesh, select=["IL201"]) == [("IL201", "gw", "spec.servers[0].hosts[0]")]
    at_gateway = vs(gateways=["mesh", "istio-system/gw"], kinds=(),
                    http=[{"match": [{"gateways": ["istio-system/gw"]}], "route": [{"destination": {"host": "b"}}]}])
    assert lint(tmp_path, gw, at_gateway, select=["IL201"]) == []


def test_another_virtualservice_can_serve_the_route_kind(tmp_path):
    gw = gateway(servers=[http_server("a.example.com", number=443, protocol="TLS", tls={"mode": "PASSTHROUGH"})])
    docs = [gw, vs("web", gateways=["istio-system/gw"], kinds=("http",)),
            vs("sni", gateways=["istio-system/gw"], kinds=("tls",))]
    assert lint(tmp_path, *docs) == []


def test_short_virtualservice_hosts_are_expanded(tmp_path):
    gw = gateway(servers=[http_server("reviews.shop.svc.cluster.local")])
    assert lint(tmp_path, gw, vs(namespace="shop", hosts=["reviews"], gateways=["istio-system/gw"])) == []
    assert lint(tmp_path, gw, vs(namespace="web", hosts=["reviews"], gateways=["istio-system/gw"])) == [
        ("IL201", "gw", "spec.servers[0].hosts[0]"), ("IL203", "vs", "spec.hosts[0]")]


def test_virtualservice_bound_to_two_gateways(tmp_path):
    docs = [gateway("public", servers=[http_server("a.example.com")]),
            gateway("private", servers=[http_server("b.example.com")]),
            vs(hosts=["a.example.com", "b.example.com"], gateways=["istio-system/public", "istio-system/private"])]
    assert lint(tmp_path, *docs) == []
    # the second gateway's host is not among the VirtualService's: orphan there, dead binding here
    docs[2] = vs(hosts=["a.example.com"], gateways=["istio-system/public", "istio-system/private"])
    assert lint(tmp_path, *docs) == [("IL201", "private", "spec.servers[0].hosts[0]"),
                                     ("IL203", "vs", "spec.gateways[1]")]


def test_closed_world_gateway_alone_is_silent(tmp_path):
    gw = gateway(servers=[http_server("a.example.com")])
    assert lint(tmp_path, gw) == []
    # a VirtualService bound to another gateway does not make this one judgeable
    assert lint(tmp_path, gw, gateway("other", servers=[http_server("z.example.com")]),
                vs(gateways=["istio-system/other"])) == [
        ("IL201", "other", "spec.servers[0].hosts[0]"), ("IL203", "vs", "spec.hosts[0]")]
    assert lint(tmp_path, gw, strict=True) == [("IL201", "gw", "spec.servers[0].hosts[0]")]


def test_orphan_message_names_the_namespace_limit(tmp_path):
    report, _ = lint_text(to_yaml(gateway(servers=[http_server("./a.example.com")]),
                                  vs(namespace="shop", gateways=["istio-system/gw"])), tmp_path, select=["IL201"])
    [finding] = report.findings
    assert "istio-system" in finding.message and "shop/vs" in finding.message
    assert finding.related and finding.related[0].resource.name == "vs"


def test_gateway_api_gateway_is_not_checked_by_il201(tmp_path):
    k8s = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
           "metadata": {"name": "gw", "namespace": "istio-system"},
           "spec": {"gatewayClassName": "istio", "listeners": [{"name": "h", "port": 80, "protocol": "HTTP",
                                                                "hostname": "a.example.com"}]}}
    assert lint(tmp_path, k8s, vs(hosts=["b.example.com"], gateways=["istio-system/gw"]), strict=True,
                select=["IL201", "IL202"]) == []


# ------------------------------------------------------------------ IL202 vs-gateway-not-found


def test_missing_gateway_reported_with_suggestion(tmp_path):
    report, _ = lint_text(to_yaml(gateway("public-gateway"), vs(gateways=["istio-system/public-gatway"])),
                          tmp_path, select=["IL202"])
    [finding] = report.findings
    assert finding.path == "spec.gateways[0]"
    assert "did you mean 'istio-system/public-gateway'?" in finding.message


def test_missing_gateway_suggests_the_namespace_prefix(tmp_path):
    docs = [gateway("public"), gateway("other", namespace="default"), vs(gateways=["public"])]
    report, _ = lint_text(to_yaml(*docs), tmp_path, select=["IL202"])
    [finding] = report.findings
    assert "did you mean 'istio-system/public'?" in finding.message


def test_same_namespace_suggestion_keeps_the_short_form(tmp_path):
    docs = [gateway("bookinfo-gateway", namespace="default"), vs(gateways=["bookinfo-gatway"])]
    report, _ = lint_text(to_yaml(*docs), tmp_path, select=["IL202"])
    [finding] = report.findings
    assert "did you mean 'bookinfo-gateway'?" in finding.message


def test_match_level_gateways_are_checked(tmp_path):
    http = [{"match": [{"gateways": ["istio-system/gw", "mesh"]}, {"gateways": ["istio-system/nope"]}],
             "route": [{"destination": {"host": "b"}}]}]
    tls = [{"match": [{"sniHosts": ["a.example.com"], "gateways": ["istio-system/nope2"]}],
            "route": [{"destination": {"host": "b"}}]}]
    tcp = [{"match": [{"gateways": ["gw.istio-system", "istio-system/nope3"]}], "route": [{"destination": {"host": "b"}}]}]
    docs = [gateway(), vs(gateways=["istio-system/gw"], kinds=(), http=http, tls=tls, tcp=tcp)]
    assert lint(tmp_path, *docs, select=["IL202"]) == [
        ("IL202", "vs", "spec.http[0].match[1].gateways[0]"),
        ("IL202", "vs", "spec.tcp[0].match[0].gateways[1]"),
        ("IL202", "vs", "spec.tls[0].match[0].gateways[0]"),
    ]


def test_mesh_is_never_missing(tmp_path):
    assert lint(tmp_path, gateway(namespace="default"), vs(gateways=["mesh"]), strict=True, select=["IL202"]) == []
    # "Mesh" is an ordinary name, not the reserved one
    assert lint(tmp_path, gateway(namespace="default"), vs(gateways=["Mesh"]), select=["IL202"]) == [
        ("IL202", "vs", "spec.gateways[0]")]


def test_closed_world_for_missing_gateways(tmp_path):
    # no Gateway at all in the input: the gateway may be in another file
    assert lint(tmp_path, vs(gateways=["istio-system/gw"]), select=["IL202"]) == []
    # Gateways only in other namespaces: still silent
    assert lint(tmp_path, gateway(namespace="other"), vs(gateways=["istio-system/gw"]), select=["IL202"]) == []
    # strict: reported
    assert lint(tmp_path, vs(gateways=["istio-system/gw"]), strict=True, select=["IL202"]) == [
        ("IL202", "vs", "spec.gateways[0]")]


def test_gateway_api_gateway_satisfies_a_reference(tmp_path):
    k8s = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
           "metadata": {"name": "gw", "namespace": "default"},
           "spec": {"gatewayClassName": "istio", "listeners": [{"name": "h", "port": 80, "protocol": "HTTP",
                                                                "hostname": "a.example.com"}]}}
    assert lint(tmp_path, k8s, vs(gateways=["gw"]), strict=True) == []
    # its listener hostnames are the hosts it serves
    assert lint(tmp_path, k8s, vs(hosts=["b.example.com"], gateways=["gw"]), strict=True) == [
        ("IL203", "vs", "spec.hosts[0]")]
    no_hostname = dict(k8s, spec={"listeners": [{"name": "h", "port": 80, "protocol": "HTTP"}]})
    assert lint(tmp_path, no_hostname, vs(hosts=["b.example.com"], gateways=["gw"]), strict=True) == []


def test_other_gateway_kinds_do_not_count(tmp_path):
    other = {"apiVersion": "gateway.solo.io/v1", "kind": "Gateway", "metadata": {"name": "gw", "namespace": "default"},
             "spec": {}}
    assert lint(tmp_path, other, gateway("x", namespace="default"), vs(gateways=["gw"]), select=["IL202"]) == [
        ("IL202", "vs", "spec.gateways[0]")]


# ------------------------------------------------------------------ IL203 vs-host-not-in-gateway


def test_missing_gateway_suppresses_il203(tmp_path):
    docs = [gateway(servers=[http_server("a.example.com")]),
            vs(hosts=["b.example.com"], gateways=["istio-system/gw", "istio-system/missing"])]
    # (a.example.com has no VirtualService: that is IL201's finding on the Gateway)
    assert lint(tmp_path, *docs) == [("IL201", "gw", "spec.servers[0].hosts[0]"), ("IL202", "vs", "spec.gateways[1]")]


def test_mesh_only_is_not_checked(tmp_path):
    gw = gateway(servers=[http_server("a.example.com")])
    assert lint(tmp_path, gw, vs(hosts=["reviews"], gateways=["mesh"]), select=["IL203"]) == []
    assert lint(tmp_path, gw, vs(hosts=["reviews"]), select=["IL203"]) == []  # no gateways: mesh


def test_mesh_and_gateway_hosts_for_the_mesh_are_fine(tmp_path):
    gw = gateway(servers=[http_server("a.example.com")])
    docs = [gw, vs(hosts=["reviews", "a.example.com"], gateways=["mesh", "istio-system/gw"])]
    assert lint(tmp_path, *docs, select=["IL203"]) == []
    # with mesh, a gateway that serves none of the hosts is a dead binding
    docs = [gw, vs(hosts=["reviews"], gateways=["mesh", "istio-system/gw"])]
    assert lint(tmp_path, *docs, select=["IL203"]) == [("IL203", "vs", "spec.gateways[1]")]


def test_il203_host_message(tmp_path):
    docs = [gateway(servers=[http_server("./a.example.com", "*.b.example.com")]),
            vs(namespace="shop", hosts=["a.example.com"], gateways=["istio-system/gw"])]
    report, _ = lint_text(to_yaml(*docs), tmp_path, select=["IL203"])
    [finding] = report.findings
    assert "*.b.example.com" in finding.message
    assert "./a.example.com would match but admits only namespace istio-system" in finding.message
    assert finding.related[0].path == "spec.servers[0].hosts[0]"


def test_wrong_types_never_raise(tmp_path):
    docs = [{"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "gw"},
             "spec": {"servers": [None, {"hosts": "a", "port": 5, "tls": []}, {"hosts": [1, None, "x/"]}]}},
            {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "v"},
             "spec": {"hosts": [None, 3], "gateways": ["gw", 7, ""], "http": [None, {"match": "x"}],
                      "tls": {"a": 1}, "tcp": [{"match": [None, {"gateways": "gw"}]}]}},
            {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "w"},
             "spec": {"hosts": "a", "gateways": ["gw"], "http": "x"}}]
    report, _ = lint_text(to_yaml(*docs), tmp_path, select=CODES, strict_references=True)
    assert not [f for f in report.findings if f.name == "internal-error"]
