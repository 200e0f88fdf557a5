"""Adversarial inputs for the rules' scaling: many resources that all conflict with (or select) each other.

Each generator returns a list of documents (dicts); ``to_yaml`` writes them as one multi-document
stream. ``tests/test_scaling.py`` lints them at a moderate size and checks that the output stays bounded
(findings, related locations, report size); run this module to write them at any size for profiling:

    .venv/bin/python -m tests.scaling_corpus --size 2000 --out /tmp/adversarial
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Callable

NETWORKING = "networking.istio.io/v1"


def to_yaml(docs: list[dict]) -> str:
    # JSON is YAML (one flow document per resource).
    return "\n---\n".join(json.dumps(d) for d in docs) + "\n"


def _meta(name: str, namespace: str = "default", labels: dict | None = None) -> dict:
    meta = {"name": name, "namespace": namespace}
    if labels:
        meta["labels"] = labels
    return meta


def _deployment(name: str, labels: dict, namespace: str = "default", ports: tuple = ()) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(name, namespace),
            "spec": {"selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "app", "image": "example/app:1",
                                                           "ports": list(ports)}]}}}}


def _service(name: str, selector: dict, ports: list[dict], namespace: str = "default") -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(name, namespace),
            "spec": {"selector": selector, "ports": ports}}


def _vs(name: str, hosts: list[str], http: list[dict], gateways: list[str] | None = None,
        namespace: str = "default") -> dict:
    spec: dict = {"hosts": hosts, "http": http}
    if gateways is not None:
        spec["gateways"] = gateways
    return {"apiVersion": NETWORKING, "kind": "VirtualService", "metadata": _meta(name, namespace), "spec": spec}


# --------------------------------------------------------------------------- the inputs


def same_host_virtualservices(n: int) -> list[dict]:
    """``n`` mesh VirtualServices claiming host ``reviews`` in one namespace (IL310 for each), plus the
    Service, its workloads and a DestinationRule, so the reference rules have something to resolve."""
    docs = [_service("reviews", {"app": "reviews"}, [{"name": "http", "port": 9080}]),
            _deployment("reviews-v1", {"app": "reviews", "version": "v1"}),
            {"apiVersion": NETWORKING, "kind": "DestinationRule", "metadata": _meta("reviews"),
             "spec": {"host": "reviews", "subsets": [{"name": "v1", "labels": {"version": "v1"}}]}}]
    for i in range(n):
        docs.append(_vs(f"reviews-{i:05d}", ["reviews"], [
            {"match": [{"uri": {"prefix": f"/p{i}"}}],
             "route": [{"destination": {"host": "reviews", "subset": "v1", "port": {"number": 9080}}}]}]))
    return docs


def wildcard_overlap_virtualservices(n: int) -> list[dict]:
    """Half of ``n`` mesh VirtualServices claim ``*.example.com``, half ``api.example.com`` (every pair of a
    wildcard and a concrete one overlaps: IL310 warnings)."""
    docs = []
    for i in range(n):
        host = "*.example.com" if i % 2 else "api.example.com"
        docs.append(_vs(f"vs-{i:05d}", [host], [{"route": [{"destination": {"host": "api.example.com"}}]}]))
    return docs


def same_selector_sidecars(n: int) -> list[dict]:
    """``n`` Sidecars selecting ``app: web`` (and a Deployment they all select), plus ``n`` selector-less
    Sidecars of another namespace (IL520, IL521 for each)."""
    docs = [_deployment("web", {"app": "web"})]
    for i in range(n):
        docs.append({"apiVersion": NETWORKING, "kind": "Sidecar", "metadata": _meta(f"web-{i:05d}"),
                     "spec": {"workloadSelector": {"labels": {"app": "web"}}, "egress": [{"hosts": ["./*"]}]}})
        docs.append({"apiVersion": NETWORKING, "kind": "Sidecar", "metadata": _meta(f"ns-{i:05d}", "other"),
                     "spec": {"egress": [{"hosts": ["./*"]}]}})
    return docs


def same_selector_telemetry(n: int) -> list[dict]:
    """``n`` Telemetry resources with one selector and no workload in the input (selector-subset overlap:
    IL522), plus ``n`` selector-less ones of another namespace (IL523)."""
    docs = []
    for i in range(n):
        docs.append({"apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry", "metadata": _meta(f"t-{i:05d}"),
                     "spec": {"selector": {"matchLabels": {"app": "web"}},
                              "tracing": [{"randomSamplingPercentage": 10}]}})
        docs.append({"apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry",
                     "metadata": _meta(f"ns-{i:05d}", "other"), "spec": {"tracing": [{"randomSamplingPercentage": 5}]}})
    return docs


def same_selector_gateways(n: int) -> list[dict]:
    """``n`` Gateways on the default ingress selector: each has an HTTPS server on 443 with its own host and
    the one shared certificate (IL230), and a server on 8080 alternately HTTP and TCP (IL205); every other
    one is routed by a VirtualService and a gateway deployment is in the input."""
    docs = [_deployment("istio-ingressgateway", {"istio": "ingressgateway", "app": "istio-ingressgateway"},
                        "istio-system"),
            _service("istio-ingressgateway", {"istio": "ingressgateway"},
                     [{"name": "http2", "port": 80, "targetPort": 8080},
                      {"name": "https", "port": 443, "targetPort": 8443}], "istio-system"),
            {"apiVersion": "v1", "kind": "Secret", "metadata": _meta("shared-cert", "istio-system"),
             "type": "kubernetes.io/tls"}]
    for i in range(n):
        host = f"app-{i:05d}.example.com"
        tcp = i % 2 == 1
        docs.append({"apiVersion": NETWORKING, "kind": "Gateway", "metadata": _meta(f"gw-{i:05d}", "istio-system"),
                     "spec": {"selector": {"istio": "ingressgateway"}, "servers": [
                         {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": [host],
                          "tls": {"mode": "SIMPLE", "credentialName": "shared-cert"}},
                         {"port": {"number": 8080, "name": "tcp" if tcp else "http",
                                   "protocol": "TCP" if tcp else "HTTP"}, "hosts": ["*"]}]}})
        if i % 2 == 0:
            route = [{"route": [{"destination": {"host": "web.default.svc.cluster.local"}}]}]
            docs.append(_vs(f"route-{i:05d}", [host], route, gateways=[f"istio-system/gw-{i:05d}"],
                            namespace="istio-system"))
    return docs


def services_with_subsets(n: int) -> list[dict]:
    """``n`` Services and Deployments in one namespace, each with a DestinationRule subset and a mesh
    VirtualService routing to it; one more Service selects every Deployment (a shared ``tier`` label) and
    declares port 80 TCP where the others declare HTTP (IL524 on every workload), and one subset selects no
    pod (IL406)."""
    docs = [_service("all", {"tier": "backend"}, [{"name": "tcp", "port": 80, "targetPort": 8080}])]
    for i in range(n):
        name = f"svc-{i:05d}"
        labels = {"app": name, "version": "v1", "tier": "backend"}
        docs.append(_service(name, {"app": name}, [{"name": "http", "port": 80, "targetPort": 8080}]))
        docs.append(_deployment(name, labels, ports=({"name": "http", "containerPort": 8080},)))
        docs.append({"apiVersion": NETWORKING, "kind": "DestinationRule", "metadata": _meta(name),
                     "spec": {"host": name, "subsets": [{"name": "v1", "labels": {"version": "v1" if i else "v9"}}]}})
        docs.append(_vs(name, [name], [{"route": [{"destination": {"host": name, "subset": "v1"}}]}]))
    return docs


def same_port_services(n: int) -> list[dict]:
    """``n`` Services selecting one Deployment, each sending its own port number to container port 8080;
    every even one also sends port 80 there, declared alternately HTTP and TCP (IL524 on port 80; IL525:
    every odd Service shares no number with any other)."""
    docs = [_deployment("web", {"app": "web"}, ports=({"name": "http", "containerPort": 8080},))]
    for i in range(n):
        ports = [{"name": "http" if i % 4 else "tcp", "port": 10000 + i, "targetPort": 8080}]
        if i % 2 == 0:
            ports.append({"name": "http-main" if i % 4 else "tcp-main", "port": 80, "targetPort": 8080})
        docs.append(_service(f"svc-{i:05d}", {"app": "web"}, ports))
    return docs


def same_host_serviceentries(n: int) -> list[dict]:
    """``n`` ServiceEntries for ``api.example.com`` port 443, alternately TLS and HTTPS (IL420)."""
    return [{"apiVersion": NETWORKING, "kind": "ServiceEntry", "metadata": _meta(f"se-{i:05d}"),
             "spec": {"hosts": ["api.example.com"], "location": "MESH_EXTERNAL", "resolution": "DNS",
                      "ports": [{"number": 443, "name": "tls" if i % 2 else "https",
                                 "protocol": "TLS" if i % 2 else "HTTPS"}]}} for i in range(n)]


def gateway_routes_bypassing_subsets(n: int) -> list[dict]:
    """``n`` mesh VirtualServices routing ``reviews`` by subset and ``n`` gateway VirtualServices routing it
    without one (IL311 on every one of them)."""
    docs = [{"apiVersion": NETWORKING, "kind": "Gateway", "metadata": _meta("gw"),
             "spec": {"selector": {"istio": "ingressgateway"},
                      "servers": [{"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}]}}]
    for i in range(n):
        subset_route = [{"route": [{"destination": {"host": "reviews", "subset": f"v{i}"}}]}]
        docs.append(_vs(f"mesh-{i:05d}", ["reviews"], subset_route))
        docs.append(_vs(f"edge-{i:05d}", [f"e{i}.example.com"], [{"route": [{"destination": {"host": "reviews"}}]}],
                        gateways=["gw"]))
    return docs


def selectors_matching_nothing(n: int) -> list[dict]:
    """``n`` Deployments in one namespace and ``n`` policies whose selectors match none of them (IL407,
    IL408 with a near-miss hint each)."""
    docs = []
    for i in range(n):
        docs.append(_deployment(f"app-{i:05d}", {"app": f"app-{i:05d}", "team": "a"}))
        docs.append({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
                     "metadata": _meta(f"ap-{i:05d}"),
                     "spec": {"selector": {"matchLabels": {"app": f"missing-{i:05d}"}}, "action": "ALLOW",
                              "rules": [{"from": [{"source": {"namespaces": ["default"]}}]}]}})
        docs.append({"apiVersion": NETWORKING, "kind": "Sidecar", "metadata": _meta(f"sc-{i:05d}"),
                     "spec": {"workloadSelector": {"labels": {"team": "b", "app": f"app-{i:05d}"}},
                              "egress": [{"hosts": ["./*"]}]}})
    return docs


def gateway_bound_same_host(n: int) -> list[dict]:
    """One Gateway for ``shop.example.com`` and ``n`` VirtualServices bound to it for that host (a gateway
    merges them): every even one routes ``/api`` to its own backend (they all overlap: IL304), every
    odd one its own ``/team-i`` (no overlap, and nothing to compare it with)."""
    docs = [{"apiVersion": NETWORKING, "kind": "Gateway", "metadata": _meta("shop"),
             "spec": {"selector": {"istio": "ingressgateway"},
                      "servers": [{"port": {"number": 80, "name": "http", "protocol": "HTTP"},
                                   "hosts": ["shop.example.com"]}]}},
            _service("web", {"app": "web"}, [{"name": "http", "port": 80}])]
    for i in range(n):
        prefix = "/api" if i % 2 == 0 else f"/team-{i}"
        docs.append(_vs(f"shop-{i:05d}", ["shop.example.com"],
                        [{"match": [{"uri": {"prefix": prefix}}],
                          "route": [{"destination": {"host": "web", "subset": f"v{i}"}}]}],
                        gateways=["shop"]))
    return docs


def one_gateway_many_hosts(n: int) -> list[dict]:
    """One Gateway with ``n`` server hosts (one server each) and ``n`` VirtualServices, each bound to it
    for one of them; every tenth host has no VirtualService (IL203) and every tenth VirtualService names
    a host the Gateway lacks (IL204)."""
    servers = [{"port": {"number": 443, "name": f"https-{i}", "protocol": "HTTPS"}, "hosts": [f"h{i}.example.com"],
                "tls": {"mode": "SIMPLE", "credentialName": f"cert-{i}"}} for i in range(n)]
    docs = [{"apiVersion": NETWORKING, "kind": "Gateway", "metadata": _meta("edge"),
             "spec": {"selector": {"istio": "ingressgateway"}, "servers": servers}},
            _service("web", {"app": "web"}, [{"name": "http", "port": 80}])]
    for i in range(n):
        if i % 10 == 0:
            continue
        host = f"h{i}.example.com" if i % 10 != 1 else f"missing{i}.example.com"
        docs.append(_vs(f"v-{i:05d}", [host], [{"route": [{"destination": {"host": "web"}}]}], gateways=["edge"]))
    return docs


def long_route_list(n: int) -> list[dict]:
    """One VirtualService with ``n`` http routes (distinct prefixes, every tenth one shadowed by an earlier
    one: IL301), one Gateway with ``n`` servers on one port (distinct hosts, every tenth host repeated:
    IL205), one Sidecar with ``n`` egress listeners."""
    routes = []
    for i in range(n):
        j = i // 10 * 10 if i % 10 == 5 else i  # the route this one repeats (itself, mostly)
        routes.append({"match": [{"uri": {"prefix": f"/r{j}/"}, "headers": {"x-team": {"exact": str(j % 7)}}}],
                       "route": [{"destination": {"host": "web", "subset": f"v{i % 3}"}}]})
    servers = [{"port": {"number": 443, "name": f"https-{i}", "protocol": "HTTPS"},
                "hosts": [f"h{i - i % 10 if i % 10 == 9 else i}.example.com"],
                "tls": {"mode": "SIMPLE", "credentialName": f"cert-{i}"}} for i in range(n)]
    egress = [{"port": {"number": 10000 + i, "protocol": "HTTP", "name": f"http-{i}"}, "hosts": [f"ns{i}/*"]}
              for i in range(n)]
    return [_service("web", {"app": "web"}, [{"name": "http", "port": 80}]),
            _vs("long", ["web"], routes),
            {"apiVersion": NETWORKING, "kind": "Gateway", "metadata": _meta("many-servers"),
             "spec": {"selector": {"istio": "ingressgateway"}, "servers": servers}},
            {"apiVersion": NETWORKING, "kind": "Sidecar", "metadata": _meta("many-listeners"),
             "spec": {"egress": egress}}]


def misspelt_destinations(n: int) -> list[dict]:
    """``n`` Services in one namespace and a VirtualService for each; every fifth routes to a misspelt
    host (IL401, each with a "did you mean" hint looked up among the ``n`` names)."""
    docs = []
    for i in range(n):
        name = f"svc-{i:05d}"
        docs.append(_service(name, {"app": name}, [{"name": "http", "port": 80}]))
        host = name + "x" if i % 5 == 4 else name
        docs.append(_vs(name, [name], [{"route": [{"destination": {"host": host}}]}]))
    return docs


def same_host_destinationrules(n: int) -> list[dict]:
    """``n`` DestinationRules for one host (each its own subset, exported to its own namespace only) and
    ``n`` VirtualServices routing to subsets of it, a fifth of them to one no rule defines (IL402), plus
    ``n`` Gateways and ``n`` Services all selecting the default ingress gateway (IL206 for each Gateway)."""
    docs = [_service("reviews", {"app": "reviews"}, [{"name": "http", "port": 9080}]),
            _deployment("reviews", {"app": "reviews", "version": "v0"})]
    for i in range(n):
        ns = f"team-{i % 50:02d}"
        docs.append({"apiVersion": NETWORKING, "kind": "DestinationRule", "metadata": _meta(f"dr-{i:05d}", ns),
                     "spec": {"host": "reviews.default.svc.cluster.local", "exportTo": ["."],
                              "subsets": [{"name": f"s{i}", "labels": {"version": f"v{i}"}}]}})
        subset = f"s{i}" if i % 5 else "missing"
        docs.append(_vs(f"vs-{i:05d}", [f"r{i}.example.com"],
                        [{"route": [{"destination": {"host": "reviews.default.svc.cluster.local", "subset": subset}}]}],
                        namespace=ns))
        docs.append({"apiVersion": NETWORKING, "kind": "Gateway", "metadata": _meta(f"gw-{i:05d}", "istio-system"),
                     "spec": {"selector": {"istio": "ingressgateway"}, "servers": [
                         {"port": {"number": 9000 + i % 100, "name": "http", "protocol": "HTTP"},
                          "hosts": [f"g{i}.example.com"]}]}})
        docs.append(_service(f"ingress-{i:05d}", {"istio": "ingressgateway"}, [{"name": "http2", "port": 80}],
                             "istio-system"))
    return docs


GENERATORS: dict[str, Callable[[int], list[dict]]] = {
    "same-host-virtualservices": same_host_virtualservices,
    "wildcard-overlap-virtualservices": wildcard_overlap_virtualservices,
    "same-selector-sidecars": same_selector_sidecars,
    "same-selector-telemetry": same_selector_telemetry,
    "same-selector-gateways": same_selector_gateways,
    "services-with-subsets": services_with_subsets,
    "same-port-services": same_port_services,
    "same-host-serviceentries": same_host_serviceentries,
    "gateway-routes-bypassing-subsets": gateway_routes_bypassing_subsets,
    "selectors-matching-nothing": selectors_matching_nothing,
    "gateway-bound-same-host": gateway_bound_same_host,
    "one-gateway-many-hosts": one_gateway_many_hosts,
    "long-route-list": long_route_list,
    "misspelt-destinations": misspelt_destinations,
    "same-host-destinationrules": same_host_destinationrules,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=2000, help="the n of each generator (default 2000)")
    ap.add_argument("--out", required=True, help="directory to write <name>.yaml files into")
    ap.add_argument("--only", action="append", help="generator names (default: all)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, generate in GENERATORS.items():
        if args.only and name not in args.only:
            continue
        docs = generate(args.size)
        (out / f"{name}.yaml").write_text(to_yaml(docs), encoding="utf-8")
        print(f"{name}: {len(docs)} documents")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
